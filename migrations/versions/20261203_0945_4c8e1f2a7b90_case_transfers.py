"""Transfers of a case between units (issue 17)

Revision ID: 4c8e1f2a7b90
Revises: 4f7a2c9e1d35
Create Date: 2026-12-03 09:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4c8e1f2a7b90'
down_revision = '4f7a2c9e1d35'
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"


def upgrade():
    op.create_table(
        'case_transfers',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=False),
        sa.Column('to_unit_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason_code', sa.String(length=24), nullable=False),
        sa.Column('requested_by_id', sa.String(length=36), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.String(length=36), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.LargeBinary(), nullable=True),
        sa.Column('decline_reason', sa.LargeBinary(), nullable=True),
        sa.Column('access_mac', sa.String(length=64), nullable=True),
        sa.Column('access_version', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'cancelled')",
                           name=op.f('ck_case_transfers_status_known')),
        sa.CheckConstraint("reason_code IN ('child_moved', 'other_commune', 'handed_down', "
                           "'other')", name=op.f('ck_case_transfers_reason_code_known')),
        sa.CheckConstraint('from_unit_id <> to_unit_id',
                           name=op.f('ck_case_transfers_to_another_unit')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_transfers_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'],
                                name=op.f('fk_case_transfers_from_unit_id_units')),
        sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'],
                                name=op.f('fk_case_transfers_to_unit_id_units')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_case_transfers_requested_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_case_transfers_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transfers')))
    with op.batch_alter_table('case_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_transfers_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index('ix_case_transfers_one_pending', ['case_id'], unique=True,
                              sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
        batch_op.create_index('ix_case_transfers_to_status',
                              ['to_unit_id', 'status', 'requested_at'], unique=False)
        batch_op.create_index('ix_case_transfers_from_status',
                              ['from_unit_id', 'status', 'requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case_transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_case_transfers_from_status')
        batch_op.drop_index('ix_case_transfers_to_status')
        batch_op.drop_index('ix_case_transfers_one_pending')
        batch_op.drop_index(batch_op.f('ix_case_transfers_case_id'))
    op.drop_table('case_transfers')
