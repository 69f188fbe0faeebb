"""The one scoped query of cases. Every view, export and API call starts here.

``visible_cases(user)`` is DESIGN.md's role table as SQL (the same rule as
:func:`caseapp.permissions.cases.can_view_case`, tested against it): a case
outside it does not exist for the user. ``load_case`` answers such a case
with :class:`CaseNotFound` (404) and audits the denial.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Integer,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased, selectinload

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.crypto.row_integrity import prefetch
from caseapp.extensions import db
from caseapp.paging import Window, is_row_id, window_of
from caseapp.permissions import cases as rules
from caseapp.permissions import public_help as public_rules
from caseapp.units.models import Unit

from .errors import CaseNotFound
from .models import Case, CaseAssignee, SupportPlan

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


def scope_clause(user, *, ordered: bool = False):
    """WHERE clause of the cases ``user`` may see (false for admins, disabled or anonymous).

    ``ordered``: the clause of a list page read in an index's order, LIMIT 51.
    A supervisor's subtree is most of a district's cases; SQLite (no
    statistics) would otherwise fetch the whole subtree by the unit index and
    sort it, where walking the order's index and skipping the cases of other
    units stops after a page. ``unit_id + 0`` is the same test without the unit
    index. PostgreSQL keeps the plain test: its planner has the statistics to
    choose, and counts keep it everywhere."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_enabled
            and user.role in rules.STAFF_ROLES):
        return false()
    if user.role == "supervisor":
        return unindexed(Case.unit_id, ordered).in_(_subtree_unit_ids(user.unit.path))
    clauses = [assigned_clause(user.id),
               and_(Case.recorded_by_id == user.id, Case.stage == "intake",
                    _in_own_units(user))]
    if user.role in public_rules.TRIAGE_ROLES:
        clauses.append(awaiting_triage_clause(user.unit_id))
    return or_(*clauses)


def awaiting_triage_clause(unit_id):
    """Requests from the public form of ``unit_id`` that nobody leads yet, still
    open (:func:`caseapp.permissions.public_help.awaiting_triage` as SQL)."""
    public_recorders = select(User.id).where(User.username.startswith(
        public_rules.PUBLIC_SERVICE_KIND + User.SERVICE_MARK, autoescape=True))
    # Never assigned: a case leaves intake only once someone leads it, so this
    # is the rule's "at intake" too (the stage is tested on the row by the rule;
    # here the range stays on its index, ix_cases_open_unit_lead).
    return and_(Case.unit_id == unit_id, Case.lead_officer_id.is_(None),
                Case.stage != "closure", Case.first_assigned_at.is_(None),
                Case.purged_at.is_(None), Case.recorded_by_id.in_(public_recorders))


def _in_own_units(user):
    """The case is in ``user``'s units: a report its recorder sees at intake
    stops being theirs once transferred elsewhere (rules.is_intake_recorder)."""
    return Case.unit_id.in_(_subtree_unit_ids(user.unit.path))


def unindexed(column, ordered: bool = True):
    """``column`` as a value SQLite will not look up by its own index, for a list
    page read in another index's order (see :func:`scope_clause`); itself on
    PostgreSQL, whose planner has statistics to choose."""
    if not ordered or db.session.get_bind().dialect.name != "sqlite":
        return column
    return column + 0 if isinstance(column.type, Integer) else column.op("||")(literal(""))


def visible_cases(user, *, ordered: bool = False) -> Select:
    """``select(Case)`` limited to what ``user`` may see. Add filters and order to it
    (``ordered``: a list page in an index's order, see :func:`scope_clause`)."""
    return select(Case).where(scope_clause(user, ordered=ordered))


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
    return allowed(user, _load(query))


def allowed(user, cases: list[Case]) -> list[Case]:
    """The loaded ``cases`` the rules agree ``user`` may see (see fetch_cases)."""
    return [case for case in cases if rules.can_view_case(user, case)]


