"""The partner tokens' list reads its pages by an index (issue 16)

The admin's tokens screen is newest first, a page at a time: a keyset on
(created_at, id), served by this index.

Revision ID: c4a8e2f1d6b3
Revises: b7e41c9d2a58
Create Date: 2026-12-03 17:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4a8e2f1d6b3'
down_revision = 'b7e41c9d2a58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partner_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_partner_tokens_list_order', ['created_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('partner_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_tokens_list_order')
