"""The awareness sessions' list reads its pages by an index (issue 16)

A school year's sessions are listed newest first, a page at a time: a keyset
on (held_on, recorded_at, id), served by this index read backwards.

Revision ID: d5b9e3a7c1f4
Revises: c4a8e2f1d6b3
Create Date: 2026-12-03 18:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b9e3a7c1f4'
down_revision = 'c4a8e2f1d6b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('awareness_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_awareness_sessions_list_order',
                              ['held_on', 'recorded_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('awareness_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_awareness_sessions_list_order')
