"""What other layers read back from the audit log, in one place.

Rate limits count entries (shared by every process), the case page lists who
viewed a child's data, break-glass is valid only with its own genuine entry,
and `keys seal-rows` asks whether a row's creation was recorded. Nothing
else queries the audit table (nor its index of entries about several cases,
``audit_entry_cases``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, inspect, select

import audit
from caseapp import clock
from caseapp.extensions import db

from .models import audit_entry_cases
from .writer import GENESIS_ACTION

ENTRIES = audit.audit_entries
T = ENTRIES.c


def count_entries(action: str, *, actor_id: str | None = None,
                  since: datetime | None = None) -> int:
    query = select(func.count()).select_from(ENTRIES).where(T.action == action)
    if actor_id is not None:
        query = query.where(T.actor_id == actor_id)
    if since is not None:
        query = query.where(T.occurred_at > since)
    return db.session.scalar(query) or 0


def recent_count(action: str, actor_id: str, window: timedelta) -> int:
    return count_entries(action, actor_id=actor_id, since=clock.now() - window)


@dataclass(frozen=True)
class CaseEntry:
    seq: int
    at: datetime
    action: str
    actor_id: str | None
    actor_role: str | None
    details: dict


def _details(raw) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def case_entries(reference: str, actions: tuple[str, ...]) -> list[CaseEntry]:
    """The genuine ("ok") entries of ``actions`` about one case, newest first."""
    rows = db.session.execute(
        select(T.seq, T.occurred_at, T.action, T.actor_id, T.actor_role, T.details)
        .where(T.object_type == "case", T.object_id == reference, T.action.in_(actions),
               T.outcome == "ok")
        .order_by(T.seq.desc())).all()
    return [CaseEntry(r.seq, clock.as_utc(r.occurred_at), r.action, r.actor_id, r.actor_role,
                      _details(r.details)) for r in rows]


def listed_entries(reference: str, actions: tuple[str, ...]) -> list[CaseEntry]:
    """The genuine entries of ``actions`` about several cases that handed out
    case ``reference``'s child data (a listed page), newest first: found
    through ``audit_entry_cases`` (an index range), kept only where the entry's
    own details (under the chain's MAC) name the reference among "child"."""
    side = audit_entry_cases.c
    rows = db.session.execute(
        select(T.seq, T.occurred_at, T.action, T.actor_id, T.actor_role, T.details)
        .join(audit_entry_cases, side.seq == T.seq)
        .where(side.reference == reference, side.child_data.is_(True),
               T.action.in_(actions), T.outcome == "ok")
        .order_by(T.seq.desc())).all()
    found = [CaseEntry(r.seq, clock.as_utc(r.occurred_at), r.action, r.actor_id, r.actor_role,
                       _details(r.details)) for r in rows]
    return [e for e in found if reference in (e.details.get("child") or ())]


def case_access_counts(reference: str, actions: tuple[str, ...],
                       list_actions: tuple[str, ...]) -> tuple[int, int]:
    """(people, entries) of the genuine entries that case_entries(``actions``)
    and listed_entries(``list_actions``) read (the case page's summary line;
    the entries themselves are on the who-viewed page): the case's own
    entries counted in SQL by actor, the listed pages read as the page reads
    them (kept only where their MAC'd details name the child), so a row added
    to the index by hand cannot raise the count (hostile review). People are
    counted as the page folds them, an entry without an actor as one."""
    by_actor = dict(db.session.execute(
        select(T.actor_id, func.count())
        .where(T.object_type == "case", T.object_id == reference,
               T.action.in_(actions), T.outcome == "ok")
        .group_by(T.actor_id)).all())
    listed = listed_entries(reference, list_actions)
    people = set(by_actor) | {e.actor_id for e in listed}
    return len(people), sum(by_actor.values()) + len(listed)


def latest_genuine(reference: str, actions: tuple[str, ...],
                   relevant=lambda entry: True) -> CaseEntry | None:
    """The newest entry of ``actions`` about case ``reference`` for which
    ``relevant(entry)`` holds, if it is genuine (its MAC checked with the key
    outside the database); None when there is none or it was forged."""
    for entry in case_entries(reference, actions):
        if not relevant(entry):
            continue
        mac_key = current_app.extensions["caseapp_keys"].audit_mac_key
        if not audit.entry_is_authentic(db.session.connection(), mac_key, entry.seq):
            return None
        return entry
    return None


def logged_fact(action: str, *, reference: str, actor_id: str, detail: tuple[str, str],
                object_type: str = "case") -> CaseEntry | None:
    """The newest entry of ``action`` about ``reference`` (a case's reference, or
    the id of an object of ``object_type``) by ``actor_id`` whose details hold
    ``detail`` (key, value), if it is genuine: its MAC is checked with the key
    outside the database, so a row written by hand proves nothing."""
    key, value = detail
    row = db.session.execute(
        select(T.seq, T.occurred_at, T.action, T.actor_id, T.actor_role, T.details)
        .where(T.action == action, T.object_type == object_type, T.object_id == reference,
               T.actor_id == actor_id, T.outcome == "ok",
               T.details.contains(f'"{key}":"{value}"', autoescape=True))
        .order_by(T.seq.desc()).limit(1)).first()
    if row is None:
        return None
    mac_key = current_app.extensions["caseapp_keys"].audit_mac_key
    if not audit.entry_is_authentic(db.session.connection(), mac_key, row.seq):
        return None
    return CaseEntry(row.seq, clock.as_utc(row.occurred_at), row.action, row.actor_id,
                     row.actor_role, _details(row.details))


def instance_has_row_macs() -> bool:
    """The log's first entry says the instance was made with row MACs. A first
    entry that is not genuine counts as yes: the log was tampered with, and
    nothing should be sealed on its word."""
    first = db.session.execute(select(T.seq, T.action, T.details).order_by(T.seq).limit(1)
                               ).first()
    if first is None:
        return False
    mac_key = current_app.extensions["caseapp_keys"].audit_mac_key
    if not audit.entry_is_authentic(db.session.connection(), mac_key, first.seq):
        return True
    return bool(first.action == GENESIS_ACTION and _details(first.details).get("row_macs"))


# Which entry records the creation of a row of each sealed table (rows from
# before row MACs are sealed only when it exists).
_CREATION = {"users": ("user.create", "id"), "cases": ("case.create", "reference"),
             "units": ("unit.create", "code"), "case_assignees": ("case.assign", None),
             "break_glass_accesses": ("case.break_glass", None),
             "account_changes": ("account_change.requested", None)}


def creation_recorded(table: str, row) -> bool:
    action, column = _CREATION.get(table, (None, None))
    if action is None:
        return False
    if column is not None:
        return count_object(action, str(getattr(row, column))) > 0
    if table == "case_assignees":
        reference = db.session.execute(select(db.metadata.tables["cases"].c.reference).where(
            db.metadata.tables["cases"].c.id == row.case_id)).scalar()
        return reference is not None and count_object(action, reference) > 0
    if table == "break_glass_accesses":
        return db.session.scalar(select(func.count()).select_from(ENTRIES).where(
            T.action == action, T.details.contains(f'"access_id":"{row.id}"',
                                                   autoescape=True))) > 0
    return db.session.scalar(select(func.count()).select_from(ENTRIES).where(
        T.action == action, T.details.contains(f'"change":"{row.id}"', autoescape=True))) > 0


def count_object(action: str, object_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(ENTRIES).where(
        T.action == action, T.object_id == object_id)) or 0


def row_label(row) -> str:
    """Ids only, never names: what `keys seal-rows` lists."""
    mapper = inspect(type(row))
    return "/".join(str(getattr(row, col.key)) for col in mapper.primary_key)
