"""A version on each person around the child and on the household (review)

A correction is made on the version of the record it was shown with; a save
in between (a flag just set, a new contact) makes it a conflict instead of
being silently undone. Rows already there start at 1.

Revision ID: e6c1a4f8b2d7
Revises: d5b9e3a7c1f4
Create Date: 2026-12-04 12:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e6c1a4f8b2d7'
down_revision = 'd5b9e3a7c1f4'
branch_labels = None
depends_on = None

TABLES = ('case_family_members', 'case_family_households')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version_id', sa.Integer(), server_default='1',
                                          nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version_id')
