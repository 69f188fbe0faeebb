"""hotline intake

What a hotline counselor asks on the call (issue 15), sealed like the rest of
the child's data: the hotline's number of the call, when the harm happened (a
day or in words), where the child is now and whether they are safe tonight,
the advice given on the call, a disability or need that changes how to reach
the child. And, in clear (a rule about who sees the reporter, not data about
them), whether the reporter asked to stay anonymous.

Revision ID: 2746344a01fb
Revises: 9cfd07d89382
Create Date: 2026-12-02 07:02:17.805619

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '2746344a01fb'
down_revision = '9cfd07d89382'
branch_labels = None
depends_on = None

SEALED = ('hotline_call_number', 'harm_date', 'harm_when', 'child_whereabouts',
          'safe_tonight', 'advice_given', 'child_access_needs')


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporter_anonymous', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        for name in SEALED:
            batch_op.add_column(sa.Column(name, sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in reversed(SEALED):
            batch_op.drop_column(name)
        batch_op.drop_column('reporter_anonymous')
