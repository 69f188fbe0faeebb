"""What a supervisor must act on: cases waiting for a lead officer, overdue
cases, closure requests, plans waiting, cases in support without an approved
plan, approved plans without the commune's decision, open data requests and
recent break-glass uses, all within their unit subtree.

Every list is read a page at a time (:mod:`caseapp.paging`, a keyset on its
order's columns): the supervision page shows the first page of each, its
heading the whole count (one SQL aggregate, nothing loaded), and each list's
own page (``/supervision/<list>``) walks the rest with "next page". Every
condition is SQL, so the count, the pages and the rows agree. The case lists
come through the scoped query and their rows are checked again
(:func:`caseapp.cases.queries.fetch_cases`); nothing here opens child data
except the break-glass reasons, each reading checked and audited.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import aliased

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.break_glass import service as break_glass
from caseapp.cases import queries
from caseapp.cases.actions import quick_assign_forms
from caseapp.cases.models import MINOR_BAND, Case, CaseAssignee, SupportPlan
from caseapp.data_rights import service as data_rights
from caseapp.extensions import db
from caseapp.paging import Key, Keyset, Window
from caseapp.permissions import cases as rules
from caseapp.transfers import service as transfers

# Rows of each list on a list's own page, and on the supervision page, where
# every list shows its most urgent few with its whole count and a link to the
# rest (the page stays readable on a phone: it was 37,000 px tall with 50 each).
SHOWN = 50
SUMMARY_SHOWN = 5
# A work queue needs to know that a list is long, not how long past this: each
# count stops at COUNT_CAP + 1 rows ("999+" on the page), so the page costs the
# same with a district's cases as with a province's million. The exact numbers
# are the reports' (caseapp.reports), which count everything.
COUNT_CAP = 999

_BY_RECEIVED = Keyset(Key(Case.received_at, "time"), Key(Case.id, "str"))


# Every list holds open cases only, and says so in the words of the partial
# indexes over open cases (a literal, not a bound value, so that both
# databases match it with them): the lists walk, and the counts range over,
# the open cases alone, however many were closed before.
OPEN = Case.stage != literal_column("'closure'")  # OPEN_CASE_SQL, as the indexes have it


def _newest_approved(plan):
    newer = aliased(SupportPlan)
    return ~select(newer.version).where(newer.case_id == plan.case_id,
                                        newer.approved_at.is_not(None),
                                        newer.version > plan.version).exists()


def _waiting(supervisor, _now, ordered=False) -> Select:
    return queries.assignment_queue(supervisor, ordered=ordered).order_by(None).where(OPEN)


def _overdue(supervisor, now, ordered=False) -> Select:
    return queries.overdue_cases(supervisor, now, ordered=ordered).order_by(None).where(OPEN)


def _closures(supervisor, _now, ordered=False) -> Select:
    return queries.visible_cases(supervisor, ordered=ordered).where(
        OPEN, Case.stage != "closure", Case.closure_requested_at.is_not(None))


@cache  # the same statement every time (its aliases built once); no argument to key on
def _plans_waiting() -> Select:
    return queries.plans_waiting()


def _plans(supervisor, _now, ordered=False) -> Select:
    return queries.visible_cases(supervisor, ordered=ordered).where(
        OPEN, queries.unindexed(Case.stage, ordered).in_(rules.PLAN_STAGES),
        Case.plan_drafted_at.is_not(None),
        queries.unindexed(Case.id, ordered).in_(_plans_waiting()))


def _has_approved_plan():
    # a column named, not "SELECT *": SQLite then reads the plans' index alone
    return select(SupportPlan.approved_at).where(SupportPlan.case_id == Case.id,
                                                 SupportPlan.approved_at.is_not(None)).exists()


def _plan_missing(supervisor, _now, ordered=False) -> Select:
    """In support without any approved plan (cases that entered support before
    the plan was required)."""
    return queries.visible_cases(supervisor, ordered=ordered).where(
        OPEN, queries.unindexed(Case.stage, ordered).in_(("support", "referral")),
        ~_has_approved_plan())


@cache  # the same statement every time (its aliases built once)
def _decisions_missing():
    """Ids of the cases whose newest approved plan has no commune decision
    recorded (:attr:`Case.decision_missing`): the undecided plans' own index."""
    plan = aliased(SupportPlan)
    return select(plan.case_id).where(plan.approved_at.is_not(None),
                                      plan.decision_recorded_at.is_(None), _newest_approved(plan))


