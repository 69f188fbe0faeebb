"""The lists' orders as indexes (keyset pages), and the audit index of listed cases

Each list is read a page at a time in an order an index serves (issue 16);
``audit_entry_cases`` indexes the cases one "case.list" entry names (the who-viewed
panel), append-only like the log.

Revision ID: adcd3098186b
Revises: 5e1f0c3a9b27
Create Date: 2026-12-02 12:04:59.179178

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'adcd3098186b'
down_revision = '5e1f0c3a9b27'
branch_labels = None
depends_on = None

# As caseapp.auditing.models has them today (a migration keeps its own copy).
APPEND_ONLY = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_entry_cases_no_update
BEFORE UPDATE ON audit_entry_cases
BEGIN
    SELECT RAISE(ABORT, 'audit_entry_cases is append-only');
END""",
        """CREATE TRIGGER IF NOT EXISTS audit_entry_cases_no_delete
BEFORE DELETE ON audit_entry_cases
BEGIN
    SELECT RAISE(ABORT, 'audit_entry_cases is append-only');
END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_entry_cases_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_entry_cases is append-only',
        ERRCODE = 'insufficient_privilege';
END
$fn$""",
        """CREATE TRIGGER audit_entry_cases_no_update_delete
BEFORE UPDATE OR DELETE ON audit_entry_cases
FOR EACH ROW EXECUTE FUNCTION audit_entry_cases_refuse_change()""",
        """CREATE TRIGGER audit_entry_cases_no_truncate
BEFORE TRUNCATE ON audit_entry_cases
FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_cases_refuse_change()""",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entry_cases_no_delete",
               "DROP TRIGGER IF EXISTS audit_entry_cases_no_update"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_entry_cases_no_truncate ON audit_entry_cases",
                   "DROP TRIGGER IF EXISTS audit_entry_cases_no_update_delete ON "
                   "audit_entry_cases",
                   "DROP FUNCTION IF EXISTS audit_entry_cases_refuse_change()"],
}


def upgrade():
    op.create_table(
        'audit_entry_cases',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=False, nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('child_data', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('seq', 'reference', name=op.f('pk_audit_entry_cases')),
    )
    with op.batch_alter_table('audit_entry_cases', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_cases_reference_seq', ['reference', 'seq'],
                              unique=False)
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)

    with op.batch_alter_table('break_glass_accesses', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_started_order', ['started_at', 'id'], unique=False)

    with op.batch_alter_table('case_data_requests', schema=None) as batch_op:
        batch_op.create_index('ix_case_data_requests_status_order', ['status', 'due_at', 'id'],
                              unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        # The single-column indexes are the new ones' first columns: kept, the
        # planner picks them and sorts the page after all.
        batch_op.drop_index('ix_cases_next_deadline_at')
        batch_op.drop_index('ix_cases_received_at')
        batch_op.create_index('ix_cases_closure_order', ['closure_requested_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_cases_deadline_order', ['next_deadline_at', 'received_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_cases_plan_order', ['plan_drafted_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_danger_order', ['immediate_danger', 'received_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_cases_received_order', ['received_at', 'id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_order', ['user_id', 'created_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_order')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_received_order')
        batch_op.drop_index('ix_cases_danger_order')
        batch_op.drop_index('ix_cases_plan_order')
        batch_op.drop_index('ix_cases_deadline_order')
        batch_op.drop_index('ix_cases_closure_order')
        batch_op.create_index('ix_cases_received_at', ['received_at'], unique=False)
        batch_op.create_index('ix_cases_next_deadline_at', ['next_deadline_at'], unique=False)

    with op.batch_alter_table('case_data_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_case_data_requests_status_order')

    with op.batch_alter_table('break_glass_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_started_order')

    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('audit_entry_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_cases_reference_seq')
    op.drop_table('audit_entry_cases')