def load_ranges(ranges: list[Select], size: int) -> list[Case]:
    """The rows of a page (at most ``size`` + 1) read from its ranges in turn,
    before the rules' second look (a keyset takes its next mark from the last
    row fetched, shown or not). Every range is read (ids only, an index range
    each), then the rows in one query: a page costs the same statements
    wherever it falls."""
    ids = range_ids(ranges, size)
    return in_order(ids, load_ids(ids))


def range_ids(ranges: list[Select], size: int) -> list[str]:
    """The ids of a page's rows (at most ``size`` + 1), every range read."""
    ids: list[str] = []
    for query in ranges:
        ids += db.session.scalars(query.with_only_columns(Case.id)).all()
    return ids[:size + 1]


def load_ids(ids: list[str]) -> dict[str, Case]:
    """The cases of ``ids`` by id, with what the rules and lists read of them:
    the same statements for one page or for several pages' ids together."""
    if not ids:
        return {}
    return {c.id: c for c in _load(select(Case).where(Case.id.in_(list(dict.fromkeys(ids)))))}


def in_order(ids: list[str], loaded: dict[str, Case]) -> list[Case]:
    return [loaded[i] for i in ids if i in loaded]


def _load(query: Select, *, records: bool = False) -> list[Case]:
    # What the rules and the lists read of every row, in one query each per
    # page rather than one per row; ``records``: also what the API's summary
    # reads (platforms, and the plans behind "plan missing"/"decision missing").
    query = query.options(selectinload(Case.assignees), selectinload(Case.harm_categories),
                          selectinload(Case.unit))
    if records:
        query = query.options(selectinload(Case.platforms), selectinload(Case.plans))
    cases = list(db.session.scalars(query))
    # The rows' anchors in one query per 500, not three queries per row; their
    # units' too (the rules read a unit's path to place a case, e.g. a report
    # transferred away from the counselor who recorded it).
    prefetch([*cases, *{c.unit_id: c.unit for c in cases}.values()])
    return cases


# "My cases" is read a page at a time. The order is the nearest deadline
# first (so the overdue ones, whose deadlines are the nearest, come first),
# then cases without a deadline, each by the oldest report; the case id breaks
# ties. It is a keyset: the next page starts after the last row shown, served
# by the (next_deadline_at, received_at, id) index, however deep the page.
# The API's page is one "case.list" audit entry naming its references twice at
# most (14 bytes each): 50 keep it well under the log's 2 KB of details.
PAGE_SIZE = 50


PAGE_MARK_LENGTH = 200  # a page mark is far shorter: anything longer is not one


@dataclass(frozen=True)
class PageMark:
    """Where a page of "My cases" ends: carried in the next page's URL as an
    opaque token (a deadline, a time of report, a case id: no child data)."""

    deadline: datetime | None
    received_at: datetime
    case_id: str

    def token(self) -> str:
        raw = "|".join((self.deadline.isoformat() if self.deadline else "",
                        self.received_at.isoformat(), self.case_id))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str | None) -> PageMark | None:
        """The mark in ``token``, or None for anything else (the first page)."""
        if not token or len(token) > PAGE_MARK_LENGTH:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            deadline, received, case_id = raw.split("|")
            if not is_row_id(case_id):
                return None  # a NUL byte or any other text no case id has
            return cls(clock.as_utc(datetime.fromisoformat(deadline)) if deadline else None,
                       clock.as_utc(datetime.fromisoformat(received)), case_id)
        except (ValueError, OverflowError, UnicodeDecodeError):
            return None

    @classmethod
    def of(cls, case: Case) -> PageMark:
        return cls(case.next_deadline_at, case.received_at, case.id)


def _after(mark: PageMark):
    later_report = tuple_(Case.received_at, Case.id) > tuple_(
        literal(mark.received_at, Case.received_at.type), literal(mark.case_id))
    if mark.deadline is None:
        return and_(Case.next_deadline_at.is_(None), later_report)
    deadline = literal(mark.deadline, Case.next_deadline_at.type)
    return or_(Case.next_deadline_at.is_(None),
               Case.next_deadline_at > deadline,
               and_(Case.next_deadline_at == deadline, later_report))


