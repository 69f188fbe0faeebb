"""Family and caregivers: the people around the child and the household, sealed
under the case's key (issue 17)

Revision ID: 4f7a2c9e1d35
Revises: 9b3f6d2e8a17
Create Date: 2026-12-03 09:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4f7a2c9e1d35'
down_revision = '9b3f6d2e8a17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_family_members',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('relation', sa.LargeBinary(), nullable=True),
        sa.Column('full_name', sa.LargeBinary(), nullable=True),
        sa.Column('birth_year', sa.LargeBinary(), nullable=True),
        sa.Column('age', sa.LargeBinary(), nullable=True),
        sa.Column('occupation', sa.LargeBinary(), nullable=True),
        sa.Column('contact', sa.LargeBinary(), nullable=True),
        sa.Column('lives_with_child', sa.LargeBinary(), nullable=True),
        sa.Column('may_be_abuser', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_family_members_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_case_family_members_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_family_members')))
    with op.batch_alter_table('case_family_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_family_members_case_id'), ['case_id'],
                              unique=False)
    op.create_table(
        'case_family_households',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_by_id', sa.String(length=36), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lives_with', sa.LargeBinary(), nullable=True),
        sa.Column('circumstances', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_family_households_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_case_family_households_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_family_households')),
        sa.UniqueConstraint('case_id', name=op.f('uq_case_family_households_case_id')))


def downgrade():
    op.drop_table('case_family_households')
    with op.batch_alter_table('case_family_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_family_members_case_id'))
    op.drop_table('case_family_members')
