"""Deadlines in hours or working days, all from configuration.

Which are the decree's and which are ours (the README's deadline table says
the same):

* emergency measures within 12 hours of the report when the child is in
  serious danger (Decree 56/2017, Art. 26(3) and 31(2)); danger found after
  intake: 12 hours from when it was found (ours: the decree's clock would
  already have run out);
* the initial risk assessment (Mẫu 02) within ``DEADLINE_ASSESSMENT_HOURS``,
  72 by default, of the report: **ours** (the decree sets no time);
* the needs assessment (Mẫu 03, Art. 27) within
  ``DEADLINE_NEEDS_WORKING_DAYS``, 5 by default, of the initial assessment:
  **ours** (the decree sets no time; without it a case could wait in
  assessment with nothing due);
* the plan (Mẫu 04) drafted within 5 working days of the needs assessment
  (Art. 28(1): "căn cứ mức độ tổn hại và nhu cầu ... trong thời hạn 05 ngày
  làm việc");
* the plan approved within 7 working days of the needs assessment: the 5 of
  Art. 28(1) and the commune chairman's 2 of Art. 28(4) together; the union
  supervisor's sign-off must come by then;
* the commune chairman's decision (Mẫu 05) within 2 working days of the
  supervisor's sign-off (Art. 28(4)); not for minors (16-17), to whom the
  decree's procedure does not apply.

Working days skip weekends and Vietnamese public holidays (the ``holidays``
package, which also knows the Saturdays the government turns into working
days when it moves a holiday). ``DEADLINE_EXTRA_HOLIDAYS`` and
``DEADLINE_EXTRA_WORKING_DAYS`` (ISO dates) cover a decision the package does
not know yet. Counting starts the day after the start day ("kể từ ngày"), and
a deadline of N working days falls at the end (local midnight) of the Nth
working day, in ``BABEL_DEFAULT_TIMEZONE``.

Each step's due time stays on the case until the step is done; the nearest
pending one is stored as ``next_deadline_at`` so that lists sort by it and
"overdue" is one indexed comparison (:meth:`Case.overdue_clause`).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
from flask import current_app

from caseapp import clock

from .models import Case

VIETNAM = clock.VIETNAM
_MAX_WORKING_DAYS = 366


def _config(name: str, default):
    return current_app.config.get(name, default)


def _non_negative(name: str, default: int) -> int:
    value = _config(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number of at least 0")
    return value


def emergency_hours() -> int:
    return _non_negative("DEADLINE_EMERGENCY_HOURS", 12)


def assessment_hours() -> int:
    return _non_negative("DEADLINE_ASSESSMENT_HOURS", 72)


def needs_days() -> int:
    return _non_negative("DEADLINE_NEEDS_WORKING_DAYS", 5)


def plan_draft_days() -> int:
    return _non_negative("DEADLINE_PLAN_DRAFT_WORKING_DAYS", 5)


def plan_approval_days() -> int:
    return _non_negative("DEADLINE_PLAN_APPROVAL_WORKING_DAYS", 7)


def decision_days() -> int:
    return _non_negative("DEADLINE_DECISION_WORKING_DAYS", 2)


@lru_cache(maxsize=32)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=range(year - 1, year + 2))


def _dates(name: str) -> frozenset[date]:
    values = _config(name, ()) or ()
    return frozenset(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values)


def is_working_day(day: date) -> bool:
    if day in _dates("DEADLINE_EXTRA_WORKING_DAYS"):
        return True
    if day in _dates("DEADLINE_EXTRA_HOLIDAYS"):
        return False
    calendar = _calendar(_config("DEADLINE_HOLIDAY_COUNTRY", "VN"), day.year)
    return calendar.is_working_day(day)


def add_hours(start: datetime, hours: int) -> datetime:
    return start + timedelta(hours=hours)


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day after ``start``'s local day, as UTC."""
    if start.tzinfo is None:
        raise ValueError("naive datetime")
    zone = clock.local_timezone()
    day = start.astimezone(zone).date()
    counted = 0
    for _ in range(days + _MAX_WORKING_DAYS):
        if counted >= days:
            break
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return end.astimezone(UTC)


# --- the case's deadlines --------------------------------------------------------------------

# (step, due column, done column), in the procedure's order.
TRACKED = (
    ("emergency", "emergency_due_at", "emergency_done_at"),
    ("assessment", "assessment_due_at", "assessed_at"),
    ("needs", "needs_assessment_due_at", "needs_assessed_at"),
    ("plan_draft", "plan_draft_due_at", "plan_drafted_at"),
    ("plan_approval", "plan_approval_due_at", "plan_approved_at"),
    ("decision", "decision_due_at", "decision_recorded_at"),
)
STEPS = tuple(step for step, _, _ in TRACKED) + ("follow_up",)


