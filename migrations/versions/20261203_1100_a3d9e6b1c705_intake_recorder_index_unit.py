"""The recorder's intakes on "My cases" carry the case's unit

A report transferred to another unit at intake leaves the counselor who
recorded it (issue 17): their list's range of intakes now tests the case's
unit too, read from the same index (no row of the cases table).

Revision ID: a3d9e6b1c705
Revises: 5c1e8f0a7d24
Create Date: 2026-12-03 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3d9e6b1c705'
down_revision = '5c1e8f0a7d24'
branch_labels = None
depends_on = None

NAME = 'ix_cases_intake_recorder_order'
INTAKE = "stage = 'intake'"
BEFORE = ['recorded_by_id', 'next_deadline_at', 'received_at', 'id', 'lead_officer_id', 'stage']
AFTER = BEFORE + ['unit_id']


def _replace(columns):
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, columns, unique=False, sqlite_where=sa.text(INTAKE),
                              postgresql_where=sa.text(INTAKE))


def upgrade():
    _replace(AFTER)


def downgrade():
    _replace(BEFORE)
