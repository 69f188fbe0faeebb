"""The 100% view: the figures of a period for a supervisor's unit (or an
officer's own caseload), the cases behind every "not yet" by reference, and
the breakdowns as charts with their tables. Metadata only: no decryption.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, not_, or_, select

from caseapp import clock
from caseapp.awareness import service as sessions
from caseapp.awareness import year as school_year
from caseapp.awareness.service import Coverage
from caseapp.awareness.year import SchoolYear
from caseapp.break_glass.models import BreakGlassAccess
from caseapp.cases import queries
from caseapp.cases.models import Case
from caseapp.cases.screens import user_names
from caseapp.core import charts
from caseapp.extensions import db
from caseapp.permissions import cases as rules
from caseapp.permissions import unit_scope
from caseapp.units.labels import SCHOOL_LABELS
from caseapp.units.models import SCHOOL_TYPES, Unit

from . import figures
from .numbers import GROUPS, TIMED_STEPS, share
from .period import Period

GROUP_LABELS = {"children": _l("Children under 16"), "minors": _l("Minors of 16-17"),
                "unbanded": _l("Not yet re-banded (15-17)"), "total": _l("Total")}
STEP_LABELS = {"emergency": _l("Emergency measures (12 hours)"),
               "assessment": _l("Initial assessment"), "needs": _l("Needs assessment"),
               "plan_draft": _l("Plan drafted"), "plan_approval": _l("Plan approved")}


@dataclass
class Row:
    case: Case
    how_late: str = ""  # the worst missed deadline: "Initial assessment: 2 d 4 h"
    late_by: float = 0.0  # its seconds, to sort by


@dataclass
class Dashboard:
    period: Period
    as_of: datetime
    unit: Unit | None  # None: an officer's own caseload
    numbers: Counter
    not_handled: list[Row]
    late: list[Row]
    unfounded: list[Case]
    no_help: list[Case]
    caseload: list[tuple[str, int]]
    unassigned: int
    plans_waiting: int
    closures_waiting: int
    break_glass_uses: int
    names: dict[str, str]
    charts: dict[str, str] = field(default_factory=dict)
    # The awareness sessions' coverage of the schools in the current school year
    # (a unit's view only).
    school_year: SchoolYear | None = None
    coverage: Coverage | None = None

    def coverage_by_type(self) -> list[tuple[str, int, int]]:
        """(school type, schools, schools with a session), in SCHOOL_TYPES order."""
        if self.coverage is None:
            return []
        return [(kind, *self.coverage.by_type[kind]) for kind in SCHOOL_TYPES
                if kind in self.coverage.by_type]

    def share(self, numerator: str, *denominator: str) -> float | None:
        bottom = self.numbers[denominator[0]] - sum(self.numbers[k] for k in denominator[1:])
        return share(self.numbers[numerator], bottom)

    def breakdown(self, prefix: str) -> list[tuple[str, int]]:
        return sorted(((k[len(prefix) + 1:], v) for k, v in self.numbers.items()
                       if k.startswith(prefix + ".")), key=lambda kv: -kv[1])

    def months(self) -> list[tuple[str, int, int]]:
        found = sorted({k.split(".")[1] for k in self.numbers if k.startswith("month.")})
        return [(m, self.numbers[f"month.{m}.requests"], self.numbers[f"month.{m}.handled"])
                for m in found]


# A list shows this many cases (the most overdue, or the newest); its heading
# gives the count, and the supervision queue and case lists hold the rest.
LIST_LIMIT = 100
_TIMES = [getattr(Case, name) for step in TIMED_STEPS for name in figures.STEP_COLUMNS[step]]


def _worst_miss(times, closed_at, as_of: datetime) -> tuple[str, float]:
    """Of a case's (due, done) pairs in TIMED_STEPS order, the deadline missed by
    the most (done late, or undone past it by ``as_of``): its step and seconds."""
    worst, late_by = "", 0.0
    for i, step in enumerate(TIMED_STEPS):
        due, done = times[2 * i], times[2 * i + 1]
        if due is None or due > as_of:
            continue
        if done is None and closed_at is not None and closed_at <= due:
            continue  # closed before it fell due: not applicable
        seconds = ((done or as_of) - due).total_seconds()
        if (done is None or done > due) and seconds > late_by:
            worst, late_by = step, seconds
    return worst, late_by


def _late_text(step: str, late_by: float) -> str:
    if not step:
        return ""
    hours = int(late_by // 3600)
    how_long = _l("%(days)d d %(hours)d h", days=hours // 24, hours=hours % 24)
    return f"{STEP_LABELS[step]}: {how_long}"


def _where(user, scope: figures.Scope, period: Period, as_of: datetime, condition):
    return (queries.visible_cases(user).join(Unit, Case.unit_id == Unit.id)
            .where(scope.clause(), Case.received_at >= period.start,
                   Case.received_at < period.end, Case.created_at <= as_of, condition))


def _overdue_rows(user, scope, period, as_of: datetime, condition) -> list[Row]:
    """The LIST_LIMIT cases most overdue: ranked on their deadline columns alone,
    then only those loaded as cases (and checked row by row)."""
    ranked = []
    for case_id, closed_at, *times in db.session.execute(
            _where(user, scope, period, as_of, condition)
            .with_only_columns(Case.id, Case.closed_at, *_TIMES)):
        step, late_by = _worst_miss(times, closed_at, as_of)
        ranked.append((-late_by, case_id, step, late_by))
    ranked.sort()
    chosen = {case_id: (step, late_by) for _, case_id, step, late_by in ranked[:LIST_LIMIT]}
    cases = queries.fetch_cases(user, select(Case).where(Case.id.in_(list(chosen))))
    rows = [Row(c, _late_text(*chosen[c.id]), chosen[c.id][1]) for c in cases]
    return sorted(rows, key=lambda row: (-row.late_by, row.case.received_at))


def _newest(user, scope, period, as_of: datetime, condition) -> list:
    return queries.fetch_cases(user, _where(user, scope, period, as_of, condition)
                               .order_by(Case.received_at.desc()).limit(LIST_LIMIT))


def build(user, unit: Unit | None, period: Period) -> Dashboard:
    """The view for ``user``: a supervisor's chosen unit (in their subtree), or,
    with ``unit`` None, their own caseload as lead officer."""
    as_of = clock.now()
    scope = figures.Scope(unit=unit) if unit is not None else figures.Scope(
        lead_officer_id=user.id)
    n = figures.compute(scope, period, as_of)
    unfounded, handled = figures._unfounded(as_of), figures._handled(as_of)
    missed = or_(*(and_(figures._applies(s, as_of), not_(figures._met(s, as_of)))
                   for s in TIMED_STEPS))
    help_ = Case.help_requested.is_(True)
    not_handled = _overdue_rows(user, scope, period, as_of,
                                and_(help_, not_(unfounded), not_(handled)))
    # As "every deadline met" counts them: unfounded cases apart.
    late = _overdue_rows(user, scope, period, as_of, and_(help_, not_(unfounded), missed))
    unfounded_cases = _newest(user, scope, period, as_of, and_(help_, unfounded))
    no_help = _newest(user, scope, period, as_of, Case.help_requested.is_(False))

    # Open work now, in two statements over the scope's open cases.
    open_cases = queries.visible_cases(user).join(Unit, Case.unit_id == Unit.id).where(
        scope.clause(), Case.stage != "closure")
    caseload = db.session.execute(
        open_cases.with_only_columns(Case.lead_officer_id, func.count())
        .where(Case.lead_officer_id.is_not(None))
        .group_by(Case.lead_officer_id).order_by(func.count().desc())).all()
    unassigned, plans_waiting, closures_waiting = db.session.execute(
        open_cases.with_only_columns(
            func.coalesce(func.sum(case((Case.lead_officer_id.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(Case.stage.in_(rules.PLAN_STAGES),
                                               Case.plan_drafted_at.is_not(None),
                                               Case.plan_approved_at.is_(None)), 1),
                                        else_=0)), 0),
            func.coalesce(func.sum(case((Case.closure_requested_at.is_not(None), 1),
                                        else_=0)), 0))).one()
    in_scope = queries.visible_cases(user).join(Unit, Case.unit_id == Unit.id).where(
        scope.clause()).with_only_columns(Case.id).scalar_subquery()
    glass = db.session.scalar(select(func.count()).select_from(BreakGlassAccess).where(
        BreakGlassAccess.case_id.in_(in_scope), BreakGlassAccess.started_at >= period.start,
        BreakGlassAccess.started_at < period.end)) or 0
    people = {c.lead_officer_id for rows in (not_handled, late) for r in rows
              for c in [r.case]} | {uid for uid, _ in caseload}
    board = Dashboard(period=period, as_of=as_of, unit=unit, numbers=n, not_handled=not_handled,
                      late=late, unfounded=unfounded_cases, no_help=no_help,
                      caseload=[(uid, count) for uid, count in caseload],
                      unassigned=unassigned, plans_waiting=plans_waiting,
                      closures_waiting=closures_waiting, break_glass_uses=glass,
                      names=user_names(people))
    if unit is not None:
        board.school_year = school_year.current()
        board.coverage = sessions.coverage(unit, board.school_year.first, board.school_year.last)
    board.charts = _charts(board)
    return board


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _charts(b: Dashboard) -> dict[str, str]:
    groups = [g for g in (*GROUPS, "total") if g != "unbanded" or b.numbers["requests.unbanded"]]
    made = {
        "handled": charts.bars(
            str(_l("Requests and how many were supported")),
            [str(GROUP_LABELS[g]) for g in groups],
            {str(_l("Requests")): [b.numbers[f"requests.{g}"] for g in groups],
             str(_l("Supported")): [b.numbers[f"handled.{g}"] for g in groups],
             str(_l("Not yet")): [b.numbers[f"not_handled.{g}"] for g in groups]}),
        "on_time": charts.bars(
            str(_l("On time, per deadline")), [str(STEP_LABELS[s]) for s in TIMED_STEPS],
            {str(_l("Share on time (percent)")): [
                _percent(b.share(f"on_time.{s}.met", f"on_time.{s}.due")) for s in TIMED_STEPS]},
            percent=True),
    }
    by_type = b.coverage_by_type()
    if by_type:
        made["coverage"] = charts.bars(
            str(_l("Schools that held an awareness session, by kind")),
            [str(SCHOOL_LABELS[kind]) for kind, _, _ in by_type],
            {str(_l("Schools")): [total for _, total, _ in by_type],
             str(_l("With a session")): [covered for _, _, covered in by_type]})
    months = b.months()
    if months:
        made["months"] = charts.line(str(_l("Requests and supported, by month")),
                                     [f"{m[5:]}/{m[2:4]}" for m, _, _ in months],
                                     {str(_l("Requests")): [r for _, r, _ in months],
                                      str(_l("Supported")): [h for _, _, h in months]})
    return made


def units_for(user, *, most: int) -> list[Unit] | None:
    """The units a supervisor may choose: theirs and those below it (none when
    their unit's row fails its check: they see their own caseload only); None
    when there are more than ``most``."""
    root = unit_scope(user)
    if root is None:
        return []
    rows = db.session.scalars(select(Unit).where(
        Unit.path.startswith(root.path, autoescape=True)).order_by(Unit.path)
        .limit(most + 1)).all()
    return None if len(rows) > most else rows


def unit_names() -> dict[str, str]:
    """Unit paths (as the breakdown keys them) to names."""
    return {u.path: u.name for u in db.session.scalars(select(Unit))}