def pending(case: Case) -> list[tuple[str, datetime]]:
    """The steps still to do, with their due times, nearest first."""
    if case.stage == "closure":
        return []
    found = [(step, getattr(case, due)) for step, due, done in TRACKED
             if getattr(case, due) and not getattr(case, done)]
    if case.next_follow_up_at:
        found.append(("follow_up", case.next_follow_up_at))
    return sorted(found, key=lambda item: item[1])


# Steps only a supervisor takes (the plan's approval): the people on the case
# wait on them and cannot do them, so a late one is never shown as theirs
# (UX walk: officers were told "overdue" for the approval they had asked for).
SUPERVISORS_STEPS = frozenset({"plan_approval"})


def shown_deadline(case: Case, now: datetime, *, supervisor: bool, plan_waiting: bool
                   ) -> tuple[datetime | None, bool]:
    """The deadline a row or a case's title shows to its viewer, and whether it
    is one the viewer waits on (a supervisor's step, for anyone else): the
    nearest pending one, unless a step of the viewer's own is already late.
    The plan's approval is waited on only while a plan is with the supervisor
    (``plan_waiting``); a plan sent back, or none drafted, is the officer's to
    do, and its lateness is theirs (hostile review)."""
    if case.stage == "closure":
        return None, False
    steps = pending(case) if not supervisor and plan_waiting else []
    if not steps or steps[0][0] not in SUPERVISORS_STEPS:
        return case.next_deadline_at, False
    own = [due for step, due in steps if step not in SUPERVISORS_STEPS]
    if own and own[0] <= now:
        return own[0], False
    return steps[0][1], True


def overdue(case: Case, now: datetime) -> list[tuple[str, datetime]]:
    return [(step, due) for step, due in pending(case) if due <= now]


def refresh(case: Case) -> None:
    """Store the nearest pending deadline (None when nothing is pending or the case is closed)."""
    steps = pending(case)
    case.next_deadline_at = steps[0][1] if steps else None


def start(case: Case) -> None:
    """Deadlines of a new intake, counted from the time the report was received."""
    if case.immediate_danger:
        case.emergency_due_at = add_hours(case.received_at, emergency_hours())
    case.assessment_due_at = add_hours(case.received_at, assessment_hours())
    refresh(case)


def flag_danger(case: Case, at: datetime) -> None:
    """Immediate danger found after intake: emergency action is due from when it
    was found; an emergency measure already recorded counts."""
    if case.emergency_due_at is None:
        case.emergency_due_at = add_hours(at, emergency_hours())


def enter_stage(case: Case, stage: str, at: datetime) -> None:
    """Recompute the deadlines a stage starts (called by the workflow only)."""
    if stage == "assessment":
        # Entered by the initial assessment, or by a reopening: the procedure
        # from the needs assessment on starts again.
        case.needs_assessment_due_at = add_working_days(at, needs_days())
        case.needs_assessed_at = None
        case.plan_draft_due_at = case.plan_drafted_at = None
        case.plan_approval_due_at = case.plan_approved_at = None
        case.decision_due_at = case.decision_recorded_at = None
        case.next_follow_up_at = None
    elif stage == "closure":
        case.next_follow_up_at = None
    refresh(case)


def needs_assessed(case: Case, at: datetime) -> None:
    """The first needs assessment of this round starts the plan's clock (Art. 28(1))."""
    if case.needs_assessed_at is not None:
        return
    case.needs_assessed_at = at
    case.plan_draft_due_at = add_working_days(at, plan_draft_days())
    case.plan_approval_due_at = add_working_days(at, plan_approval_days())
    refresh(case)


def plan_revised(case: Case, at: datetime) -> None:
    """A plan revised after approval needs approval again, within the chairman's
    window (Art. 28(4)); its decision is due again after that approval."""
    case.plan_approval_due_at = add_working_days(at, decision_days())
    case.plan_approved_at = None
    case.decision_due_at = case.decision_recorded_at = None


def plan_approved(case: Case, at: datetime) -> None:
    """The supervisor's sign-off: the commune's decision is due within 2 working
    days (Art. 28(4)), except for a minor (the decree does not apply)."""
    case.plan_approved_at = at
    case.decision_recorded_at = None
    case.decision_due_at = None if case.is_minor else add_working_days(at, decision_days())
    refresh(case)
