"""Follow-ups of a case and the plan's goals as records, with dated progress notes
(issue 17). New tables only: the plan's goals text stays where it is (no key needed)

Revision ID: f17a0c5d2b61
Revises: 4c8e1f2a7b90
Create Date: 2026-12-03 09:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17a0c5d2b61'
down_revision = '4c8e1f2a7b90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_plan_goals',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('text', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("status IN ('not_started', 'in_progress', 'reached', 'dropped')",
                           name=op.f('ck_case_plan_goals_status_known')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_plan_goals_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_case_plan_goals_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_plan_goals')))
    with op.batch_alter_table('case_plan_goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_plan_goals_case_id'), ['case_id'], unique=False)

    op.create_table(
        'case_goal_progress',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('goal_id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('noted_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('recorded_by_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_goal_progress_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['goal_id'], ['case_plan_goals.id'],
                                name=op.f('fk_case_goal_progress_goal_id_case_plan_goals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_case_goal_progress_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_goal_progress')))
    with op.batch_alter_table('case_goal_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_goal_progress_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_case_goal_progress_goal_id'), ['goal_id'],
                              unique=False)

    op.create_table(
        'case_follow_ups',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('assignee_id', sa.String(length=36), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('scheduled_by_id', sa.String(length=36), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('settled_by_id', sa.String(length=36), nullable=True),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("kind IN ('home_visit', 'call', 'school_visit', 'family_meeting')",
                           name=op.f('ck_case_follow_ups_kind_known')),
        sa.CheckConstraint("state IN ('scheduled', 'done', 'missed')",
                           name=op.f('ck_case_follow_ups_state_known')),
        sa.ForeignKeyConstraint(['assignee_id'], ['users.id'],
                                name=op.f('fk_case_follow_ups_assignee_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_follow_ups_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['scheduled_by_id'], ['users.id'],
                                name=op.f('fk_case_follow_ups_scheduled_by_id_users')),
        sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'],
                                name=op.f('fk_case_follow_ups_settled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_follow_ups')))
    with op.batch_alter_table('case_follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_case_follow_ups_case_due', ['case_id', 'state', 'due_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('case_follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_case_follow_ups_case_due')
    op.drop_table('case_follow_ups')
    with op.batch_alter_table('case_goal_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_goal_progress_goal_id'))
        batch_op.drop_index(batch_op.f('ix_case_goal_progress_case_id'))
    op.drop_table('case_goal_progress')
    with op.batch_alter_table('case_plan_goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_plan_goals_case_id'))
    op.drop_table('case_plan_goals')
