"""The runs of `caseapp notifications scan` (the timer's), so that the app's
workers leave the deadline scan to it while it runs (issue 16)

Revision ID: 9b3f6d2e8a17
Revises: 0e5d7a1c4b2f
Create Date: 2026-12-03 06:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9b3f6d2e8a17'
down_revision = '0e5d7a1c4b2f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_scan_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('notices_made', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_scan_runs')))
    with op.batch_alter_table('notification_scan_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_scan_runs_finished_at'),
                              ['finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notification_scan_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_scan_runs_finished_at'))
    op.drop_table('notification_scan_runs')
