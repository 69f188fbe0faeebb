"""Make the database itself refuse to rewrite history.

The HMAC chain proves tampering after the fact; these triggers stop the
ordinary ways of doing it in the first place: an application bug, an injected
statement or a hurried operator cannot UPDATE, DELETE or TRUNCATE audit rows,
and cannot slip a row in anywhere but directly after the head. Someone who
controls the schema can drop the triggers -- that is what the chain and the
signed checkpoints are for.

The statements are plain strings (no bind parameters, no colons, no percent
signs) so the app's Alembic migration can pass each one to ``op.execute``.
"""
from __future__ import annotations

MESSAGE = "audit_entries is append-only"

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_entries_no_update
BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete
BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
    # INSERT OR REPLACE deletes the old row *without* firing delete triggers
    # (unless recursive_triggers is on), so an insert may only extend the head.
    f"""CREATE TRIGGER IF NOT EXISTS audit_entries_append_at_head
BEFORE INSERT ON audit_entries
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_entries)
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE} (seq must follow the head)');
END""",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_entries_append_at_head",
    "DROP TRIGGER IF EXISTS audit_entries_no_delete",
    "DROP TRIGGER IF EXISTS audit_entries_no_update",
]

_PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = '{MESSAGE}',
        DETAIL = TG_OP || ' on audit_entries refused',
        ERRCODE = 'insufficient_privilege';
END
$fn$""",
    f"""CREATE OR REPLACE FUNCTION audit_entries_check_head() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.seq IS DISTINCT FROM
            (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_entries) THEN
        RAISE EXCEPTION USING
            MESSAGE = '{MESSAGE} (seq must follow the head)',
            ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$""",
    "DROP TRIGGER IF EXISTS audit_entries_no_update_delete ON audit_entries",
    """CREATE TRIGGER audit_entries_no_update_delete
BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()""",
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    """CREATE TRIGGER audit_entries_no_truncate
BEFORE TRUNCATE ON audit_entries
FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change()""",
    "DROP TRIGGER IF EXISTS audit_entries_append_at_head ON audit_entries",
    """CREATE TRIGGER audit_entries_append_at_head
BEFORE INSERT ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_check_head()""",
]

_PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_entries_append_at_head ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_no_update_delete ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_check_head()",
    "DROP FUNCTION IF EXISTS audit_entries_refuse_change()",
]

_BY_DIALECT = {
    "sqlite": (_SQLITE_INSTALL, _SQLITE_DROP),
    "postgresql": (_PG_INSTALL, _PG_DROP),
}


def _lookup(dialect_name: str) -> tuple[list[str], list[str]]:
    try:
        return _BY_DIALECT[dialect_name]
    except KeyError:
        raise ValueError(
            f"no append-only triggers for dialect {dialect_name!r} "
            "(supported: sqlite, postgresql)"
        ) from None


def install_sql(dialect_name: str) -> list[str]:
    """DDL that makes ``audit_entries`` append-only; run after creating it.

    Idempotent: running it twice leaves one set of triggers.
    """
    return list(_lookup(dialect_name)[0])


def drop_sql(dialect_name: str) -> list[str]:
    """DDL that removes what :func:`install_sql` created (for downgrades)."""
    return list(_lookup(dialect_name)[1])
