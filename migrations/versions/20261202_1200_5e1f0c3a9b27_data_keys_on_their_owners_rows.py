"""data keys on their owners' rows

Each key owner (users, cases, awareness_sessions, kept_forms) carries its own
wrapped data key, its KEK version and the time it was destroyed, so an owner
loads with its key and a new owner is written with it in one INSERT. The
``data_keys`` table goes. ``data_key_id`` stays on every owner row: it is
named in every sealed value and in the wrap, so no field is re-encrypted and
no key is re-wrapped by this migration (it needs no key file).

A data key whose row named another owner than the record pointing at it is
not copied (the app refused it already): that record's fields stay unreadable,
as before. Downgrade rebuilds ``data_keys`` from the owner rows.

Revision ID: 5e1f0c3a9b27
Revises: d41f0185a4de
Create Date: 2026-12-02 12:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e1f0c3a9b27'
down_revision = 'd41f0185a4de'
branch_labels = None
depends_on = None

OWNER_TABLES = ('users', 'cases', 'awareness_sessions', 'kept_forms')


def upgrade():
    for table in OWNER_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('data_key_wrapped', sa.LargeBinary(), nullable=True))
            batch_op.add_column(sa.Column('data_key_version', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('data_key_destroyed_at', sa.DateTime(timezone=True),
                                          nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_data_key_version'),
                                  ['data_key_version'], unique=False)
        # Only a key recorded for this very row is copied (table and id both match).
        op.execute(sa.text(
            f"UPDATE {table} SET "
            "data_key_wrapped = (SELECT k.wrapped FROM data_keys k WHERE k.id = "
            f"{table}.data_key_id AND k.owner_table = :owner AND k.owner_id = {table}.id), "
            "data_key_version = (SELECT k.kek_version FROM data_keys k WHERE k.id = "
            f"{table}.data_key_id AND k.owner_table = :owner AND k.owner_id = {table}.id), "
            "data_key_destroyed_at = (SELECT k.destroyed_at FROM data_keys k WHERE k.id = "
            f"{table}.data_key_id AND k.owner_table = :owner AND k.owner_id = {table}.id) "
            "WHERE data_key_id IS NOT NULL").bindparams(owner=table))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_data_key_id_data_keys', type_='foreignkey')

    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_data_keys_owner')
        batch_op.drop_index(batch_op.f('ix_data_keys_kek_version'))
    op.drop_table('data_keys')


def downgrade():
    op.create_table('data_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_table', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('kek_version', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_keys'))
    )
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_keys_kek_version'), ['kek_version'], unique=False)
        batch_op.create_index('ix_data_keys_owner', ['owner_table', 'owner_id'], unique=False)

    now = datetime.now(UTC)
    for table in OWNER_TABLES:
        # A key without a version was not copied up (it named another owner):
        # it goes back destroyed, which reads the same (unreadable).
        op.execute(sa.text(
            "INSERT INTO data_keys (id, owner_table, owner_id, kek_version, wrapped, "
            "created_at, destroyed_at) "
            "SELECT data_key_id, :owner, id, COALESCE(data_key_version, 0), "
            "CASE WHEN data_key_destroyed_at IS NULL THEN data_key_wrapped END, :now, "
            "CASE WHEN data_key_destroyed_at IS NULL AND data_key_wrapped IS NOT NULL "
            "THEN NULL ELSE COALESCE(data_key_destroyed_at, :now) END "
            f"FROM {table} WHERE data_key_id IS NOT NULL").bindparams(
                sa.bindparam('owner', table),
                sa.bindparam('now', now, type_=sa.DateTime(timezone=True))))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_data_key_id_data_keys'),
                                        'data_keys', ['data_key_id'], ['id'])
            batch_op.drop_index(batch_op.f(f'ix_{table}_data_key_version'))
            batch_op.drop_column('data_key_destroyed_at')
            batch_op.drop_column('data_key_version')
            batch_op.drop_column('data_key_wrapped')
