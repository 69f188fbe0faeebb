""""My cases" by person: an index range per way of being on the list

A counselor's or an officer's list is the union of the cases they lead, those
they are assigned to, and the intakes they recorded, each read as a range of
an index keyed on the person in the list's order, where one OR over the three
was a scan of every open case (issue 16).

Revision ID: 0e5d7a1c4b2f
Revises: b7e2c41d9a63
Create Date: 2026-12-03 06:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0e5d7a1c4b2f'
down_revision = 'b7e2c41d9a63'
branch_labels = None
depends_on = None

OPEN = "stage <> 'closure'"
INTAKE = "stage = 'intake'"
CLOSED = "stage = 'closure'"
CASES = [
    ('ix_cases_open_lead_order',
     ['lead_officer_id', 'next_deadline_at', 'received_at', 'id', 'stage'], OPEN),
    ('ix_cases_closed_lead_order',
     ['lead_officer_id', 'next_deadline_at', 'received_at', 'id', 'stage'], CLOSED),
    ('ix_cases_intake_recorder_order',
     ['recorded_by_id', 'next_deadline_at', 'received_at', 'id', 'lead_officer_id', 'stage'],
     INTAKE),
]
ASSIGNEES = [('ix_case_assignees_user_case', ['user_id', 'case_id'], None)]


def _where(condition):
    if condition is None:
        return {}
    return {'sqlite_where': sa.text(condition), 'postgresql_where': sa.text(condition)}


def upgrade():
    for table, indexes in (('cases', CASES), ('case_assignees', ASSIGNEES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns, condition in indexes:
                batch_op.create_index(name, columns, unique=False, **_where(condition))


def downgrade():
    for table, indexes in (('case_assignees', ASSIGNEES), ('cases', CASES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns, _condition in reversed(indexes):
                batch_op.drop_index(name)
