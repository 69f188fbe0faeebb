"""Partial indexes over open cases for the supervision counts and lists, and the plans' state

Each count of the supervision page is a range of an index over the open cases
within each unit of the supervisor's subtree (index only, no row read), each
list walks the open cases only, and the plans' tests read an index (issue 16).

Revision ID: b7e2c41d9a63
Revises: adcd3098186b
Create Date: 2026-12-02 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e2c41d9a63'
down_revision = 'adcd3098186b'
branch_labels = None
depends_on = None

OPEN = "stage <> 'closure'"
CASES = [
    ('ix_cases_open_unit_deadline', ['unit_id', 'next_deadline_at', 'stage'], OPEN),
    ('ix_cases_open_unit_lead', ['unit_id', 'lead_officer_id', 'stage'], OPEN),
    ('ix_cases_open_unit_closure', ['unit_id', 'closure_requested_at', 'stage'], OPEN),
    ('ix_cases_open_unit_stage', ['unit_id', 'stage', 'id', 'plan_drafted_at'], OPEN),
    ('ix_cases_open_danger_order', ['immediate_danger', 'received_at', 'id'], OPEN),
    ('ix_cases_open_closure_order', ['closure_requested_at', 'id'], OPEN),
    ('ix_cases_open_plan_order', ['plan_drafted_at', 'id'], OPEN),
    ('ix_cases_open_received_order', ['received_at', 'id'], OPEN),
]
PLANS = [
    ('ix_case_plans_case_version',
     ['case_id', 'version', 'approved_at', 'returned_at', 'decision_recorded_at'], None),
    ('ix_case_plans_waiting', ['case_id', 'version', 'approved_at', 'returned_at'],
     "approved_at IS NULL AND returned_at IS NULL"),
    ('ix_case_plans_no_decision',
     ['case_id', 'version', 'approved_at', 'decision_recorded_at'],
     "approved_at IS NOT NULL AND decision_recorded_at IS NULL"),
]


def _where(condition):
    if condition is None:
        return {}
    return {'sqlite_where': sa.text(condition), 'postgresql_where': sa.text(condition)}


def upgrade():
    for table, indexes in (('cases', CASES), ('case_plans', PLANS)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns, condition in indexes:
                batch_op.create_index(name, columns, unique=False, **_where(condition))


def downgrade():
    for table, indexes in (('case_plans', PLANS), ('cases', CASES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns, _condition in reversed(indexes):
                batch_op.drop_index(name)
