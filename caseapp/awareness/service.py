"""Recording awareness sessions, and a school year's coverage.

Every change is audited with the session's *facts* (date, attendees,
audiences; never the topic or notes, which are free text) so that the
report's awareness numbers can be recomputed from the log like the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.core.text import HIDDEN_CHARACTER, has_hidden_characters
from caseapp.crypto import destroy_owner_key, new_data_key, unlock
from caseapp.crypto.row_integrity import prefetch
from caseapp.crypto.shredding import scrub_after_commit
from caseapp.extensions import db
from caseapp.paging import Key, Keyset, Window
from caseapp.permissions import can_record_awareness, grant_awareness_notes, unit_scope
from caseapp.units import forms as unit_forms
from caseapp.units.models import Unit

from .models import AUDIENCES, MAX_ATTENDEES, AwarenessSession

FIRST_DAY = date(2000, 1, 1)


class AwarenessError(ValueError):
    """A session that cannot be saved; ``field`` names the form field to blame."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


class StaleSession(AwarenessError):
    """Someone saved the session since it was opened."""


class InvalidSession(AwarenessError):
    """Every field that is wrong, at once: ``errors`` maps field to message."""

    def __init__(self, errors: dict):
        super().__init__(next(iter(errors.values())), next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class SessionData:
    held_on: date | None
    audiences: tuple[str, ...]
    attendees: int | None
    topic: str
    notes: str = ""


def check(data: SessionData) -> SessionData:
    """The data as it would be saved; InvalidSession naming every wrong field."""
    errors = {}
    if data.held_on is None or not FIRST_DAY <= data.held_on <= clock.local_today():
        errors["held_on"] = _l("Give the day the session was held (not in the future).")
    audiences = tuple(sorted(set(data.audiences)))
    if not audiences or set(audiences) - set(AUDIENCES):
        errors["audiences"] = _l("Choose who the session was for.")
    if data.attendees is None or not 1 <= data.attendees <= MAX_ATTENDEES:
        errors["attendees"] = _l("Give the number of people who attended (1 to 100,000).")
    topic, notes = (data.topic or "").strip(), (data.notes or "").strip()
    if not topic or len(topic) > 200:
        errors["topic"] = _l("Give the session's topic (at most 200 characters).")
    if len(notes) > 2000:
        errors["notes"] = _l("Notes are at most 2,000 characters.")
    for name, text in (("topic", topic), ("notes", notes)):
        if name not in errors and has_hidden_characters(text):
            errors[name] = HIDDEN_CHARACTER
    if errors:
        raise InvalidSession(errors)
    return SessionData(data.held_on, audiences, data.attendees, topic, notes)


def facts(session: AwarenessSession, unit: Unit) -> list:
    """What the log keeps of a session: its day, attendance, audiences, school type."""
    return [session.held_on.isoformat(), session.attendees, session.audience,
            unit.school_type or ""]


def _audit(action: str, actor, session: AwarenessSession) -> None:
    record(action, actor=actor, object_type="awareness", object_id=session.id,
           unit_path=session.unit.path, details={"facts": facts(session, session.unit)})


def _require(actor, unit: Unit) -> None:
    from caseapp.permissions import PermissionDenied

    if not can_record_awareness(actor, unit):
        record("awareness.denied", outcome="denied", actor=actor, object_type="unit",
               object_id=unit.code if unit else None, unit_path=unit.path if unit else None)
        raise PermissionDenied(_l("You may record sessions only for your unit (supervisors: "
                                  "and the units below it)."))


def deny(actor, session: AwarenessSession) -> None:
    """Record a refused look at another unit's session (answered as not found)."""
    record("awareness.denied", outcome="denied", actor=actor, object_type="awareness",
           object_id=session.id, unit_path=session.unit.path)


def refuse_unit(actor, code: str) -> None:
    """Record an attempt to file a session under a unit the actor may not use."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code[:32]))
    if unit is not None:
        record("awareness.denied", outcome="denied", actor=actor, object_type="unit",
               object_id=unit.code, unit_path=unit.path)


def record_session(actor, unit: Unit, data: SessionData) -> AwarenessSession:
    _require(actor, unit)
    data = check(data)
    now = clock.now()
    session = AwarenessSession(unit_id=unit.id, unit=unit, held_on=data.held_on,
                               audience=",".join(data.audiences), attendees=data.attendees,
                               topic=data.topic, recorded_by_id=actor.id,
                               recorded_at=now, updated_at=now, version=1)
    db.session.add(session)
    db.session.flush()
    new_data_key(db.session, session)  # the notes' own key, shredded with the session
    session.notes = data.notes
    _audit("awareness.create", actor, session)
    return session


def update_session(actor, session: AwarenessSession, data: SessionData, *,
                   expected_version: int | None, unit: Unit | None = None) -> AwarenessSession:
    """Save changes; ``unit``: move the session to another unit the actor may
    record for (entered under the wrong one)."""
    _require(actor, session.unit)
    if unit is not None and unit.id != session.unit_id:
        _require(actor, unit)
        session.unit_id, session.unit = unit.id, unit
    if expected_version is not None and expected_version != session.version:
        raise StaleSession(_l("Someone saved this session meanwhile. Here it is as it is now."))
    data = check(data)
    session.held_on, session.audience = data.held_on, ",".join(data.audiences)
    session.attendees, session.topic = data.attendees, data.topic
    open_notes(actor, session)
    session.notes = data.notes
    session.updated_at = clock.now()
    session.version += 1
    _audit("awareness.update", actor, session)
    return session


def delete_session(actor, session: AwarenessSession) -> None:
    _require(actor, session.unit)
    _audit("awareness.delete", actor, session)
    if session.data_key_id is not None:
        destroy_owner_key(db.session, session)  # the notes unreadable in any backup
        scrub_after_commit()  # and out of the SQLite WAL
    db.session.delete(session)


def open_notes(actor, session: AwarenessSession) -> None:
    """Make the session's notes readable in this request (for the people who may
    edit it)."""
    if session.data_key_id is not None:
        unlock(session, grant=grant_awareness_notes(actor, session))


# A unit's choice in the session form is a select of the units the user may
# record for while they are at most this many; past it (a province's thousands
# of communes and schools) the form takes a unit's code (caseapp.units.forms).
UNIT_CHOICES_MAX = unit_forms.UNIT_CHOICES_MAX


def recordable_units(user, *, most: int | None = None) -> list[Unit] | None:
    """The units ``user`` may record for (theirs and those below it), in the
    tree's order, their row anchors read in one statement; None when their
    subtree holds more than ``most`` units."""
    root = unit_scope(user)
    if root is None or user.role == "admin":
        return []
    most = most or UNIT_CHOICES_MAX
    rows = list(db.session.scalars(select(Unit).where(_in_subtree(root))
                                   .order_by(Unit.path, Unit.id).limit(most + 1)))
    if len(rows) > most:
        return None
    prefetch(rows)
    return [u for u in rows if can_record_awareness(user, u)]


def recordable_unit(user, code: str) -> Unit | None:
    """The unit of ``code`` when ``user`` may record a session for it; None for
    anything else (an unknown code, another district's unit: the latter recorded)."""
    code = code.strip().upper()
    unit = db.session.scalar(select(Unit).where(Unit.code == code)) \
        if code and len(code) <= 32 and code.isprintable() else None
    if unit is not None and can_record_awareness(user, unit):
        return unit
    if unit is not None:
        refuse_unit(user, code)
    return None


SESSIONS_PAGE_SIZE = 50
# A year's sessions, newest day first (ties: the newest recorded), served by
# the index on (held_on, recorded_at, id) read backwards.
SESSIONS_KEYSET = Keyset(Key(AwarenessSession.held_on, "day", descending=True),
                         Key(AwarenessSession.recorded_at, "time", descending=True),
                         Key(AwarenessSession.id, "str", descending=True))


def _held_in(root: Unit, start: date, end: date):
    """The sessions held from ``start`` to ``end`` in ``root``'s subtree: one
    prefix match on the units' paths, not a list of every unit's id."""
    return (AwarenessSession.unit_id.in_(select(Unit.id).where(_in_subtree(root))),
            AwarenessSession.held_on >= start, AwarenessSession.held_on <= end)


def _in_subtree(root: Unit):
    return Unit.path.startswith(root.path, autoescape=True)


def sessions_window(root: Unit | None, start: date, end: date, *, after: str | None = None,
                    before: str | None = None, size: int | None = None) -> Window:
    """A page of the sessions of ``root``'s subtree held from ``start`` to ``end``
    (inclusive), newest first, each with its unit read in the same query and
    the units' anchors in one more."""
    if root is None:
        return Window([], None, None, first=True)
    window = SESSIONS_KEYSET.read(
        select(AwarenessSession).options(joinedload(AwarenessSession.unit))
        .where(*_held_in(root, start, end)),
        after, before, size or SESSIONS_PAGE_SIZE, db.session.scalars)
    # Each row asks whether its unit may be edited (the unit's row checked):
    # their anchors in one statement, not one per row.
    prefetch({s.unit for s in window.rows})
    return window


def count_sessions(root: Unit | None, start: date, end: date) -> int:
    """How many sessions :func:`sessions_window` pages through (one aggregate)."""
    if root is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(AwarenessSession)
                             .where(*_held_in(root, start, end))) or 0


