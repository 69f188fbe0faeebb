"""The 100% figure and the programme's breakdowns, in SQL over operational
metadata only (no decryption), for a period and a scope (a unit and the
units below it, or one officer's caseload).

The keys and their definitions are :mod:`caseapp.reports.numbers`'; the same
numbers are computed there in Python from the audit log's facts.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, literal, literal_column, not_, or_, select
from sqlalchemy.sql import ColumnElement

from caseapp import clock
from caseapp.awareness import service as sessions
from caseapp.cases.models import (
    Case,
    Referral,
    SupportAction,
    case_harm_categories,
    case_platforms,
)
from caseapp.extensions import db
from caseapp.units.models import Unit

from .numbers import LEGACY_MINOR_BAND, MINOR_BAND, TIMED_STEPS
from .period import Period

STEP_COLUMNS = {"emergency": ("emergency_due_at", "emergency_done_at"),
                "assessment": ("assessment_due_at", "assessed_at"),
                "needs": ("needs_assessment_due_at", "needs_assessed_at"),
                "plan_draft": ("plan_draft_due_at", "plan_drafted_at"),
                "plan_approval": ("plan_approval_due_at", "plan_approved_at")}


@dataclass(frozen=True)
class Scope:
    """Whose cases: a unit's subtree (``unit``), or one officer's caseload."""

    unit: Unit | None = None
    lead_officer_id: str | None = None

    def clause(self) -> ColumnElement:
        if self.lead_officer_id is not None:
            return Case.lead_officer_id == self.lead_officer_id
        return Unit.path.startswith(self.unit.path, autoescape=True)


def utc_offset() -> timedelta:
    """The local zone's offset (Vietnam keeps one all year): month boundaries."""
    return clock.local_timezone().utcoffset(None) or timedelta(0)


def _group() -> ColumnElement:
    return case((Case.age_band == MINOR_BAND, literal("minors")),
                (Case.age_band == LEGACY_MINOR_BAND, literal("unbanded")),
                else_=literal("children"))


def _unfounded(as_of) -> ColumnElement:
    return and_(Case.stage == "closure", Case.closure_reason_code == "unfounded",
                Case.closure_approved_at <= as_of)


def _handled(as_of) -> ColumnElement:
    supported = exists(select(SupportAction.id).where(SupportAction.case_id == Case.id,
                                                      SupportAction.performed_at <= as_of))
    return and_(not_(_unfounded(as_of)), Case.first_assigned_at <= as_of,
                Case.assessed_at <= as_of, supported)


def _applies(step: str, as_of) -> ColumnElement:
    due, done = (getattr(Case, name) for name in STEP_COLUMNS[step])
    closed_before = and_(done.is_(None), Case.closed_at.is_not(None), Case.closed_at <= due)
    return and_(due.is_not(None), due <= as_of, not_(closed_before))


def _met(step: str, as_of) -> ColumnElement:
    due, done = (getattr(Case, name) for name in STEP_COLUMNS[step])
    return and_(_applies(step, as_of), done.is_not(None), done <= due)


def _count(condition) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _month(column) -> ColumnElement:
    hours = int(utc_offset().total_seconds() // 3600)
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, f"{hours:+d} hours")
    # An integer of our own, rendered inline: a bound interval would be processed
    # as the column's (time-zone aware) type.
    return func.to_char(column + literal_column(f"INTERVAL '{hours:d} hours'"), "YYYY-MM")


def _where(scope: Scope, period: Period, as_of: datetime, *, help_only: bool = True):
    clauses = [scope.clause(), Case.received_at >= period.start, Case.received_at < period.end,
               Case.created_at <= as_of]
    if help_only:
        clauses.append(Case.help_requested.is_(True))
    return and_(*clauses)


