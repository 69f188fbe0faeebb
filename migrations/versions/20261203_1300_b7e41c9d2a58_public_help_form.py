"""The public help form (issue 18): its requests (the tracking code's HMAC), the
messages left with a code (sealed), and the channel "online_form"

Revision ID: b7e41c9d2a58
Revises: b7e2d4a9c513
Create Date: 2026-12-03 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e41c9d2a58'
down_revision = 'b7e2d4a9c513'
branch_labels = None
depends_on = None

# After "online_report" (position 3) in the admin's list of channels.
CHANNEL = {'code': 'online_form', 'label_vi': 'Biểu mẫu trực tuyến',
           'label_en': 'Online help form', 'position': 3, 'is_active': True}


def upgrade():
    op.create_table(
        'public_help_requests',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_public_help_requests_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_help_requests')),
        sa.UniqueConstraint('case_id', name=op.f('uq_public_help_requests_case_id')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_public_help_requests_code_hash')))
    op.create_table(
        'public_help_messages',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('text', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_public_help_messages_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_help_messages')))
    with op.batch_alter_table('public_help_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_help_messages_case_id'), ['case_id'],
                              unique=False)
    channels = sa.table('ref_channels', sa.column('code', sa.String),
                        sa.column('label_vi', sa.String), sa.column('label_en', sa.String),
                        sa.column('position', sa.Integer), sa.column('is_active', sa.Boolean))
    op.bulk_insert(channels, [CHANNEL])


def downgrade():
    # Cases filed through the form keep their channel: it is only retired then.
    bind = op.get_bind()
    used = bind.execute(sa.text("SELECT 1 FROM cases WHERE channel_code = 'online_form' "
                                "LIMIT 1")).first()
    if used:
        op.execute("UPDATE ref_channels SET is_active = false WHERE code = 'online_form'")
    else:
        op.execute("DELETE FROM ref_channels WHERE code = 'online_form'")
    with op.batch_alter_table('public_help_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_help_messages_case_id'))
    op.drop_table('public_help_messages')
    op.drop_table('public_help_requests')
