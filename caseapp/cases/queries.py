"""The one scoped query of cases. Every view, export and API call starts here.

``visible_cases(user)`` is DESIGN.md's role table as SQL (the same rule as
:func:`caseapp.permissions.cases.can_view_case`, tested against it): a case
outside it does not exist for the user. ``load_case`` answers such a case
with :class:`CaseNotFound` (404) and audits the denial.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Select, and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.crypto.row_integrity import prefetch
from caseapp.extensions import db
from caseapp.permissions import cases as rules
from caseapp.units.models import Unit

from .errors import CaseNotFound
from .models import Case, CaseAssignee

REFERENCE_PATTERN = re.compile(r"^HS-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$")


def _subtree_unit_ids(prefix: str):
    """Ids of the unit with path ``prefix`` and every unit below it (one indexed range)."""
    if not prefix or not prefix.endswith("/"):
        return select(Unit.id).where(false())
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return select(Unit.id).where(Unit.path >= prefix, Unit.path < upper,
                                 Unit.path.startswith(prefix, autoescape=True))


def assigned_clause(user_id: str):
    return or_(Case.lead_officer_id == user_id,
               exists().where(CaseAssignee.case_id == Case.id, CaseAssignee.user_id == user_id))


def scope_clause(user):
    """WHERE clause of the cases ``user`` may see (false for admins, disabled or anonymous)."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_enabled
            and user.role in rules.STAFF_ROLES):
        return false()
    if user.role == "supervisor":
        return Case.unit_id.in_(_subtree_unit_ids(user.unit.path))
    return or_(assigned_clause(user.id),
               and_(Case.recorded_by_id == user.id, Case.stage == "intake"))


def visible_cases(user) -> Select:
    """``select(Case)`` limited to what ``user`` may see. Add filters and order to it."""
    return select(Case).where(scope_clause(user))


def load_case(user, reference: str, *, action: str = "open", for_work: bool = False) -> Case:
    """The case ``reference`` if ``user`` may see it; else CaseNotFound, audited.

    ``for_work``: the caller adds case work (a note, evidence...), which a
    closed case refuses at once (403, audited), before any form is read.

    A malformed reference is not written to the audit log (a URL is where
    someone would paste a name); a well-formed one is, even if no such case exists.
    """
    reference = (reference or "").strip().upper()
    case = None
    if REFERENCE_PATTERN.match(reference):
        case = db.session.scalar(visible_cases(user).where(Case.reference == reference))
    if case is None or not rules.can_view_case(user, case):
        hidden = db.session.scalar(select(Case).where(Case.reference == reference)) \
            if REFERENCE_PATTERN.match(reference) else None
        rules.record_denial(user, hidden, action=action,
                            reference=reference if REFERENCE_PATTERN.match(reference) else None)
        raise CaseNotFound()
    if for_work:
        rules.require_open_for_work(user, case, action=action)
    return case


# --- lists ----------------------------------------------------------------------------------

def fetch_cases(user, query: Select) -> list[Case]:
    """Run a scoped list query and keep the rows the rules agree with.

    The SQL scope decides on stored columns; each fetched case is checked
    again in Python, its row MAC included, so a case moved into the user's
    unit (or an assignment inserted) by hand in the database is not listed
    (and is reported).
    """
    cases = list(db.session.scalars(query))
    prefetch(cases)  # the rows' anchors in one query per 500, not three queries per row
    return [case for case in cases if rules.can_view_case(user, case)]


def by_nearest_deadline(query: Select, now: datetime | None = None) -> Select:
    """Overdue first, then the nearest deadline, then the oldest report."""
    now = now or clock.now()
    overdue_first = Case.overdue_clause(now)
    return query.order_by(overdue_first.desc(), Case.next_deadline_at.is_(None),
                          Case.next_deadline_at, Case.received_at)


def my_cases(user, *, include_closed: bool = False, now: datetime | None = None) -> Select:
    """"My cases": sorted by the nearest deadline with overdue first."""
    query = visible_cases(user)
    if not include_closed:
        query = query.where(Case.stage != "closure")
    return by_nearest_deadline(query, now)


def overdue_cases(user, now: datetime | None = None) -> Select:
    now = now or clock.now()
    return visible_cases(user).where(Case.overdue_clause(now)).order_by(Case.next_deadline_at)


def assignment_queue(user) -> Select:
    """A supervisor's queue: open cases with no lead officer, or someone assigned who is
    disabled."""
    lead = aliased(User)
    other = aliased(User)
    disabled_assignee = exists().where(CaseAssignee.case_id == Case.id,
                                       CaseAssignee.user_id == other.id,
                                       other.is_enabled.is_(False))
    disabled_lead = exists().where(lead.id == Case.lead_officer_id, lead.is_enabled.is_(False))
    query = visible_cases(user) if user is not None and getattr(user, "role", None) == \
        "supervisor" else select(Case).where(false())
    return (query.where(Case.stage != "closure",
                        or_(Case.lead_officer_id.is_(None), disabled_lead, disabled_assignee))
            .order_by(Case.immediate_danger.desc(), Case.received_at))


def handled_clause():
    """SQL form of DESIGN.md's "handled" (see :attr:`Case.is_handled`)."""
    return Case.is_handled


def on_time_clause(now: datetime | None = None):
    """SQL: no step done late and none overdue (the dashboard's on-time share).

    Follow-ups are not counted: they are planned dates, not deadlines of the procedure.
    """
    return ~Case.late_clause(now or clock.now())
