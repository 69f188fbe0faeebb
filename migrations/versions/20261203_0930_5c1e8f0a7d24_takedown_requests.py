"""Harmful content of a case and the requests to take it down (issue 17)

Revision ID: 5c1e8f0a7d24
Revises: f17a0c5d2b61
Create Date: 2026-12-03 09:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c1e8f0a7d24'
down_revision = 'f17a0c5d2b61'
branch_labels = None
depends_on = None

PLATFORMS = "platform IN ('facebook', 'tiktok', 'youtube', 'zalo', 'instagram', " \
    "'telegram', 'x', 'discord', 'other')"
KINDS = "kind IN ('post', 'account', 'group', 'link')"
CHANNELS = "channel IN ('platform_report', 'trusted_flagger', 'information_safety', 'police')"
OUTCOMES = "outcome IS NULL OR outcome IN ('removed', 'restricted', 'refused', 'no_answer')"


def upgrade():
    op.create_table(
        'case_takedown_items',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('link_index', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('link', sa.LargeBinary(), nullable=True),
        sa.Column('note', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(PLATFORMS, name=op.f('ck_case_takedown_items_platform_known')),
        sa.CheckConstraint(KINDS, name=op.f('ck_case_takedown_items_kind_known')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_takedown_items_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_case_takedown_items_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_takedown_items')))
    with op.batch_alter_table('case_takedown_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_takedown_items_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_case_takedown_items_link_index'), ['link_index'],
                              unique=False)

    op.create_table(
        'case_takedown_requests',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('item_id', sa.String(length=36), nullable=False),
        sa.Column('channel', sa.String(length=24), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('outcome_on', sa.Date(), nullable=True),
        sa.Column('outcome_by_id', sa.String(length=36), nullable=True),
        sa.Column('outcome_recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('overdue_notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ticket', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(CHANNELS, name=op.f('ck_case_takedown_requests_channel_known')),
        sa.CheckConstraint(OUTCOMES, name=op.f('ck_case_takedown_requests_outcome_known')),
        sa.CheckConstraint('(outcome IS NULL) = (outcome_on IS NULL)',
                           name=op.f('ck_case_takedown_requests_outcome_dated')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_takedown_requests_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['case_takedown_items.id'],
                                name=op.f('fk_case_takedown_requests_item_id_case_takedown_items'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_case_takedown_requests_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['outcome_by_id'], ['users.id'],
                                name=op.f('fk_case_takedown_requests_outcome_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_takedown_requests')))
    with op.batch_alter_table('case_takedown_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_takedown_requests_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_case_takedown_requests_item_id'), ['item_id'],
                              unique=False)
        batch_op.create_index('ix_takedown_requests_waiting', ['outcome', 'answer_due_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('case_takedown_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_takedown_requests_waiting')
        batch_op.drop_index(batch_op.f('ix_case_takedown_requests_item_id'))
        batch_op.drop_index(batch_op.f('ix_case_takedown_requests_case_id'))
    op.drop_table('case_takedown_requests')
    with op.batch_alter_table('case_takedown_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_takedown_items_link_index'))
        batch_op.drop_index(batch_op.f('ix_case_takedown_items_case_id'))
    op.drop_table('case_takedown_items')
