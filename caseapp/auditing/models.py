"""Indexes the app keeps beside the audit log (the log itself is ``audit``'s table).

``audit_entry_cases``: which cases one entry about several cases names. A page
of the API's case list is one "case.list" entry naming every reference shown
(its details, under the chain's MAC); this table repeats them, one row per
case, written in the entry's own transaction, so the case page's "who has
seen this child" finds the entries about one case through an index instead of
reading every list entry's details. The rows are append-only (triggers, like
the log's), and ``caseapp audit verify`` checks them against the entries'
MAC'd details, so a row removed to hide a reader is found.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table

from caseapp.extensions import db

# The log's seq type (a 64-bit integer; SQLite's INTEGER is).
_SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")

audit_entry_cases = Table(
    "audit_entry_cases", db.metadata,
    Column("seq", _SEQ_TYPE, primary_key=True, autoincrement=False),
    Column("reference", String(16), primary_key=True),
    # The child's details were in what the entry records handing out.
    Column("child_data", Boolean, nullable=False),
    Index("ix_audit_entry_cases_reference_seq", "reference", "seq"),
)

# The same guard as the log's (``audit.triggers``): rows are written once.
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