def _decisions(supervisor, _now, ordered=False) -> Select:
    """:attr:`Case.decision_missing` as SQL: open cases, never a minor's."""
    return queries.visible_cases(supervisor, ordered=ordered).where(
        OPEN, Case.stage != "closure", Case.age_band != MINOR_BAND,
        queries.unindexed(Case.id, ordered).in_(_decisions_missing()))


@cache  # the same statement every time (its aliases built once)
def _disabled_users():
    return select(User.id).where(User.is_enabled.is_(False))


def _waiting_parts(supervisor, now) -> list[Select]:
    """The cases waiting for a lead as three disjoint parts, each counted on its
    own index: no lead; a disabled lead; an enabled lead and a disabled
    assignee. Together exactly :func:`caseapp.cases.queries.assignment_queue`."""
    if getattr(supervisor, "role", None) != "supervisor":
        return [_waiting(supervisor, now)]
    base = queries.visible_cases(supervisor).where(OPEN, Case.stage != "closure")
    with_disabled_assignee = select(CaseAssignee.case_id).where(
        CaseAssignee.user_id.in_(_disabled_users()))
    return [base.where(Case.lead_officer_id.is_(None)),
            base.where(Case.lead_officer_id.in_(_disabled_users())),
            base.where(Case.lead_officer_id.is_not(None),
                       Case.lead_officer_id.not_in(_disabled_users()),
                       Case.id.in_(with_disabled_assignee))]


def _count_parts(supervisor, now, name) -> list[Select]:
    """The statements whose row counts add up to list ``name``'s count."""
    if name == "unassigned":
        return _waiting_parts(supervisor, now)
    return [CASE_LISTS[name].query(supervisor, now, False)]


@dataclass(frozen=True)
class CaseListSpec:
    # (supervisor, now, ordered): ordered for a page, plain for its count
    query: Callable[..., Select]
    keyset: Keyset


# Each case list: its condition (SQL) and its order (a keyset served by an index).
CASE_LISTS: dict[str, CaseListSpec] = {
    # The danger ones first, then the oldest report.
    "unassigned": CaseListSpec(_waiting, Keyset(
        Key(Case.immediate_danger, "bool", descending=True), Key(Case.received_at, "time"),
        Key(Case.id, "str"), split=True)),
    # The most overdue first.
    "overdue": CaseListSpec(_overdue, Keyset(Key(Case.next_deadline_at, "time"),
                                             Key(Case.received_at, "time"),
                                             Key(Case.id, "str"))),
    "closures": CaseListSpec(_closures, Keyset(Key(Case.closure_requested_at, "time"),
                                               Key(Case.id, "str"))),
    # The plan waiting longest first.
    "plans": CaseListSpec(_plans, Keyset(Key(Case.plan_drafted_at, "time"),
                                         Key(Case.id, "str"))),
    "plan-missing": CaseListSpec(_plan_missing, _BY_RECEIVED),
    "decisions": CaseListSpec(_decisions, _BY_RECEIVED),
}
# Transfers: cases other units ask the supervisor's units to take (metadata
# only until accepted), and the cases of their units being transferred away.
TRANSFER_LISTS = ("transfers-in", "transfers-out")
OTHER_LISTS = ("data-requests", "break-glass-uses", *TRANSFER_LISTS)
LISTS = (*CASE_LISTS, *OTHER_LISTS)


