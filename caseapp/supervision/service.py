"""What a supervisor must act on: overdue cases, unassigned ones, approvals waiting,
cases in support without an approved plan, approved plans without the commune's
decision, open data requests and recent break-glass uses, all within their unit
subtree.

Every list comes through the scoped query and its rows are checked again
(:func:`caseapp.cases.queries.fetch_cases`); nothing here opens child data
except the break-glass reasons, each reading checked and audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.break_glass import service as break_glass
from caseapp.cases import queries
from caseapp.cases.actions import make_form
from caseapp.cases.models import MINOR_BAND, Case, SupportPlan
from caseapp.data_rights import service as data_rights
from caseapp.extensions import db
from caseapp.permissions import cases as rules

# The overdue list shows the most overdue first, this many at most; its heading
# gives the whole count (one SQL aggregate), and the figures page lists them all.
OVERDUE_SHOWN = 100


@dataclass
class Queue:
    now: datetime
    overdue: list[Case]
    overdue_total: int
    waiting: list[Case]
    closures: list[Case]
    plans: list[Case]
    plan_missing: list[Case]
    decisions: list[Case]
    assign_forms: dict[str, Any]
    names: dict[str, str]
    disabled: set[str]
    data_requests: list
    glass_uses: list
    glass_reasons: dict[str, str]
    glass_older: int
    glass_names: dict[str, str]


def queue(supervisor) -> Queue:
    now = clock.now()
    overdue_query = queries.overdue_cases(supervisor, now)
    overdue = queries.fetch_cases(supervisor, overdue_query.limit(OVERDUE_SHOWN))
    overdue_total = db.session.scalar(select(func.count()).select_from(
        overdue_query.order_by(None).with_only_columns(Case.id).subquery()))
    waiting = queries.fetch_cases(supervisor, queries.assignment_queue(supervisor))
    closures = queries.fetch_cases(supervisor, queries.visible_cases(supervisor).where(
        Case.stage != "closure", Case.closure_requested_at.is_not(None))
        .order_by(Case.closure_requested_at))
    plans = [c for c in queries.fetch_cases(supervisor, queries.visible_cases(supervisor).where(
        Case.stage.in_(rules.PLAN_STAGES), Case.plan_drafted_at.is_not(None),
        Case.plan_approved_at.is_(None)).order_by(Case.plan_approval_due_at))
        if rules.plan_waiting(c)]
    has_approved_plan = select(SupportPlan.id).where(SupportPlan.case_id == Case.id,
                                                     SupportPlan.approved_at.is_not(None))
    # In support without any approved plan (cases that entered support before the
    # plan was required), and approved plans without the commune's decision.
    plan_missing = queries.fetch_cases(supervisor, queries.visible_cases(supervisor).where(
        Case.stage.in_(("support", "referral")), ~has_approved_plan.exists())
        .order_by(Case.received_at))
    decisions = [c for c in queries.fetch_cases(supervisor, queries.visible_cases(supervisor)
                                                .where(Case.stage != "closure",
                                                       Case.age_band != MINOR_BAND,
                                                       has_approved_plan.exists())
                                                .order_by(Case.received_at))
                 if c.decision_missing]
    cases = [*waiting, *overdue, *closures, *plans, *plan_missing, *decisions]
    people_ids = ({c.lead_officer_id for c in cases if c.lead_officer_id}
                  | {uid for c in cases for uid in c.assignee_ids})
    people = db.session.scalars(select(User).where(User.id.in_(people_ids))).all() \
        if people_ids else []
    # Break-glass uses on cases of the subtree, each with its reason: the people
    # who judge them read them (each reading decrypted and audited).
    glass_uses = break_glass.accesses_in_scope(supervisor)
    glass_names = {u.id: u.username for u in db.session.scalars(
        select(User).where(User.id.in_({a.user_id for a in glass_uses})))} if glass_uses else {}
    return Queue(
        now=now, overdue=overdue, overdue_total=overdue_total, waiting=waiting,
        closures=closures, plans=plans,
        plan_missing=plan_missing, decisions=decisions,
        assign_forms={c.id: make_form("assign", c) for c in waiting},
        names={u.id: u.display_name or u.username for u in people},
        disabled={u.id for u in people if not u.is_enabled},
        data_requests=data_rights.open_requests_in_scope(supervisor),
        glass_uses=glass_uses,
        glass_reasons=break_glass.readable_reasons(supervisor, glass_uses),
        glass_older=break_glass.older_uses_in_scope(supervisor), glass_names=glass_names)
