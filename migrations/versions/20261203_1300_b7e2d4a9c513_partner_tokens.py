"""Partner API tokens and their idempotency keys (issue 18)

Revision ID: b7e2d4a9c513
Revises: a3d9e6b1c705
Create Date: 2026-12-03 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e2d4a9c513'
down_revision = 'a3d9e6b1c705'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'partner_tokens',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('secret_hint', sa.String(length=12), nullable=False),
        sa.Column('partner_name', sa.String(length=100), nullable=False),
        sa.Column('family', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('scopes', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.String(length=36), nullable=True),
        sa.Column('access_mac', sa.String(length=64), nullable=True),
        sa.Column('access_version', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_partner_tokens_created_by_id_users')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_partner_tokens_revoked_by_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_partner_tokens_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_tokens')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_partner_tokens_secret_hash')),
    )
    with op.batch_alter_table('partner_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_tokens_family'), ['family'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_tokens_unit_id'), ['unit_id'], unique=False)

    op.create_table(
        'partner_idempotency_keys',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('family', sa.String(length=64), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('body_hash', sa.String(length=64), nullable=False),
        sa.Column('token_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=True),
        sa.Column('answered_stage', sa.String(length=16), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['partner_tokens.id'],
                                name=op.f('fk_partner_idempotency_keys_token_id_partner_tokens'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_idempotency_keys')),
        sa.UniqueConstraint('family', 'key_hash', name='uq_partner_idempotency_keys_family_key'),
    )
    with op.batch_alter_table('partner_idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_partner_idempotency_keys_created_at', ['created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('partner_idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_idempotency_keys_created_at')
    op.drop_table('partner_idempotency_keys')
    with op.batch_alter_table('partner_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_tokens_unit_id'))
        batch_op.drop_index(batch_op.f('ix_partner_tokens_family'))
    op.drop_table('partner_tokens')
