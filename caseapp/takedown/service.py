"""Getting a case's harmful content taken down.

For each harmful item of a case (a post, an account, a group, a link: where
it is, never what it shows) the people working on the case record each
request to remove it: to whom (the platform's report channel, its
trusted-flagger contact, the authority in charge of information safety, the
police), the day it was sent, the ticket or reference number, and later the
outcome and its day (removed, restricted, refused, no answer).

A request without an outcome ``TAKEDOWN_ANSWER_DAYS`` calendar days after the
day it was sent is overdue: "My cases" marks the case
(:func:`overdue_among`, registered as a list mark) and the notification scan
tells the people on the case (:func:`overdue_notices`), once per request.

Services take the actor, check the rules themselves, write the change and its
audit entry in one savepoint (no link or ticket in the entry) and flush; the
caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy import case as case_when
from sqlalchemy.orm import selectinload

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.cases.errors import CaseError, CaseErrors
from caseapp.cases.guards import LONG_TEXT, atomic, check_day, clean_text, ensure_visible
from caseapp.cases.models import Case
from caseapp.crypto import blind_index, current_keyring, unlock
from caseapp.crypto.blind_index import DEFAULT_BITS
from caseapp.extensions import db
from caseapp.permissions import cases as case_rules
from caseapp.permissions import supervisors_over
from caseapp.permissions import takedown as rules

from .models import CHANNELS, ITEM_KINDS, OUTCOMES, PLATFORMS, TakedownItem, TakedownRequest

MAX_ITEMS_PER_CASE = 100
SCAN_BATCH = 500
MAX_REQUESTS_PER_ITEM = 30
LINK_LENGTH = 500
TICKET_LENGTH = 200


@dataclass(frozen=True)
class ItemData:
    platform: str
    kind: str
    link: str
    note: str = ""


@dataclass(frozen=True)
class RequestData:
    item_id: str
    channel: str
    sent_on: date | None
    ticket: str = ""


@dataclass(frozen=True)
class OutcomeData:
    request_id: str
    outcome: str
    on: date | None


def answer_days() -> int:
    return int(current_app.config.get("TAKEDOWN_ANSWER_DAYS", 7))


def answer_due(sent_on: date) -> datetime:
    """The end (local midnight) of the TAKEDOWN_ANSWER_DAYS-th day after ``sent_on``."""
    day = sent_on + timedelta(days=answer_days() + 1)
    return datetime.combine(day, time(0), clock.local_timezone()).astimezone(UTC)


def _audit(action: str, actor, case: Case, **details) -> None:
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def _require_recorder(actor, case: Case, action: str) -> None:
    ensure_visible(actor, case, action)
    case_rules.require_open_for_work(actor, case, action=action)
    case_rules.require(rules.can_record_takedown(actor, case), actor, case, action=action)


def _link_index(link: str) -> int:
    try:
        return blind_index("offender_handle", link, current_keyring().blind_index_key,
                           bits=current_app.config.get("BLIND_INDEX_BITS", DEFAULT_BITS))
    except (ValueError, TypeError):
        raise CaseError(_l("This is not a link or an account name."), field="link") from None


def _own_row(model, row_id, case: Case, message, field: str):
    """A row of ``case`` by its id (for update), or CaseError: another case's id
    (a forged form) is the same "unknown" as one that does not exist."""
    row = db.session.scalar(select(model).where(model.id == row_id).with_for_update()
                            .execution_options(populate_existing=True)) \
        if isinstance(row_id, str) and 0 < len(row_id) <= 36 else None
    if row is None or row.case_id != case.id:
        raise CaseError(message, field=field)
    return row


# --- changes -----------------------------------------------------------------------------------

def add_item(actor, case: Case, data: ItemData) -> TakedownItem:
    """Record a harmful item (its link, never its content) of ``case``."""
    _require_recorder(actor, case, "takedown_item")
    problems: list[CaseError] = []
    if data.platform not in PLATFORMS:
        problems.append(CaseError(_l("Choose the platform from the list."), field="platform"))
    if data.kind not in ITEM_KINDS:
        problems.append(CaseError(_l("Choose what the item is: a post, an account, a group "
                                     "or another link."), field="kind"))
    link = index = None
    try:
        link = clean_text(data.link, "link", required=True, max_length=LINK_LENGTH,
                          message=_l("Give the link or the account name of the content."))
        index = _link_index(link)
    except CaseError as error:
        problems.append(error)
    try:
        note = clean_text(data.note, "note", max_length=LONG_TEXT)
    except CaseError as error:
        problems.append(error)
        note = ""
    if problems:
        raise CaseErrors(problems)
    count = db.session.scalar(select(func.count()).where(TakedownItem.case_id == case.id))
    if count >= MAX_ITEMS_PER_CASE:
        raise CaseError(_l("At most %(n)d items per case.", n=MAX_ITEMS_PER_CASE), field="link")
    unlock(case, grant=case_rules.grant_case_change(actor, case, action="takedown_item"))
    with atomic():
        item = TakedownItem(case_id=case.id, case=case, platform=data.platform, kind=data.kind,
                            link_index=index, recorded_by_id=actor.id, recorded_at=clock.now())
        item.link = link
        if note:
            item.note = note
        db.session.add(item)
        db.session.flush()
        _audit("case.takedown_item", actor, case, item_id=item.id, platform=item.platform,
               kind=item.kind)
    return item


def record_request(actor, case: Case, data: RequestData) -> TakedownRequest:
    """Record a request sent to take an item of ``case`` down."""
    _require_recorder(actor, case, "takedown_request")
    problems: list[CaseError] = []
    item = None
    try:
        item = _own_row(TakedownItem, data.item_id, case, _l("Choose the item from the list."),
                        "item")
    except CaseError as error:
        problems.append(error)
    if data.channel not in CHANNELS:
        problems.append(CaseError(_l("Choose to whom the request was sent."), field="channel"))
    if data.sent_on is None or not isinstance(data.sent_on, date):
        problems.append(CaseError(_l("Give the day the request was sent."), field="sent_on"))
    else:
        # Not before the report reached the unit: a back-dated request would
        # shorten its own answer time and skew the platforms' median.
        received = case.received_at.astimezone(clock.local_timezone()).date()
        try:
            check_day(data.sent_on, "sent_on", latest=clock.local_today())
            if data.sent_on < received:
                raise CaseError(_l("A request cannot have been sent before the report was "
                                   "received (%(day)s).", day=received.strftime("%d/%m/%Y")),
                                field="sent_on")
        except CaseError as error:
            problems.append(error)
    try:
        ticket = clean_text(data.ticket, "ticket", max_length=TICKET_LENGTH)
    except CaseError as error:
        problems.append(error)
        ticket = ""
    if problems:
        raise CaseErrors(problems)
    count = db.session.scalar(select(func.count()).where(TakedownRequest.item_id == item.id))
    if count >= MAX_REQUESTS_PER_ITEM:
        raise CaseError(_l("At most %(n)d requests per item.", n=MAX_REQUESTS_PER_ITEM),
                        field="item")
    unlock(case, grant=case_rules.grant_case_change(actor, case, action="takedown_request"))
    with atomic():
        row = TakedownRequest(case_id=case.id, case=case, item_id=item.id, item=item,
                              channel=data.channel, sent_on=data.sent_on,
                              answer_due_at=answer_due(data.sent_on),
                              recorded_by_id=actor.id, recorded_at=clock.now())
        if ticket:
            row.ticket = ticket
        db.session.add(row)
        db.session.flush()
        _audit("case.takedown_request", actor, case, request_id=row.id, item_id=item.id,
               channel=row.channel)
    return row


def record_outcome(actor, case: Case, data: OutcomeData) -> TakedownRequest:
    """What came of a request, and the day it came; an outcome is recorded once."""
    _require_recorder(actor, case, "takedown_outcome")
    row = _own_row(TakedownRequest, data.request_id, case, _l("Unknown request."), "request")
    problems: list[CaseError] = []
    if row.outcome is not None:
        raise CaseError(_l("The outcome of this request was already recorded."),
                        field="request")
    if data.outcome not in OUTCOMES:
        problems.append(CaseError(_l("Choose the outcome."), field="outcome"))
    if data.on is None or not isinstance(data.on, date):
        problems.append(CaseError(_l("Give the day of the outcome."), field="on"))
    elif data.on < row.sent_on:
        problems.append(CaseError(_l("The outcome cannot come before the request was sent."),
                                  field="on"))
    else:
        try:
            check_day(data.on, "on", latest=clock.local_today())
        except CaseError as error:
            problems.append(error)
    if problems:
        raise CaseErrors(problems)
    with atomic():
        row.outcome = data.outcome
        row.outcome_on = data.on
        row.outcome_by_id = actor.id
        row.outcome_recorded_at = clock.now()
        _audit("case.takedown_outcome", actor, case, request_id=row.id, outcome=row.outcome)
    return row


# --- reads -------------------------------------------------------------------------------------

def items_of(case: Case) -> list[TakedownItem]:
    return list(db.session.scalars(select(TakedownItem).where(TakedownItem.case_id == case.id)
                                   .order_by(TakedownItem.recorded_at, TakedownItem.id)))


def requests_of(case: Case) -> list[TakedownRequest]:
    return list(db.session.scalars(
        select(TakedownRequest).where(TakedownRequest.case_id == case.id)
        .order_by(TakedownRequest.sent_on, TakedownRequest.recorded_at, TakedownRequest.id)))


@dataclass(frozen=True)
class Counts:
    items: int
    removed: int
    waiting: int
    overdue: int


def counts(case: Case, now: datetime | None = None) -> Counts:
    """The case page's line, in two aggregate statements: items, items removed,
    requests waiting for an answer and, of those, overdue."""
    now = now or clock.now()
    removed = select(TakedownRequest.item_id).where(TakedownRequest.case_id == case.id,
                                                     TakedownRequest.outcome == "removed")
    items, removed_items = db.session.execute(
        select(func.count(), func.count(case_when((TakedownItem.id.in_(removed), 1))))
        .where(TakedownItem.case_id == case.id)).one()
    waiting, overdue = db.session.execute(
        select(func.count(), func.count(case_when((TakedownRequest.answer_due_at <= now, 1))))
        .where(TakedownRequest.case_id == case.id, TakedownRequest.outcome.is_(None))).one()
    return Counts(int(items), int(removed_items), int(waiting), int(overdue))


def _overdue_clause(now: datetime):
    return and_(TakedownRequest.outcome.is_(None), TakedownRequest.answer_due_at <= now)


def overdue_among(case_ids, now: datetime | None = None) -> set[str]:
    """Of these open cases (a list's page), those with a request overdue: one
    statement. A closed case takes no more work, so it is not marked."""
    ids = list(case_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(TakedownRequest.case_id).distinct()
        .join(Case, Case.id == TakedownRequest.case_id)
        .where(TakedownRequest.case_id.in_(ids), _overdue_clause(now or clock.now()),
               Case.stage != "closure", Case.purged_at.is_(None))))


def overdue_notices(now: datetime, _window) -> list[tuple[list[str], str, str, str]]:
    """For the notification scan: each request of an open case newly overdue,
    to the people on the case (its supervisors when nobody is), once per
    request (the request is marked announced, so a later scan does not read it
    again). Reads the requests, then their cases and people, at most 500 at a
    time; the marks are one UPDATE."""
    rows = db.session.execute(
        select(TakedownRequest.id, TakedownRequest.case_id)
        .join(Case, Case.id == TakedownRequest.case_id)
        .where(_overdue_clause(now), TakedownRequest.overdue_notified_at.is_(None),
               Case.stage != "closure", Case.purged_at.is_(None))
        .order_by(TakedownRequest.answer_due_at, TakedownRequest.id)).all()
    found = []
    supervisors: dict[str, list[str]] = {}
    for start in range(0, len(rows), SCAN_BATCH):
        batch = rows[start:start + SCAN_BATCH]
        cases = {c.id: c for c in db.session.scalars(
            select(Case).options(selectinload(Case.assignees), selectinload(Case.unit))
            .where(Case.id.in_({case_id for _id, case_id in batch})))}
        for request_id, case_id in batch:
            case = cases[case_id]
            people = [uid for uid in (case.lead_officer_id, *case.assignee_ids) if uid]
            if not people:
                if case.unit_id not in supervisors:
                    supervisors[case.unit_id] = [u.id for u in supervisors_over(case.unit)]
                people = supervisors[case.unit_id]
            found.append((sorted(set(people)), "takedown_overdue", case.reference,
                          f"takedown_overdue:{request_id}"))
        db.session.execute(update(TakedownRequest).where(
            TakedownRequest.id.in_([request_id for request_id, _case in batch]))
            .values(overdue_notified_at=now))
    return found


def forget_link_indexes(case: Case) -> None:
    """Before a case is shredded: its items' blind indexes go with its key (a
    link's index would otherwise still tie the shredded case to the content)."""
    db.session.execute(update(TakedownItem).where(TakedownItem.case_id == case.id,
                                                  TakedownItem.link_index.is_not(None))
                       .values(link_index=None))