def compute(scope: Scope, period: Period, as_of: datetime) -> Counter:
    """Every key of :mod:`caseapp.reports.numbers`, from the database.

    Computed groups are grouped by their label: PostgreSQL binds each literal of
    an expression as its own parameter, so the same expression repeated in GROUP
    BY would not match the one in SELECT."""
    n: Counter = Counter()
    base = select().select_from(Case).join(Unit, Case.unit_id == Unit.id)
    where = _where(scope, period, as_of)
    unfounded, handled = _unfounded(as_of), _handled(as_of)

    rows = db.session.execute(base.add_columns(
        _group().label("g"), func.count(), _count(unfounded), _count(handled))
        .where(where).group_by("g")).all()
    for group, requests, unfounded_n, handled_n in rows:
        for g in (group, "total"):
            n[f"requests.{g}"] += requests
            n[f"unfounded.{g}"] += unfounded_n
            n[f"handled.{g}"] += handled_n
            n[f"not_handled.{g}"] += requests - unfounded_n - handled_n
    n["no_help.total"] = db.session.scalar(base.add_columns(func.count()).where(
        _where(scope, period, as_of, help_only=False), Case.help_requested.is_(False))) or 0

    # Deadlines: those that fell in the period (and by the report's date), met or not;
    # and the cases of R - U none of whose deadlines was missed.
    columns = []
    for step in TIMED_STEPS:
        due = getattr(Case, STEP_COLUMNS[step][0])
        in_period = and_(due >= period.start, due < period.end)
        columns += [_count(and_(_applies(step, as_of), in_period)),
                    _count(and_(_met(step, as_of), in_period))]
    missed = or_(*(and_(_applies(step, as_of), not_(_met(step, as_of)))
                   for step in TIMED_STEPS))
    columns += [_count(not_(unfounded)), _count(and_(not_(unfounded), not_(missed)))]
    values = db.session.execute(base.add_columns(*columns).where(where)).one()
    for i, step in enumerate(TIMED_STEPS):
        n[f"on_time.{step}.due"] = values[2 * i]
        n[f"on_time.{step}.met"] = values[2 * i + 1]
    n["all_met.cases"], n["all_met.met"] = values[-2], values[-1]

    _breakdowns(n, base.where(where), handled, as_of)
    for name, table, column in (("by_harm", case_harm_categories, "harm_category_code"),
                                ("by_platform", case_platforms, "platform_code")):
        code = table.c[column]
        for key, count in db.session.execute(
                base.add_columns(code, func.count()).join(table, table.c.case_id == Case.id)
                .where(where).group_by(code)):
            n[f"{name}.{key}"] = count
    for agency, status, count in db.session.execute(
            base.add_columns(Referral.agency_code, Referral.status, func.count())
            .join(Referral, Referral.case_id == Case.id).where(where)
            .group_by(Referral.agency_code, Referral.status)):
        n[f"referrals.{agency}.{status}"] = count
    return +n


def _breakdowns(n: Counter, base, handled, as_of: datetime) -> None:
    """The breakdowns that group the cases themselves, in one pass: a row per
    combination, summed here (a GROUP BY per breakdown re-read every case)."""
    closed = and_(Case.stage == "closure", Case.closure_reason_code.is_not(None),
                  Case.closure_approved_at <= as_of)
    groups = (("by_stage", Case.stage), ("by_risk", func.coalesce(Case.risk_level, "none")),
              ("by_channel", Case.channel_code), ("by_gender", Case.gender_code),
              ("by_band", Case.age_band), ("by_unit", Unit.path),
              ("month", _month(Case.received_at)),
              ("closures", case((closed, Case.closure_reason_code), else_=None)))
    labels = [f"g{i}" for i in range(len(groups))]
    for *keys, count, handled_n in db.session.execute(
            base.add_columns(*(column.label(name) for (_, column), name in zip(groups, labels,
                                                                                strict=True)),
                             func.count(), _count(handled))
            .group_by(*labels)):
        for (prefix, _), key in zip(groups, keys, strict=True):
            if prefix == "month":
                n[f"month.{key}.requests"] += count
                n[f"month.{key}.handled"] += handled_n
            elif prefix == "closures":
                if key is not None:
                    n[f"closures.{key}"] += count
            else:
                n[f"{prefix}.{key}"] += count


def awareness(unit: Unit, period: Period) -> Counter:
    """The awareness keys of :mod:`caseapp.reports.numbers` for ``unit``'s subtree."""
    found = Counter(sessions.totals(unit, period.first, period.last))
    cover = sessions.coverage(unit, period.first, period.last, named=0)
    found["awareness.schools"] = cover.schools
    found["awareness.schools_covered"] = cover.covered
    return +found
