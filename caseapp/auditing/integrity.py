"""Rows that grant access are believed only when their MAC is genuine.

A row a database writer forged or changed (an assignment inserted by hand,
a role raised, a case moved to another unit, a break-glass stretched) is
treated as absent by every rule, and reported once per request in the audit
log as "integrity.violation" (the table and the row's id; never values).
"""
from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import inspect

from caseapp.crypto.row_integrity import is_intact

from .writer import record

_REPORTED = "integrity_reported"


def intact(row, *, actor=None) -> bool:
    """True when ``row`` (a user, case, assignment or break-glass) is as the app
    wrote it; otherwise report it and answer False."""
    if row is None or is_intact(row):
        return row is not None
    report(row, actor=actor)
    return False


def report(row, *, actor=None) -> None:
    unwrap = getattr(row, "_get_current_object", None)
    if unwrap is not None:
        row = unwrap()
    mapper = inspect(type(row))
    table = mapper.local_table.name
    key = [str(getattr(row, col.key)) for col in mapper.primary_key]
    row_id = "/".join(key)[:120]
    if has_app_context():
        seen = g.setdefault(_REPORTED, set())
        if (table, row_id) in seen:
            return
        seen.add((table, row_id))
    # A case is named by its reference, like every other entry about it.
    object_id = getattr(row, "reference", None) or key[-1]
    record("integrity.violation", outcome="denied", actor=actor or "system",
           object_type=table, object_id=str(object_id)[:64],
           details={"table": table, "row": row_id})
