"""Reading the audit log: the one scoped query, its filters, pages and export.

Who sees what is decided here, so the web page, the export and any later
API answer the same: admins the whole log, supervisors the entries of their
unit subtree, everyone else nothing. Reading is itself recorded ("audit.view",
"audit.export") with a summary of the filters that holds only values found
in the log, never free text someone typed (a search box is where a child's
name would end up).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, literal, select

import audit
from caseapp import clock, permissions
from caseapp.accounts.models import User
from caseapp.accounts.service import normalise_username
from caseapp.auditing.writer import record
from caseapp.extensions import db
from caseapp.units.models import Unit

PAGE_SIZE = 50
EXPORT_BATCH = 1000
OUTCOMES = ("ok", "denied", "failed")

T = audit.audit_entries
C = T.c


def can_read_audit_log(user) -> bool:
    """Admins (whole log) and supervisors (their unit subtree)."""
    return bool(user and user.is_authenticated and user.is_enabled
                and user.role in ("admin", "supervisor"))


def _scope(user, *, ordered: bool = False) -> Any:
    """The WHERE clause of what ``user`` may read; PermissionDenied otherwise.

    ``ordered``: for a page read newest first (LIMIT 51). A supervisor's
    subtree is most of a district's log: on SQLite (no statistics) the unit
    path's index would fetch all of it and sort it, where walking seq backwards
    and skipping other units' entries stops after a page; the path compared as
    an expression (``unit_path || ''``) is the same test without its index."""
    permissions.require(can_read_audit_log(user),
                        _l("Only administrators and supervisors can read the audit log."))
    if user.role == "admin":
        return None
    if ordered and db.session.get_bind().dialect.name == "sqlite":
        prefix = user.unit.path
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        path = C.unit_path.op("||")(literal(""))
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return and_(path >= prefix, path < upper, path.like(escaped + "%", escape="\\"))
    return audit.in_unit_subtree(user.unit.path)


@dataclass(frozen=True)
class AuditFilter:
    """What the reader asked for; every field optional. Dates are local
    calendar days (the app's time zone), both ends included."""

    username: str | None = None
    reference: str | None = None
    action: str | None = None
    outcome: str | None = None
    date_from: date | None = None
    date_to: date | None = None

@dataclass(frozen=True)
class Entry:
    """One entry as the reader sees it (actor resolved to a username)."""

    seq: int
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    actor_role: str | None
    actor_name: str | None
    client_addr: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    request_id: str | None
    unit_path: str | None
    unit_name: str | None
    details: str
    mac: str

    @property
    def details_items(self) -> list[tuple[str, Any]]:
        try:
            parsed = json.loads(self.details)
        except ValueError:
            return [("?", self.details)]
        if not isinstance(parsed, dict):
            return [("?", self.details)]
        # A case's "facts" (the report's source: codes and times) stay in the log
        # for `caseapp report --verify`; no screen or export shows them (with a
        # day and a school they could point to a child, and admins see no case).
        return sorted((k, v) for k, v in parsed.items() if k != "facts")

    @property
    def details_shown(self) -> str:
        """The details as the CSV export writes them: without the facts."""
        items = self.details_items
        if items and items[0][0] == "?":
            return self.details
        return json.dumps(dict(items), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    older: int | None  # pass as ``before`` for the next (older) page
    newer: int | None  # pass as ``after`` for the previous (newer) page


def _day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.local_timezone()).astimezone(UTC)


def _actor_ids(username: str) -> list[str] | None:
    """Ids for a typed username: None = actor_type "system"; [] = no match."""
    name = normalise_username(username)
    if name == "system":
        return None
    user_id = db.session.scalar(select(User.id).where(User.username == name))
    return [user_id] if user_id else []


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _action_clause(action: str):
    # "auth." or "auth.*" selects a family of actions; anything else is exact.
    action = action.removesuffix("*")
    if action.endswith("."):
        return C.action.like(_like_prefix(action), escape="\\")
    return C.action == action


def _conditions(user, filters: AuditFilter, *, ordered: bool = False) -> list:
    conditions = []
    scope = _scope(user, ordered=ordered)
    if scope is not None:
        conditions.append(scope)
    if filters.username:
        ids = _actor_ids(filters.username)
        if ids is None:
            conditions.append(C.actor_type == "system")
        elif ids:
            conditions.append(C.actor_id == ids[0])
        else:
            conditions.append(C.seq.is_(None))  # matches nothing (seq is the key)
    if filters.reference:
        conditions.append(C.object_id == filters.reference.strip())
    if filters.action:
        conditions.append(_action_clause(filters.action.strip()))
    if filters.outcome:
        conditions.append(C.outcome == filters.outcome)
    if filters.date_from:
        conditions.append(C.occurred_at >= _day_start_utc(filters.date_from))
    if filters.date_to:
        conditions.append(C.occurred_at < _day_start_utc(filters.date_to + timedelta(days=1)))
    return conditions


def visible_entries(user, filters: AuditFilter | None = None, *,
                    ordered: bool = False) -> Select:
    """The scoped query: entries ``user`` may read, filtered. Unordered
    (``ordered``: for a page read in seq order, see :func:`_scope`)."""
    conditions = _conditions(user, filters or AuditFilter(), ordered=ordered)
    query = select(T)
    return query.where(and_(*conditions)) if conditions else query


def _usernames(ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {key: value for key, value in rows}


def _unit_names(paths: set[str]) -> dict[str, str]:
    if not paths:
        return {}
    rows = db.session.execute(select(Unit.path, Unit.name).where(Unit.path.in_(paths)))
    return {key: value for key, value in rows}


def _entries(rows) -> list[Entry]:
    names = _usernames({r.actor_id for r in rows if r.actor_type == "user" and r.actor_id})
    units = _unit_names({r.unit_path for r in rows if r.unit_path})
    return [Entry(
        seq=r.seq, occurred_at=clock.as_utc(r.occurred_at), actor_type=r.actor_type,
        actor_id=r.actor_id, actor_role=r.actor_role,
        actor_name=names.get(r.actor_id) if r.actor_id else None,
        client_addr=r.client_addr, action=r.action, object_type=r.object_type,
        object_id=r.object_id, outcome=r.outcome, request_id=r.request_id,
        unit_path=r.unit_path, unit_name=units.get(r.unit_path), details=r.details, mac=r.mac,
    ) for r in rows]


def search(user, filters: AuditFilter, *, before: int | None = None, after: int | None = None,
           per_page: int = PAGE_SIZE) -> Page:
    """One page, newest first, by keyset on seq: ``before`` gives the page
    of older entries, ``after`` the page of newer ones, neither the newest."""
    query = visible_entries(user, filters, ordered=True)
    if after is not None:
        rows = db.session.execute(
            query.where(C.seq > after).order_by(C.seq.asc()).limit(per_page + 1)).all()
        more_newer = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        entries = _entries(rows)
        older = entries[-1].seq if entries else None
        newer = entries[0].seq if entries and more_newer else None
        if older is not None and not _exists(query.where(C.seq < older)):
            older = None
        return Page(entries, older, newer)
    query_page = query.where(C.seq < before) if before is not None else query
    rows = db.session.execute(query_page.order_by(C.seq.desc()).limit(per_page + 1)).all()
    entries = _entries(rows[:per_page])
    older = entries[-1].seq if entries and len(rows) > per_page else None
    newer = None
    if before is not None and entries and _exists(query.where(C.seq > entries[0].seq)):
        newer = entries[0].seq
    return Page(entries, older, newer)


def _exists(query: Select) -> bool:
    return db.session.execute(query.with_only_columns(C.seq).limit(1)).first() is not None


def filter_summary(user, filters: AuditFilter) -> dict[str, Any]:
    """The filters, for the reader's own audit entry, holding only values the
    log itself contains (a user's id, a reference or action found in the
    entries the reader may see), so that nothing typed in a search box --
    perhaps a child's name -- is copied into the log."""
    summary: dict[str, Any] = {}
    scope = _scope(user)
    scoped = select(C.seq) if scope is None else select(C.seq).where(scope)
    if filters.username:
        ids = _actor_ids(filters.username)
        summary["actor"] = "system" if ids is None else (ids[0] if ids else "(no match)")
    if filters.reference:
        ref = filters.reference.strip()
        found = _exists(scoped.where(C.object_id == ref))
        summary["reference"] = ref if found else "(no match)"
    if filters.action:
        clause = _action_clause(filters.action.strip())
        found = _exists(scoped.where(clause))
        summary["action"] = filters.action.strip() if found else "(no match)"
    if filters.outcome:
        summary["outcome"] = filters.outcome
    if filters.date_from:
        summary["from"] = filters.date_from.isoformat()
    if filters.date_to:
        summary["to"] = filters.date_to.isoformat()
    return summary


def read_page(user, filters: AuditFilter, *, before: int | None = None,
              after: int | None = None) -> Page:
    """:func:`search`, recorded as "audit.view"."""
    page = search(user, filters, before=before, after=after)
    details = filter_summary(user, filters)
    details["shown"] = len(page.entries)
    if before is not None:
        details["before"] = before
    if after is not None:
        details["after"] = after
    record("audit.view", actor=user, object_type="audit_log", details=details)
    return page


def export(user, filters: AuditFilter) -> Iterator[Entry]:
    """Record "audit.export" now and return the entries of the filtered view,
    newest first, as an iterator for a streamed response.

    The request commits the entry before the body streams, so no row leaves
    the server unrecorded. The iterator runs after the request has ended:
    it reads in keyset batches from the head as it was when the export
    started (the export does not list itself), each batch in an app context
    and a transaction of its own, so a long download holds no connection and,
    on SQLite, no write lock (every transaction there is BEGIN IMMEDIATE).
    """
    query = visible_entries(user, filters)
    head = db.session.execute(
        query.with_only_columns(C.seq).order_by(C.seq.desc()).limit(1)).scalar()
    details = filter_summary(user, filters)
    details["head"] = head or 0
    record("audit.export", actor=user, object_type="audit_log", details=details)
    return _export_rows(current_app._get_current_object(), query, head)


def _export_rows(app, query: Select, head: int | None) -> Iterator[Entry]:
    if head is None:
        return
    before = head + 1
    while True:
        # No context stays pushed across a yield: the server may resume the
        # generator in another context (thread, greenlet, contextvars copy).
        with app.app_context():
            rows = db.session.execute(
                query.where(C.seq < before).order_by(C.seq.desc()).limit(EXPORT_BATCH)).all()
            entries = _entries(rows)
        yield from entries
        if len(rows) < EXPORT_BATCH:
            return
        before = rows[-1].seq


def case_trail(object_id: str, *, object_type: str = "case",
               limit: int | None = 500) -> list[Entry]:
    """The entries about one case (by reference), oldest first, for the case
    page. The caller has already decided the reader may see the case; the
    trail holds no child data, only who did what and when."""
    query = (select(T).where(C.object_type == object_type, C.object_id == object_id)
             .order_by(C.seq.desc()))
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    return list(reversed(_entries(rows)))