@dataclass
class ListPage:
    """One page of one list: its rows, the whole count, where the next page starts."""

    name: str
    rows: list
    total: int
    next_token: str | None
    first: bool = True
    prev_token: str | None = None  # the previous page's ("before" this page's first row)

    @property
    def window(self) -> Window:
        return Window(self.rows, self.next_token, self.prev_token, self.first)

    @property
    def capped(self) -> bool:
        """The count stopped at its cap: the list is longer than ``COUNT_CAP``
        (the case lists only; the others are counted exactly)."""
        return self.name in CASE_LISTS and self.total > COUNT_CAP

    @property
    def exact_total(self) -> int | None:
        return None if self.capped else self.total


def _counted(query: Select):
    """``query``'s row count up to ``COUNT_CAP + 1``, as a scalar subquery: the
    rows are read from an index range that stops there."""
    limited = (query.order_by(None).with_only_columns(literal_column("1"))
               .limit(COUNT_CAP + 1).subquery())
    return select(func.count()).select_from(limited).scalar_subquery()


def counts(supervisor, now: datetime, names=None) -> dict[str, int]:
    """The count of each case list (``names``: all), in one statement: one
    aggregate per list, each a range over an index of the open cases in each
    unit of the supervisor's subtree (the migration of issue 16's counts),
    stopped at ``COUNT_CAP + 1``."""
    names = list(CASE_LISTS if names is None else names)
    if not names:
        return {}
    columns = []
    for name in names:
        parts = [_counted(q) for q in _count_parts(supervisor, now, name)]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        columns.append(total.label(name.replace("-", "_")))
    row = db.session.execute(select(*columns)).one()
    # a list counted in parts (waiting for a lead) is capped as one
    return {name: min(int(value or 0), COUNT_CAP + 1)
            for name, value in zip(names, row, strict=True)}


def case_list(supervisor, name: str, *, now: datetime | None = None, after: str | None = None,
              before: str | None = None, size: int | None = None,
              total: int | None = None) -> ListPage:
    """One page of case list ``name``, from ``after`` or back from ``before``
    (going back past the start, a stale or forged mark, shows the first page);
    ``total``: its count, if already known. A list with no row at all is not
    walked: its count says so."""
    spec = CASE_LISTS[name]
    size = size or SHOWN
    now = now or clock.now()
    if total is None:
        total = counts(supervisor, now, [name])[name]
    first = spec.keyset.parse(after) is None and spec.keyset.parse(before) is None
    if total == 0 and first:
        return ListPage(name, [], 0, None, first=True)
    ranges, backwards = spec.keyset.window_ranges(spec.query(supervisor, now, True), after,
                                                  before, size)
    page = _case_page(supervisor, name, queries.load_ranges(ranges, size), size, total,
                      after=after, backwards=backwards)
    if backwards and page.first:
        return case_list(supervisor, name, now=now, size=size, total=total)
    return page


def _case_page(supervisor, name: str, rows: list, size: int, total: int, *,
               after: str | None = None, backwards: bool = False) -> ListPage:
    spec = CASE_LISTS[name]
    window = spec.keyset.window(rows, size,
                                first=not backwards and spec.keyset.parse(after) is None,
                                backwards=backwards)
    return ListPage(name, queries.allowed(supervisor, window.rows), total, window.next_token,
                    first=window.first, prev_token=window.prev_token)


def first_case_pages(supervisor, names, now: datetime, totals: dict[str, int],
                     size: int) -> dict[str, ListPage]:
    """The first page of each case list in ``names``, as :func:`case_list` gives
    it, with the rows of all of them loaded together: the statements that load
    a page's rows (the cases, their units, harms, assignees and anchors) are run
    once for the supervision page, not once per list."""
    ids: dict[str, list[str]] = {}
    for name in names:
        if totals[name]:
            spec = CASE_LISTS[name]
            ranges, _ = spec.keyset.window_ranges(spec.query(supervisor, now, True), None,
                                                  None, size)
            ids[name] = queries.range_ids(ranges, size)
    loaded = queries.load_ids([i for name in ids for i in ids[name]])
    return {name: _case_page(supervisor, name, queries.in_order(ids[name], loaded), size,
                             totals[name])
            if name in ids else ListPage(name, [], 0, None, first=True)
            for name in names}


