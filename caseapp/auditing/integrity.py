"""Rows that grant access are believed only when their MAC is genuine.

A row a database writer forged or changed (an assignment inserted by hand,
a role raised, a case moved to another unit, a break-glass stretched) is
treated as absent by every rule, and reported once per request in the audit
log as "integrity.violation" (the table and the row's id; never values).
"""
from __future__ import annotations

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import inspect

from caseapp.crypto.row_integrity import _INTACT as CHECKED
from caseapp.crypto.row_integrity import is_intact

from .writer import record

_REPORTED = "integrity_reported"
_GENUINE = "caseapp.integrity_genuine"  # in the request's environ: one request only


def intact(row, *, actor=None) -> bool:
    """True when ``row`` (a user, case, assignment or break-glass) is as the app
    wrote it; otherwise report it and answer False.

    A row read again in the same HTTP request (the session expires what it
    holds when the request's audit entry is written) with the very values
    found genuine earlier in this request -- same version, same MAC, same
    access columns -- is not checked a second time (its MAC and its anchor,
    three statements); any other value is checked in full, and so is every
    row in a later request, a command or a job."""
    if row is None:
        return False
    unwrap = getattr(row, "_get_current_object", None)
    obj = unwrap() if unwrap is not None else row
    known = None
    if CHECKED not in obj.__dict__ and has_request_context():
        known = _version_seen(obj)
        # (reading the values may have re-read the row: a MAC that no longer
        # matches marks it at once, and then it is not taken as seen)
        seen = request.environ.get(_GENUINE, ())
        if known is not None and known in seen and CHECKED not in obj.__dict__:
            return True
    if is_intact(obj):
        if known is not None:
            request.environ.setdefault(_GENUINE, set()).add(known)
        return True
    report(obj, actor=actor)
    return False


def _version_seen(obj) -> tuple | None:
    """What a check of ``obj`` decides on: its identity, version, MAC and access columns."""
    state = inspect(obj)
    if state.identity is None:
        return None
    try:
        key = (type(obj), state.identity, obj.access_version, obj.access_mac,
               tuple(getattr(obj, name) for name in obj.__access_fields__))
        hash(key)
    except TypeError:
        return None
    return key


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