def by_nearest_deadline(query: Select, now: datetime | None = None) -> Select:
    """The nearest deadline first (overdue ones are the nearest), then the cases
    without one; the oldest report first among equals."""
    return query.order_by(Case.next_deadline_at.is_(None), Case.next_deadline_at,
                          Case.received_at, Case.id)


def my_cases(user, *, include_closed: bool = False, now: datetime | None = None,
             after: PageMark | None = None) -> Select:
    """"My cases": sorted by the nearest deadline with overdue first."""
    query = visible_cases(user)
    if not include_closed:
        query = query.where(Case.stage != "closure")
    if after is not None:
        query = query.where(_after(after))
    return by_nearest_deadline(query, now)


# What the search box of "My cases" accepts: a case reference or its
# beginning, "HS-" first (the box starts with it), in the references' own
# alphabet; nothing else reaches a query (a name typed there is refused).
REFERENCE_PREFIX = re.compile(r"HS-?([23456789ABCDEFGHJKMNPQRSTUVWXYZ]{1,8})")


def reference_prefix(raw: str | None) -> str | None:
    """``raw`` as the beginning of a case reference ("hs-c92h" → "HS-C92H"),
    or None when it is not one."""
    match = REFERENCE_PREFIX.fullmatch((raw or "").strip().upper())
    return f"HS-{match.group(1)}" if match else None


# A whole reference typed without its "HS-" (what is on the paper file or
# said on the phone): all eight characters of the references' alphabet. It
# is taken for a reference only when the person has a case of that reference
# (:func:`visible_reference`): a name or an online handle typed by mistake
# ("tuan2k9", "MAYNHANG") then never reaches a URL (hostile review).
_BARE_REFERENCE = re.compile(r"([23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8})")


def typed_reference(raw: str | None) -> str | None:
    """What was typed in the search box as a reference's beginning: with its
    "HS-" in any case ("hs-c92h" → "HS-C92H"); None otherwise."""
    return reference_prefix(raw)


def bare_whole_reference(raw: str | None) -> str | None:
    """A whole reference typed without "HS-" ("yyzadpnk" → "HS-YYZADPNK"),
    to be looked up before it is used anywhere; None otherwise."""
    bare = _BARE_REFERENCE.fullmatch((raw or "").strip().upper())
    return f"HS-{bare.group(1)}" if bare else None


def visible_reference(user, reference: str) -> bool:
    """Whether ``user`` has a case of this reference on their list (their scope)."""
    return db.session.scalar(visible_cases(user).where(Case.reference == reference)
                             .with_only_columns(Case.id).limit(1)) is not None


def _my_open(user, include_closed: bool, *, ordered: bool = False,
             reference_prefix: str | None = None) -> Select:
    query = visible_cases(user, ordered=ordered)
    if reference_prefix is not None:
        # The list's own query (its scope, its order) with one more condition.
        query = query.where(Case.reference.startswith(reference_prefix, autoescape=True))
    return query if include_closed else query.where(Case.stage != "closure")


# Open and at intake, written out (not bound values) as the partial indexes
# over them have it (models.OPEN_CASE_SQL), so that SQLite and PostgreSQL match
# a query with those indexes.
_OPEN = Case.stage != literal_column("'closure'")
_AT_INTAKE = Case.stage == literal_column("'intake'")
_CLOSED = Case.stage == literal_column("'closure'")


@dataclass(frozen=True)
class Arm:
    """One way of being on "My cases": its cases (``select(Case)``) and the
    index that serves them (``in_order``: in the list's order; else the
    person's own rows of that index, their cases looked up by id and sorted)."""

    query: Select
    index: str
    in_order: bool = True

    def keys(self, order: tuple) -> tuple:
        """``order``'s columns as this arm compares and sorts them: an arm read
        by id tests the cases' own columns without their indexes (SQLite would
        otherwise walk the deadline index over every case without a deadline
        and test each against the person's assignments)."""
        return order if self.in_order else tuple(unindexed(c) for c in order)