def _held_session(start: date, end: date):
    """SQL: the school (``units`` row) of the outer query held a session from
    ``start`` to ``end`` (served by the sessions' unit index)."""
    return exists().where(AwarenessSession.unit_id == Unit.id,
                          AwarenessSession.held_on >= start, AwarenessSession.held_on <= end)


@dataclass(frozen=True)
class Coverage:
    """How many schools of a subtree held a session in a period, counted in SQL:
    ``by_type`` maps each school type present to (schools, schools with a
    session). The schools without one are a paged list of their own
    (:func:`schools_without_window`); ``first_without`` is its first few."""

    by_type: dict[str, tuple[int, int]]
    first_without: list[Unit]

    @property
    def schools(self) -> int:
        return sum(total for total, _ in self.by_type.values())

    @property
    def covered(self) -> int:
        return sum(covered for _, covered in self.by_type.values())

    @property
    def without(self) -> int:
        return self.schools - self.covered


COVERAGE_SHOWN = 20  # schools without a session named on the summaries; the rest are paged


def coverage(root: Unit, start: date, end: date, *, named: int = COVERAGE_SHOWN) -> Coverage:
    """The schools in ``root``'s subtree and how many held a session from
    ``start`` to ``end``, by school type: one grouped count, whatever the
    number of schools, and the first ``named`` of those without a session."""
    held = _held_session(start, end)
    # A school no longer active (closed, merged) counts only where it held a
    # session in the period: it is not one still to reach.
    rows = db.session.execute(
        select(Unit.school_type, func.count(), func.sum(case((held, 1), else_=0)))
        .where(_in_subtree(root), Unit.school_type.is_not(None),
               or_(Unit.is_active.is_(True), held))
        .group_by(Unit.school_type)).all()
    by_type = {kind: (int(total), int(covered or 0)) for kind, total, covered in rows}
    first = schools_without_window(root, start, end, size=named).rows \
        if named and any(total > covered for total, covered in by_type.values()) else []
    return Coverage(by_type, first)