def other_list(supervisor, name: str, *, after: str | None = None, before: str | None = None,
               size: int | None = None) -> ListPage:
    size = size or SHOWN
    if name in TRANSFER_LISTS:
        incoming = name == "transfers-in"
        window = (transfers.incoming_window if incoming else transfers.outgoing_window)(
            supervisor, after=after, before=before, size=size)
        total = (transfers.count_incoming if incoming else transfers.count_outgoing)(supervisor)
    elif name == "data-requests":
        window = data_rights.open_requests_window(supervisor, after=after, before=before,
                                                  size=size)
        total = data_rights.count_open_requests(supervisor)
    else:
        window = break_glass.accesses_window(supervisor, after=after, before=before, size=size)
        total = break_glass.count_accesses_in_scope(supervisor)
    return ListPage(name, window.rows, total, window.next_token, first=window.first,
                    prev_token=window.prev_token)


def any_list(supervisor, name: str, *, now: datetime | None = None,
             after: str | None = None, before: str | None = None,
             size: int | None = None, totals: dict[str, int] | None = None) -> ListPage:
    if name in CASE_LISTS:
        return case_list(supervisor, name, now=now, after=after, before=before, size=size,
                         total=(totals or {}).get(name))
    return other_list(supervisor, name, after=after, before=before, size=size)


@dataclass
class Queue:
    now: datetime
    lists: dict[str, ListPage]
    assign_forms: dict[str, Any]
    names: dict[str, str]
    disabled: set[str]
    glass_reasons: dict[str, str]
    glass_older: int
    glass_names: dict[str, str]


def queue(supervisor, *, only: str | None = None, after: str | None = None,
          before: str | None = None) -> Queue:
    """The supervision page (the first page of every list), or one list's page
    (``only``, from ``after`` or back from ``before``)."""
    now = clock.now()
    names = (only,) if only else LISTS
    size = None if only else SUMMARY_SHOWN
    case_names = [n for n in names if n in CASE_LISTS]
    totals = counts(supervisor, now, case_names)
    if only:
        lists = {only: any_list(supervisor, only, now=now, after=after, before=before,
                                totals=totals)}
    else:
        first = first_case_pages(supervisor, case_names, now, totals, size)
        lists = {name: first[name] if name in first else other_list(supervisor, name, size=size)
                 for name in names}
    cases = [c for name in names if name in CASE_LISTS for c in lists[name].rows]
    people_ids = ({c.lead_officer_id for c in cases if c.lead_officer_id}
                  | {uid for c in cases for uid in c.assignee_ids})
    people = db.session.scalars(select(User).where(User.id.in_(people_ids))).all() \
        if people_ids else []
    # Break-glass uses on cases of the subtree, each with its reason: the people
    # who judge them read them (each reading decrypted and audited).
    glass_uses = lists["break-glass-uses"].rows if "break-glass-uses" in lists else []
    glass_names = {u.id: u.username for u in db.session.scalars(
        select(User).where(User.id.in_({a.user_id for a in glass_uses})))} if glass_uses else {}
    waiting = lists["unassigned"].rows if "unassigned" in lists else []
    return Queue(
        now=now, lists=lists,
        assign_forms=quick_assign_forms(supervisor, waiting),
        names={u.id: u.display_name or u.username for u in people},
        disabled={u.id for u in people if not u.is_enabled},
        glass_reasons=break_glass.readable_reasons(supervisor, glass_uses),
        glass_older=break_glass.older_uses_in_scope(supervisor)
        if "break-glass-uses" in lists else 0,
        glass_names=glass_names)
