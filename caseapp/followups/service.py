"""Follow-ups of a case and the progress of its plan's goals (Decree 56, Art. 29:
the plan carried out, followed up, and its goals reviewed at closure, Art. 30).

Every change checks the actor itself (so the API and the CLI are checked too),
seals what it writes under the case's key, writes its audit entry (ids, kinds,
states and dates only: never a goal's words, a note or an outcome) and
flushes; the request commits.

What is due is kept on the case as ``next_follow_up_at`` (:func:`refresh_case`):
the earliest follow-up still planned, or a missed one not yet answered by a new
plan. The case's deadlines take it from there (``cases.deadlines.pending``,
step "follow_up"), so "My cases", the supervisors' overdue list and the
deadline scan see a follow-up overdue or missed with no query of their own.
A follow-up is due by the end of its local day (:func:`due_time`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.auditing.writer import record
from caseapp.cases import deadlines
from caseapp.cases.errors import CaseError
from caseapp.cases.guards import LONG_TEXT, Problems, atomic, check_day, clean_text, ensure_visible
from caseapp.cases.models import Case
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.permissions import cases as case_rules
from caseapp.permissions import followups as rules
from caseapp.units.models import Unit

from .models import FOLLOW_UP_KINDS, GOAL_STATUSES, FollowUp, GoalProgress, PlanGoal

GOAL_TEXT = 2_000
MAX_GOALS = 50
# Bounds on what one case holds (hostile review: the page and the API read them
# all): years of weekly visits, and notes on a goal.
MAX_FOLLOW_UPS = 500
MAX_PROGRESS_PER_GOAL = 200
# Nothing is planned further ahead than this (a date typed with the wrong year).
LATEST_DAYS_AHEAD = 366


@dataclass(frozen=True)
class FollowUpData:
    due_on: date | None
    kind: str
    assignee_id: str


@dataclass(frozen=True)
class SettleData:
    follow_up_id: str
    result: str  # "done" | "missed"
    outcome: str


@dataclass(frozen=True)
class ProgressData:
    goal_id: str
    status: str
    note: str
    noted_on: date | None = None


def _audit(action: str, actor, case: Case, **details) -> None:
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def due_time(day: date) -> datetime:
    """The end of ``day`` in the app's time zone (as UTC): a follow-up planned for
    a day is overdue from the next local midnight, as a deadline of N working
    days falls at the end of its day (:mod:`caseapp.cases.deadlines`)."""
    zone = clock.local_timezone()
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def received_day(case: Case) -> date:
    return clock.as_utc(case.received_at).astimezone(clock.local_timezone()).date()


# --- reading -------------------------------------------------------------------------------

def goals_of(case: Case) -> list[PlanGoal]:
    return list(db.session.scalars(select(PlanGoal).where(PlanGoal.case_id == case.id)
                                   .order_by(PlanGoal.number)))


def follow_ups_of(case: Case) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)
                                   .order_by(FollowUp.due_at, FollowUp.scheduled_at)))


def unanswered(row: FollowUp, rows: list[FollowUp]) -> bool:
    """A missed follow-up no follow-up planned since answers."""
    return row.state == "missed" and row.settled_at is not None and not any(
        other.id != row.id and clock.as_utc(other.scheduled_at) >= clock.as_utc(row.settled_at)
        for other in rows)


def needing_attention(rows: list[FollowUp], now: datetime) -> list[FollowUp]:
    """Planned and past their day, or missed and not answered by a new plan."""
    return [r for r in rows if (r.state == "scheduled" and clock.as_utc(r.due_at) <= now)
            or unanswered(r, rows)]


def attention_due(rows: list[FollowUp]) -> datetime | None:
    """What the case keeps as its next follow-up: the earliest still planned or
    missed and unanswered (a missed one's day has passed: overdue at once)."""
    dues = [clock.as_utc(r.due_at) for r in rows if r.state == "scheduled"]
    # A follow-up marked missed before its day is late from when it was marked.
    dues += [min(clock.as_utc(r.due_at), clock.as_utc(r.settled_at)) for r in rows
             if unanswered(r, rows)]
    return min(dues) if dues else None


def case_follow_up_due(case: Case) -> datetime | None:
    """For :data:`caseapp.cases.hooks.follow_up_due`: what the records keep due."""
    return attention_due(follow_ups_of(case))


def refresh_case(case: Case) -> None:
    """Put the follow-ups' next due time on the case and its deadlines."""
    case.next_follow_up_at = attention_due(follow_ups_of(case))
    deadlines.refresh(case)


@dataclass(frozen=True)
class Counts:
    next_on: date | None
    overdue: int
    goals: int
    reached: int
    done: int


def counts(case: Case, now: datetime | None = None) -> Counts:
    """The case page's line, in three aggregate statements (no decryption)."""
    now = now or clock.now()
    planned = and_(FollowUp.case_id == case.id, FollowUp.state == "scheduled")
    next_on, late = db.session.execute(select(
        func.min(FollowUp.due_on).filter(FollowUp.due_at > now),
        func.count().filter(FollowUp.due_at <= now)).where(planned)).one()
    later = aliased(FollowUp)
    missed = db.session.scalar(select(func.count()).select_from(FollowUp).where(
        FollowUp.case_id == case.id, FollowUp.state == "missed",
        ~select(later.id).where(later.case_id == case.id, later.id != FollowUp.id,
                                later.scheduled_at >= FollowUp.settled_at).exists()))
    done = db.session.scalar(select(func.count()).select_from(FollowUp).where(
        FollowUp.case_id == case.id, FollowUp.state == "done"))
    goals, reached = db.session.execute(select(
        func.count(), func.count().filter(PlanGoal.status == "reached"))
        .where(PlanGoal.case_id == case.id)).one()
    return Counts(next_on, int(late or 0) + int(missed or 0), int(goals), int(reached),
                  int(done or 0))


def unit_people(case: Case) -> list[User]:
    """Who may be sent on a follow-up: the enabled staff of the case's unit."""
    return [u for u in db.session.scalars(
        select(User).where(User.unit_id == case.unit_id, User.is_enabled.is_(True),
                           User.role.in_(("officer", "counselor", "supervisor")))
        .order_by(User.display_name, User.username)) if rules.can_be_sent(u, case)]


# --- changes --------------------------------------------------------------------------------

def _check_work(actor, case: Case, action: str) -> None:
    ensure_visible(actor, case, action)
    case_rules.require_open_for_work(actor, case, action=action)
    case_rules.require(rules.can_record_followups(actor, case), actor, case, action=action)


def _open(actor, case: Case, action: str) -> None:
    unlock(case, grant=rules.grant_followup_change(actor, case, action=action))


def add_goal(actor, case: Case, text: str) -> PlanGoal:
    """One goal of the plan as its own record, not started yet. The plan's goals
    text stays as it was drafted (and approved): the records follow it."""
    action = "plan_goal"
    _check_work(actor, case, action)
    if not case.plans:
        raise CaseError(_l("Draft the support plan first: goals follow its plan."),
                        field="text")
    text = clean_text(text, "text", required=True, max_length=GOAL_TEXT,
                      message=_l("Write the goal."))
    number = (db.session.scalar(select(func.max(PlanGoal.number))
                                .where(PlanGoal.case_id == case.id)) or 0) + 1
    if number > MAX_GOALS:
        raise CaseError(_l("A plan has at most %(n)d goals.", n=MAX_GOALS), field="text")
    _open(actor, case, action)
    with atomic():
        goal = PlanGoal(case_id=case.id, case=case, number=number, status="not_started",
                        created_by_id=actor.id, created_at=clock.now())
        goal.text = text
        db.session.add(goal)
        db.session.flush()
        _audit("case.plan_goal", actor, case, goal_id=goal.id, number=number)
    return goal


def _own_row(model, row_id: str, case: Case, message):
    """The row ``row_id`` of this case, locked; CaseError for anything else (an
    id of another case is unknown here, and nothing tells it exists)."""
    row = db.session.scalar(select(model).where(model.id == row_id).with_for_update()
                            .execution_options(populate_existing=True)) \
        if isinstance(row_id, str) and 0 < len(row_id) <= 36 else None
    if row is None or row.case_id != case.id:
        raise CaseError(message, field="id")
    return row


def record_progress(actor, case: Case, data: ProgressData) -> GoalProgress:
    """A dated note of progress on one goal, and the status it leaves the goal in."""
    action = "goal_progress"
    _check_work(actor, case, action)
    goal = _own_row(PlanGoal, data.goal_id, case, _l("Unknown goal."))
    problems = Problems()
    if data.status not in GOAL_STATUSES:
        problems.add(_l("Choose the goal's status."), "status")
    if db.session.scalar(select(func.count()).select_from(GoalProgress)
                         .where(GoalProgress.goal_id == goal.id)) >= MAX_PROGRESS_PER_GOAL:
        problems.add(_l("A goal holds at most %(n)d notes of progress.",
                        n=MAX_PROGRESS_PER_GOAL), "note")
    note = problems.check(clean_text, data.note, "note", required=True, max_length=LONG_TEXT,
                          message=_l("Write what happened towards the goal."), default="")
    noted_on = data.noted_on or clock.local_today()
    if not isinstance(noted_on, date) or isinstance(noted_on, datetime):
        problems.add(_l("Give the date as a date."), "noted_on")
    else:
        problems.check(check_day, noted_on, "noted_on", earliest=received_day(case),
                       latest=clock.local_today())
    problems.raise_any()
    _open(actor, case, action)
    now = clock.now()
    with atomic():
        row = GoalProgress(goal_id=goal.id, goal=goal, case_id=case.id, case=case,
                           noted_on=noted_on, status=data.status, recorded_by_id=actor.id,
                           recorded_at=now)
        row.note = note
        db.session.add(row)
        if goal.status != data.status:
            goal.status = data.status
            goal.status_changed_at = now
        db.session.flush()
        _audit("case.goal_progress", actor, case, goal_id=goal.id, progress_id=row.id,
               status=data.status)
    return row


def schedule(actor, case: Case, data: FollowUpData) -> FollowUp:
    """Plan a follow-up: its day, its kind and who goes (a person of the unit)."""
    action = "follow_up_scheduled"
    _check_work(actor, case, action)
    problems = Problems()
    if not isinstance(data.due_on, date) or isinstance(data.due_on, datetime):
        problems.add(_l("Give the day of the follow-up."), "due_on")
    else:
        problems.check(check_day, data.due_on, "due_on", earliest=received_day(case),
                       latest=clock.local_today() + timedelta(days=LATEST_DAYS_AHEAD))
    if data.kind not in FOLLOW_UP_KINDS:
        problems.add(_l("Choose the kind of follow-up."), "kind")
    if db.session.scalar(select(func.count()).select_from(FollowUp)
                         .where(FollowUp.case_id == case.id)) >= MAX_FOLLOW_UPS:
        problems.add(_l("A case holds at most %(n)d follow-ups.", n=MAX_FOLLOW_UPS), "due_on")
    person = db.session.get(User, data.assignee_id) \
        if isinstance(data.assignee_id, str) and 0 < len(data.assignee_id) <= 36 else None
    if person is None or not rules.can_be_sent(person, case):
        problems.add(_l("Choose who goes: a person of the case's unit."), "assignee")
    problems.raise_any()
    with atomic():
        row = FollowUp(case_id=case.id, case=case, due_on=data.due_on,
                       due_at=due_time(data.due_on), kind=data.kind, assignee_id=person.id,
                       state="scheduled", scheduled_by_id=actor.id, scheduled_at=clock.now())
        db.session.add(row)
        db.session.flush()
        refresh_case(case)
        _audit("case.follow_up_scheduled", actor, case, follow_up_id=row.id, kind=data.kind,
               due_on=data.due_on.isoformat(), assignee=person.id)
    return row


def settle(actor, case: Case, data: SettleData) -> FollowUp:
    """A planned follow-up was done, or missed, with what came of it (sealed)."""
    action = "follow_up_settled"
    _check_work(actor, case, action)
    row = _own_row(FollowUp, data.follow_up_id, case, _l("Unknown follow-up."))
    problems = Problems()
    if row.state != "scheduled":
        problems.add(_l("This follow-up was already marked done or missed."), "result")
    if data.result not in ("done", "missed"):
        problems.add(_l("Say whether the follow-up was done or missed."), "result")
    outcome = problems.check(clean_text, data.outcome, "outcome", required=True,
                             max_length=LONG_TEXT,
                             message=_l("Write what came of it (or why it was missed)."),
                             default="")
    problems.raise_any()
    _open(actor, case, action)
    with atomic():
        row.state = data.result
        row.settled_by_id = actor.id
        row.settled_at = clock.now()
        row.outcome = outcome
        db.session.flush()
        refresh_case(case)
        # the names written out whole: the audit log's wording finds them in the code
        _audit("case.follow_up_done" if data.result == "done" else "case.follow_up_missed",
               actor, case, follow_up_id=row.id,
               kind=row.kind)
    return row


# --- reminders ------------------------------------------------------------------------------

def next_working_day(day: date) -> date:
    """The first working day after ``day`` (weekends and Vietnamese holidays
    skipped, as the deadlines count them: :func:`deadlines.is_working_day`)."""
    for _ in range(60):
        day += timedelta(days=1)
        if deadlines.is_working_day(day):
            return day
    return day


def coming_follow_ups(now: datetime, _window) -> list[tuple[list[str], str, str, str]]:
    """For the notification scan: each planned follow-up, from the start of the
    working day before it (a Friday for a Monday visit, the last day before a
    holiday), to the person who goes, once. One after its day is the deadline
    scan's (step "follow_up", to the people on the case and the supervisors)."""
    today = now.astimezone(clock.local_timezone()).date()
    # Only to someone whose units hold the case: after a transfer the person
    # of the sending unit is not reminded of a case they no longer see
    # (hostile review); an enabled account only.
    goer, goer_unit, case_unit = aliased(User), aliased(Unit), aliased(Unit)
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.assignee_id, Case.reference)
        .join(Case, FollowUp.case_id == Case.id)
        .join(case_unit, Case.unit_id == case_unit.id)
        .join(goer, FollowUp.assignee_id == goer.id)
        .join(goer_unit, goer.unit_id == goer_unit.id)
        .where(FollowUp.state == "scheduled", FollowUp.due_on <= next_working_day(today),
               FollowUp.due_at > now, Case.stage != "closure", Case.purged_at.is_(None),
               goer.is_enabled.is_(True), case_unit.path.startswith(goer_unit.path))
        .order_by(FollowUp.due_at).limit(2000))
    return [([assignee], "follow_up_soon", reference, f"follow_up_soon:{row_id}")
            for row_id, assignee, reference in rows]