SCHOOLS_PAGE_SIZE = 100
# The schools without a session in the units' tree order (their paths; the id
# makes the order total), served by the units' path index.
SCHOOLS_KEYSET = Keyset(Key(Unit.path, "path"), Key(Unit.id, "int"))


def schools_without_window(root: Unit, start: date, end: date, *, after: str | None = None,
                           before: str | None = None, size: int | None = None) -> Window:
    """A page of the active schools in ``root``'s subtree that held no session
    from ``start`` to ``end``, in the tree's order."""
    return SCHOOLS_KEYSET.read(
        select(Unit).options(joinedload(Unit.parent))
        .where(_in_subtree(root), Unit.school_type.is_not(None), Unit.is_active.is_(True),
               ~_held_session(start, end)),
        after, before, size or SCHOOLS_PAGE_SIZE, db.session.scalars)


def totals(root: Unit, start: date, end: date) -> dict[str, int]:
    """Sessions and attendance in ``root``'s subtree from ``start`` to ``end``, and
    how many sessions reached each audience."""
    where = (Unit.path.startswith(root.path, autoescape=True),
             AwarenessSession.held_on >= start, AwarenessSession.held_on <= end)
    base = select().select_from(AwarenessSession).join(Unit, AwarenessSession.unit_id == Unit.id)
    count, attendees = db.session.execute(base.add_columns(
        func.count(), func.coalesce(func.sum(AwarenessSession.attendees), 0)).where(*where)).one()
    found = {"awareness.sessions": count, "awareness.attendees": attendees}
    for code in AUDIENCES:
        found[f"awareness.audience.{code}"] = db.session.scalar(base.add_columns(func.count())
            .where(*where, AwarenessSession.audience.contains(code, autoescape=True))) or 0
    return found
