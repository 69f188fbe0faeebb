"""The units' tree is read a page at a time by an index (issue 16)

The admin's units page and the schools without an awareness session are
keyset pages on (path, id); this index serves that order and, by its first
column, every "this unit and those below it" prefix match the path index
served, so it takes that index's place. On PostgreSQL the path is compared
byte-wise (collation "C", as the audit log's copy of it): under a locale's
collation "/1/20/" would sort between "/1/2/" and "/1/2/5/" and a prefix
match could not use the index.

Revision ID: f7d2b5c9a3e1
Revises: e6c1a4f8b2d7
Create Date: 2026-12-04 17:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f7d2b5c9a3e1'
down_revision = 'e6c1a4f8b2d7'
branch_labels = None
depends_on = None


def _path_collation(collation):
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('units', 'path', type_=sa.String(255, collation=collation),
                        existing_type=sa.String(255), existing_nullable=False)


def upgrade():
    _path_collation('C')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('ix_units_tree_order', ['path', 'id'], unique=False)
        batch_op.drop_index('ix_units_path')


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('ix_units_path', ['path'], unique=False)
        batch_op.drop_index('ix_units_tree_order')
    _path_collation('default')
