"""Break-glass: a supervisor's emergency, read-only, time-limited access to one case.

Services take the acting user explicitly, check permission through
:mod:`caseapp.permissions.cases`, write their audit entry and flush; the
request (or command) commits once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.auditing import reads as audit_reads
from caseapp.auditing.integrity import intact, report
from caseapp.auditing.writer import record
from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.guards import atomic, clean_text, ensure_visible
from caseapp.cases.models import Case
from caseapp.crypto import DecryptionError, unlock
from caseapp.crypto.row_integrity import prefetch
from caseapp.extensions import db
from caseapp.notifications.service import notify
from caseapp.paging import Key, Keyset, Window
from caseapp.permissions import cases as rules
from caseapp.units.models import Unit

from .models import BreakGlassAccess

REASON_MIN_LENGTH = 20
REASON_MAX_LENGTH = 2000
BREAK_GLASS_MINUTES_RANGE = (5, 240)


def minutes() -> int:
    """BREAK_GLASS_MINUTES, checked: an access must end on its own, soon."""
    value = current_app.config.get("BREAK_GLASS_MINUTES", 60)
    low, high = BREAK_GLASS_MINUTES_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"BREAK_GLASS_MINUTES must be a whole number from {low} to {high}")
    return value


def daily_limit() -> int:
    value = current_app.config.get("BREAK_GLASS_DAILY_LIMIT", 3)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("BREAK_GLASS_DAILY_LIMIT must be a whole number of at least 1")
    return value


def uses_last_day(actor, now: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(BreakGlassAccess).where(
        BreakGlassAccess.user_id == actor.id,
        BreakGlassAccess.started_at > now - timedelta(hours=24))) or 0


def break_glass(actor, case: Case, reason: str) -> BreakGlassAccess:
    """Give ``actor`` (a supervisor of the case's unit, not assigned to it)
    read-only access to the case's child data for BREAK_GLASS_MINUTES.

    The reason is sealed with the case's key; the audit entry holds the access
    id and the duration only. The assigned officers and the supervisors above
    the actor's unit are notified.
    """
    ensure_visible(actor, case, "break_glass")
    reason = clean_text(reason, "reason", required=True, max_length=REASON_MAX_LENGTH,
                        message=_l("Say why you need to see this child's details."))
    if len(reason) < REASON_MIN_LENGTH:
        raise CaseError(_l("Explain the emergency in at least %(n)d characters.",
                           n=REASON_MIN_LENGTH), field="reason")
    if rules.active_break_glass(actor, case) is not None:
        raise CaseError(_l("You already have emergency access to this case."), field="reason")
    duration = minutes()
    now = clock.now()
    # Refusals (assigned, outside, closed, purged) are audited by the permission module;
    # the daily limit is checked after, so that it cannot be used to probe cases.
    grant = rules.grant_break_glass(actor, case)
    if uses_last_day(actor, now) >= daily_limit():
        rules.record_denial(actor, case, action="break_glass_limit")
        raise CaseError(_l("You have used emergency access %(n)d times in 24 hours. Ask your "
                           "own supervisor, or the officer's unit, to act on this case.",
                           n=daily_limit()), field="reason")
    unlock(case, grant=grant)
    with atomic():
        access = BreakGlassAccess(case_id=case.id, case=case, user_id=actor.id,
                                  unit_path=actor.unit.path, started_at=now,
                                  expires_at=now + timedelta(minutes=duration))
        access.reason = reason
        db.session.add(access)
        db.session.flush()
        record("case.break_glass", actor=actor, object_type="case", object_id=case.reference,
               unit_path=case.unit.path, details={"access_id": access.id, "minutes": duration})
        notify(notification_recipients(actor, case), "break_glass",
               case_reference=case.reference, at=now)
    return access


def end_break_glass(actor, access_id: str) -> BreakGlassAccess:
    """End ``actor``'s own active access early. Someone else's access does not exist for them."""
    access = db.session.get(BreakGlassAccess, access_id) if access_id else None
    if access is None or access.user_id != getattr(actor, "id", None) \
            or not access.is_active():
        raise CaseError(_l("This emergency access has already ended."))
    now = clock.now()
    with atomic():
        access.ended_at = now
        used = max(int((now - clock.as_utc(access.started_at)).total_seconds() // 60), 0)
        record("case.break_glass_end", actor=actor, object_type="case",
               object_id=access.case.reference, unit_path=access.case.unit.path,
               details={"access_id": access.id, "minutes_used": used})
    return access


def ancestor_paths(path: str) -> list[str]:
    """"/1/7/12/" -> ["/1/", "/1/7/"]: the units above, not the unit itself."""
    parts = [p for p in (path or "").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def notification_recipients(actor, case: Case) -> list[str]:
    """Who is told of a break-glass: the case's assigned people (and its last
    lead officer, should the case have been taken from them), and every
    supervisor from the case's unit up to the top (the actor's peers and
    their own supervisors). If that is nobody but the actor, the admins."""
    ids = {uid for uid in [case.lead_officer_id, *case.assignee_ids] if uid}
    ids |= set(db.session.scalars(
        select(User.id).join(Unit, User.unit_id == Unit.id)
        .where(User.role == "supervisor",
               Unit.path.in_([*ancestor_paths(case.unit.path), case.unit.path]))))
    enabled = set(db.session.scalars(
        select(User.id).where(User.id.in_(ids), User.is_enabled.is_(True)))) if ids else set()
    enabled.discard(actor.id)
    if not enabled:
        enabled = set(db.session.scalars(
            select(User.id).where(User.role == "admin", User.is_enabled.is_(True))))
    return sorted(enabled)


def accesses_of_case(case: Case) -> list[BreakGlassAccess]:
    """Genuine accesses only: a row written by hand is left out (and reported)."""
    return [a for a in db.session.scalars(select(BreakGlassAccess)
                                          .where(BreakGlassAccess.case_id == case.id)
                                          .order_by(BreakGlassAccess.started_at.desc()))
            if intact(a)]


OVERSIGHT_DAYS = 30


def accesses_in_scope(supervisor, *, days: int = OVERSIGHT_DAYS) -> list[BreakGlassAccess]:
    """The break-glass uses of the last ``days`` days on cases of the supervisor's
    subtree, newest first (older ones are in the audit log, "case.break_glass")."""
    return [a for a in db.session.scalars(
        select(BreakGlassAccess).join(Case, BreakGlassAccess.case_id == Case.id)
        .where(queries.scope_clause(supervisor),
               BreakGlassAccess.started_at > clock.now() - timedelta(days=days))
        .order_by(BreakGlassAccess.started_at.desc()).limit(500)) if intact(a)]


# The supervision page's list: the newest use first.
ACCESS_KEYSET = Keyset(Key(BreakGlassAccess.started_at, "time", descending=True),
                       Key(BreakGlassAccess.id, "str", descending=True))


def _recent_in_scope(supervisor, days: int, *, ordered: bool = False):
    return (select(BreakGlassAccess).join(Case, BreakGlassAccess.case_id == Case.id)
            .where(queries.scope_clause(supervisor, ordered=ordered),
                   BreakGlassAccess.started_at > clock.now() - timedelta(days=days)))


def _uses_in_scope(supervisor, period):
    """How many uses within ``period`` (a test of started_at) fall on cases of the
    supervisor's scope: the uses read by their time index, each case looked up
    by its id (a join would let SQLite read every case of the subtree first)."""
    in_scope = select(Case.id).where(Case.id == BreakGlassAccess.case_id,
                                     queries.scope_clause(supervisor)).exists()
    return db.session.scalar(select(func.count()).select_from(BreakGlassAccess)
                             .where(period, in_scope)) or 0


def accesses_window(supervisor, *, after: str | None = None, before: str | None = None,
                    size: int = 50, days: int = OVERSIGHT_DAYS) -> Window:
    """One page of the last ``days`` days' uses in the supervisor's subtree (each
    with its case, in the same query), newest first, from ``after`` or back from
    ``before``, with the tokens of the pages on either side. A use whose row was
    changed outside the app is left out and reported."""
    def fetch(statement) -> list:
        rows = list(db.session.scalars(statement))
        prefetch(rows)  # the rows' anchors in one query, and their cases' in another
        prefetch([a.case for a in rows])
        return rows

    return ACCESS_KEYSET.read(_recent_in_scope(supervisor, days, ordered=True).options(
        contains_eager(BreakGlassAccess.case)), after, before, size, fetch, keep=intact)


def count_accesses_in_scope(supervisor, *, days: int = OVERSIGHT_DAYS) -> int:
    """As many as :func:`accesses_window` walks (the same period, the same scope)."""
    return _uses_in_scope(
        supervisor, BreakGlassAccess.started_at > clock.now() - timedelta(days=days))


def older_uses_in_scope(supervisor, *, days: int = OVERSIGHT_DAYS) -> int:
    return _uses_in_scope(
        supervisor, BreakGlassAccess.started_at <= clock.now() - timedelta(days=days))


def readable_reasons(reader, accesses) -> dict[str, str]:
    """The reasons ``reader`` may read (their own, or on cases whose child data
    they may see), each decryption checked and audited by the permission module."""
    reasons: dict[str, str] = {}
    for access in accesses:
        if rules.can_read_break_glass_reason(reader, access):
            unlock(access.case, grant=rules.grant_break_glass_reason(reader, access))
            reasons[access.id] = reason_or_unreadable(access)
    return reasons


def reason_or_unreadable(access: BreakGlassAccess) -> str:
    """The reason (the case's key already unlocked), or a word saying it cannot be
    read: a record tampered with in the database is reported, never a 500."""
    try:
        return access.reason or ""
    except DecryptionError:
        report(access)
        return str(UNREADABLE)


UNREADABLE = _l("(unreadable: this record was changed outside the app and has been reported)")


def access_by_id(access_id: str) -> BreakGlassAccess | None:
    """An access by its id (a UUID; anything longer is no access)."""
    return db.session.get(BreakGlassAccess, access_id) if len(access_id) <= 36 else None


def active_access(user, case) -> BreakGlassAccess | None:
    """``user``'s unexpired, unended break-glass access to ``case``, or None
    (registered with :mod:`caseapp.permissions.cases`, which decides with it).

    The row alone is not trusted: its MAC must hold, and its own
    "case.break_glass" audit entry must exist, carry a genuine MAC (which
    only the holder of the audit key can make) and still be within its
    minutes, so a row written or extended by hand opens nothing.
    """
    access = db.session.scalar(
        select(BreakGlassAccess)
        .where(BreakGlassAccess.user_id == user.id, BreakGlassAccess.case_id == case.id,
               BreakGlassAccess.ended_at.is_(None),
               BreakGlassAccess.expires_at > clock.now())
        .order_by(BreakGlassAccess.expires_at.desc()).limit(1))
    if access is None or not intact(access) or not _logged(user, case, access):
        return None
    return access


def _logged(user, case, access) -> bool:
    entry = audit_reads.logged_fact("case.break_glass", reference=case.reference,
                                    actor_id=user.id, detail=("access_id", access.id))
    if entry is None:
        return False
    granted = entry.details.get("minutes")
    if isinstance(granted, bool) or not isinstance(granted, int):
        return False
    return entry.at + timedelta(minutes=granted) > clock.now()