def own_case_arms(user, *, include_closed: bool = False, reference_prefix: str | None = None,
                  ordered: bool = True) -> list[Arm]:
    """"My cases" of ``user`` as sets of cases that do not overlap, whose union
    is exactly the scope of :func:`scope_clause` with the list's filters.

    A counselor's or an officer's cases are the cases they lead (open, and
    closed when shown), those they are assigned to and do not lead, and the
    intakes they recorded that they neither lead nor are assigned to (and, for
    a counselor, the public requests of their unit awaiting triage). Each is
    a range of an index keyed on the person (migration 0e5d7a1c4b2f), in the
    list's order where the index is on cases: the page is a merge of index
    ranges and the total a sum of counts over them, where one OR of the three
    was a scan of every open case (issue 16: 2.1 s at 1,000,000 cases). The
    assignments are read from the person's (user, case) index and their cases
    by id, sorted among themselves: as many as the person's assignments,
    however many cases the database holds. A supervisor's list is their
    subtree, one arm (``ordered``: read in the list's order, see
    :func:`scope_clause`; a count is not)."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_enabled
            and user.role in rules.STAFF_ROLES) or user.role == "supervisor":
        return [Arm(_my_open(user, include_closed, ordered=ordered,
                             reference_prefix=reference_prefix), "ix_cases_deadline_order")]
    not_lead = or_(Case.lead_officer_id.is_(None), Case.lead_officer_id != user.id)
    led = select(Case).where(Case.lead_officer_id == user.id)
    assigned = select(Case).where(
        Case.id.in_(select(CaseAssignee.case_id).where(CaseAssignee.user_id == user.id)),
        not_lead)
    arms = [Arm(led.where(_OPEN), "ix_cases_open_lead_order")]
    if include_closed:
        arms.append(Arm(led.where(_CLOSED), "ix_cases_closed_lead_order"))
    arms += [
        Arm(assigned if include_closed else assigned.where(_OPEN),
            "ix_case_assignees_user_case", in_order=False),
        Arm(select(Case).where(Case.recorded_by_id == user.id, _AT_INTAKE, not_lead,
                               _in_own_units(user),
                               ~exists().where(CaseAssignee.case_id == Case.id,
                                               CaseAssignee.user_id == user.id)),
            "ix_cases_intake_recorder_order")]
    if user.role in public_rules.TRIAGE_ROLES:
        # Requests from the public form of their unit that nobody leads yet (a
        # few open rows of the unit's range without a lead, sorted among
        # themselves): no one is on them, so they would be in no arm above.
        arms.append(Arm(select(Case).where(awaiting_triage_clause(user.unit_id)),
                        "ix_cases_open_unit_lead", in_order=False))
    if reference_prefix is not None:
        arms = [Arm(arm.query.where(Case.reference.startswith(reference_prefix,
                                                              autoescape=True)),
                    arm.index, arm.in_order) for arm in arms]
    return arms


def count_my_cases(user, *, include_closed: bool = False,
                   reference_prefix: str | None = None) -> int:
    """How many cases "My cases" lists in all: one statement, the sum of a
    count over each of :func:`own_case_arms` (index ranges; nothing loaded)."""
    counts = [arm.query.with_only_columns(func.count(), maintain_column_froms=True)
              .scalar_subquery()
              for arm in own_case_arms(user, include_closed=include_closed,
                                       reference_prefix=reference_prefix, ordered=False)]
    return db.session.scalar(select(sum(counts[1:], counts[0])))


# The keyset's order forwards and backwards: the cases with a deadline by
# (deadline, report, id), then those without by (report, id).
_DATED_ORDER = (Case.next_deadline_at, Case.received_at, Case.id)
_UNDATED_ORDER = (Case.received_at, Case.id)


def _merged(arms: list[Select], order: tuple, size: int, *, backwards: bool = False) -> Select:
    """The ids of the first ``size`` + 1 rows of ``arms`` (each already
    ordered, see :func:`_arm_range`) in ``order``: a merge of at most
    ``size`` + 1 rows per arm, not a sort of the list."""
    if len(arms) == 1:
        return arms[0].with_only_columns(Case.id)
    parts = union_all(*(select(arm.with_only_columns(*order).subquery())
                        for arm in arms)).subquery()
    keys = [parts.c[c.key] for c in order]
    return select(parts.c.id).order_by(*(k.desc() for k in keys) if backwards else keys) \
        .limit(size + 1)


def _arm_range(arm: Arm, dated: bool, *, mark: PageMark | None = None,
               backwards: bool = False, size: int | None = None) -> Select:
    """``arm``'s part of one range of the list in the list's order (reversed
    ``backwards``): its cases with a deadline (``dated``) by (deadline, report,
    id), or those without by (report, id); after ``mark`` (before it
    ``backwards``); the first ``size`` + 1 of them (all with no ``size``)."""
    keys = arm.keys(_DATED_ORDER)
    query = arm.query.where(keys[0].is_not(None) if dated else keys[0].is_(None))
    if mark is not None:
        compared = keys if dated else keys[1:]  # without a deadline: (report, id)
        values = ((literal(mark.deadline, Case.next_deadline_at.type),) if dated else ()) + (
            literal(mark.received_at, Case.received_at.type), literal(mark.case_id))
        query = query.where(tuple_(*compared) < tuple_(*values) if backwards
                            else tuple_(*compared) > tuple_(*values))
    # Ordered by the deadline too where it is NULL throughout: the index's own
    # order (PostgreSQL does not take "IS NULL" as a constant of the order).
    query = query.order_by(*(k.desc() for k in keys) if backwards else keys)
    return query if size is None else query.limit(size + 1)


def my_cases_arm_ranges(user, *, include_closed: bool = False, after: PageMark | None = None,
                        before: PageMark | None = None, reference_prefix: str | None = None,
                        size: int | None = None) -> list[tuple[tuple, list[Select]]]:
    """"My cases" from ``after`` (or back from ``before``, the first row of a
    page: the nearest row first) as ranges read one after the other, each (its
    columns in order, every arm's part of it): the cases with a deadline by
    (deadline, report, id), then those without by (report, id). Each part is a
    range of its arm's index; an ORDER BY on "deadline IS NULL" (NULLS LAST)
    would sort every row first."""
    arms = own_case_arms(user, include_closed=include_closed, reference_prefix=reference_prefix)

    def parts(dated: bool, **how) -> list[Select]:
        return [_arm_range(arm, dated, size=size, **how) for arm in arms]
    if before is not None:
        if before.deadline is None:
            return [(_UNDATED_ORDER, parts(False, mark=before, backwards=True)),
                    (_DATED_ORDER, parts(True, backwards=True))]
        return [(_DATED_ORDER, parts(True, mark=before, backwards=True))]
    if after is not None and after.deadline is None:
        return [(_UNDATED_ORDER, parts(False, mark=after))]
    return [(_DATED_ORDER, parts(True, mark=after)), (_UNDATED_ORDER, parts(False))]


def my_cases_ranges(user, *, include_closed: bool = False, after: PageMark | None = None,
                    before: PageMark | None = None, reference_prefix: str | None = None,
                    size: int | None = None) -> list[Select]:
    """The statements of a page of "My cases" from ``after`` (or back from
    ``before``): the ids of each range's first ``size`` + 1 rows in order, a
    merge of its arms' index ranges (see :func:`my_cases_arm_ranges`)."""
    size = size or PAGE_SIZE
    return [_merged(arms, order, size, backwards=before is not None)
            for order, arms in my_cases_arm_ranges(
                user, include_closed=include_closed, after=after, before=before,
                reference_prefix=reference_prefix, size=size)]


def _page_ids(ranges: list[Select], size: int) -> list[str]:
    ids: list[str] = []
    for query in ranges:
        # Every range read (ids only, short index ranges), so a page costs
        # the same statements wherever it falls.
        ids += db.session.scalars(query).all()
    return ids[:size + 1]


def my_cases_page(user, *, include_closed: bool = False, after: PageMark | None = None,
                  size: int | None = None, records: bool = False
                  ) -> tuple[list[Case], PageMark | None]:
    """One page of "My cases" and the mark where the next begins (None: the last);
    the page's rows come with what the list shows in one query each."""
    size = size or PAGE_SIZE
    ids = _page_ids(my_cases_ranges(user, include_closed=include_closed, after=after,
                                    size=size), size)
    loaded = {c.id: c for c in _load(select(Case).where(Case.id.in_(ids)), records=records)}
    rows = [loaded[i] for i in ids if i in loaded]
    mark = PageMark.of(rows[size - 1]) if len(rows) > size else None
    return allowed(user, rows[:size]), mark


def my_cases_window(user, *, include_closed: bool = False, after: PageMark | None = None,
                    before: PageMark | None = None, reference_prefix: str | None = None,
                    size: int | None = None) -> Window:
    """One page of "My cases" (the screen's): from ``after``, or back from
    ``before``, with the tokens of the pages on either side. Going back past
    the start (a stale or forged mark) shows the first page."""
    size = size or PAGE_SIZE
    backwards = after is None and before is not None
    ids = _page_ids(my_cases_ranges(user, include_closed=include_closed,
                                    after=None if backwards else after,
                                    before=before if backwards else None,
                                    reference_prefix=reference_prefix, size=size), size)
    loaded = {c.id: c for c in _load(select(Case).where(Case.id.in_(ids)))}
    rows = [loaded[i] for i in ids if i in loaded]
    window = window_of(rows, size, lambda c: PageMark.of(c).token(),
                       first=after is None and not backwards, backwards=backwards)
    if backwards and window.first:
        return my_cases_window(user, include_closed=include_closed,
                               reference_prefix=reference_prefix, size=size)
    window.rows = allowed(user, window.rows)
    return window


def overdue_cases(user, now: datetime | None = None, *, ordered: bool = False) -> Select:
    """The most overdue first, in the order of the "My cases" index."""
    now = now or clock.now()
    return visible_cases(user, ordered=ordered).where(Case.overdue_clause(now)).order_by(
        Case.next_deadline_at, Case.received_at, Case.id)


def assignment_queue(user, *, ordered: bool = False) -> Select:
    """A supervisor's queue: open cases with no lead officer, or someone assigned who is
    disabled."""
    lead = aliased(User)
    other = aliased(User)
    disabled_assignee = exists().where(CaseAssignee.case_id == Case.id,
                                       CaseAssignee.user_id == other.id,
                                       other.is_enabled.is_(False))
    disabled_lead = exists().where(lead.id == Case.lead_officer_id, lead.is_enabled.is_(False))
    query = visible_cases(user, ordered=ordered) if user is not None and \
        getattr(user, "role", None) == "supervisor" else select(Case).where(false())
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


def newest_plan(plan):
    """SQL: ``plan`` (an alias of SupportPlan) is its case's newest plan."""
    newer = aliased(SupportPlan)
    return ~select(newer.version).where(newer.case_id == plan.case_id,
                                        newer.version > plan.version).exists()


def plans_waiting(among=None) -> Select:
    """Ids of the cases whose newest plan waits for a supervisor: drafted,
    neither approved nor sent back (what
    :func:`caseapp.permissions.cases.plan_waiting` reads of the rows; approving
    checks the log as well), served by the waiting plans' own index;
    ``among``: only these case ids."""
    plan = aliased(SupportPlan)
    query = select(plan.case_id).where(plan.approved_at.is_(None), plan.returned_at.is_(None),
                                       newest_plan(plan))
    return query if among is None else query.where(plan.case_id.in_(among))


def plans_waiting_among(case_ids) -> set[str]:
    """Of these cases, those whose plan waits for a supervisor, in one statement
    for a whole list's page: only then is a late plan approval the
    supervisor's, not the officer's."""
    ids = list(case_ids)
    return set(db.session.scalars(plans_waiting(ids))) if ids else set()
