"""Requests by the child or guardian to see, correct, restrict or delete data
(Law 91/2025/QH15 on personal data protection, Decree 13/2023).

Each request is recorded with the day it was received and its deadline
(DATA_REQUEST_HOURS, 72 h by default), then answered by a supervisor of the
case: granted or refused, with a written answer (sealed: it may name the
child). What granting does:

* access, correct: nothing automatic. The answer records what was given or
  changed (the printable forms' "copy for the child or guardian" leaves out
  the reporter, the offender's accounts and the police; corrections are made
  by the officer as notes);
* restrict: the case's child data is hidden from everyone but its
  supervisors (``Case.restricted_at``) until the restriction is lifted;
  officers keep the metadata and the deadlines, nothing else;
* delete: only once the case is closed, and then the case is crypto-shredded
  at once (:func:`caseapp.cases.retention.shred`): its data key is destroyed,
  every sealed field of it (this request's own text too) is unreadable for
  good, and the clear metadata that the statistics count stays.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from caseapp import clock, permissions
from caseapp.auditing.writer import record
from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.guards import LONG_TEXT, atomic, aware_datetime, clean_text, ensure_visible
from caseapp.cases.models import Case
from caseapp.cases.retention import shred
from caseapp.crypto import unlock
from caseapp.crypto.shredding import scrub_after_commit
from caseapp.extensions import db
from caseapp.notifications.service import notify
from caseapp.paging import Key, Keyset, Window
from caseapp.permissions import cases as rules

from .models import DATA_REQUEST_KINDS, DATA_REQUESTERS, DataRequest


@dataclass(frozen=True)
class DataRequestData:
    kind: str  # access | correct | restrict | delete
    requested_by: str  # child | guardian
    received_at: datetime | None = None
    details: str = ""


@dataclass(frozen=True)
class DataAnswerData:
    decision: str  # granted | refused
    answer: str


def hours() -> int:
    value = current_app.config.get("DATA_REQUEST_HOURS", 72)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("DATA_REQUEST_HOURS must be a whole number of at least 1")
    return value


def _audit(action: str, actor, case: Case, **details) -> None:
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def record_request(actor, case: Case, data: DataRequestData) -> DataRequest:
    ensure_visible(actor, case, "data_request")
    rules.require(rules.can_record_data_request(actor, case), actor, case, action="data_request")
    if data.kind not in DATA_REQUEST_KINDS:
        raise CaseError(_l("Choose what is asked: to see, correct, restrict or delete the data."),
                        field="kind")
    if data.requested_by not in DATA_REQUESTERS:
        raise CaseError(_l("Say who asked: the child or the parent or guardian."),
                        field="requested_by")
    now = clock.now()
    received = aware_datetime(data.received_at, "received_at") or now
    if received > now:
        raise CaseError(_l("The date received cannot be in the future."), field="received_at")
    details = clean_text(data.details, "details", max_length=LONG_TEXT)
    if data.kind == "correct" and not details:
        raise CaseError(_l("Say what should be corrected."), field="details")
    if details:
        # The text is sealed with the case's key: open it for this change (audited by it).
        unlock(case, grant=rules.grant_case_record(actor, case, action="data_request"))
    with atomic():
        row = DataRequest(case_id=case.id, case=case, kind=data.kind,
                          requested_by=data.requested_by, status="open",
                          received_at=received.replace(microsecond=0),
                          due_at=received.replace(microsecond=0) + timedelta(hours=hours()),
                          recorded_by_id=actor.id, recorded_at=now)
        if details:
            row.details = details
        db.session.add(row)
        db.session.flush()
        _audit("case.data_request", actor, case, request_id=row.id, kind=data.kind,
               requested_by=data.requested_by)
        notify([u for u in case_supervisors(case) if u != actor.id], "data_request",
               case_reference=case.reference, at=now)
    return row


def case_supervisors(case: Case) -> list[str]:
    """Enabled supervisors of the case's unit and of every unit above it."""
    return sorted(u.id for u in permissions.supervisors_over(case.unit))


def _request_of(case: Case, request_id: str) -> DataRequest:
    """The request, locked (and read fresh) so that two answers at once cannot both pass."""
    row = None
    if request_id and len(request_id) <= 36:
        row = db.session.scalar(select(DataRequest).where(DataRequest.id == request_id)
                                .with_for_update()
                                .execution_options(populate_existing=True))
    if row is None or row.case_id != case.id:
        raise CaseError(_l("Unknown request."), field="request")
    return row


def _notify(case: Case, kind: str, actor, now: datetime) -> None:
    """The people on the case (and its supervisors) learn of a restriction or its end."""
    ids = {uid for uid in [case.lead_officer_id, *case.assignee_ids] if uid}
    ids |= set(case_supervisors(case))
    ids.discard(actor.id)
    notify(ids, kind, case_reference=case.reference, at=now)


def answer_request(actor, case: Case, request_id: str, data: DataAnswerData) -> DataRequest:
    """Grant or refuse, with the answer given to the child or guardian."""
    ensure_visible(actor, case, "data_request_answer")
    rules.require(rules.can_answer_data_request(actor, case), actor, case,
                  action="data_request_answer")
    row = _request_of(case, request_id)
    if row.status != "open":
        raise CaseError(_l("This request was already answered."), field="request")
    if row.recorded_by_id == actor.id:
        # Two people: whoever took the request down does not also decide it.
        raise CaseError(_l("You recorded this request: another supervisor of the case answers "
                           "it."), field="request")
    if data.decision not in ("granted", "refused"):
        raise CaseError(_l("Choose whether the request is granted or refused."),
                        field="decision")
    answer = clean_text(data.answer, "answer", required=True, max_length=LONG_TEXT,
                        message=_l("Write the answer given to the child or guardian."))
    deleting = row.kind == "delete" and data.decision == "granted"
    if deleting and not case.is_closed:
        raise CaseError(_l("The case is still open: its data cannot be deleted while the child "
                           "is being helped. Close the case first, or refuse the request and "
                           "say why."), field="decision")
    now = clock.now()
    unlock(case, grant=rules.grant_case_record(actor, case, action="data_request_answer"))
    with atomic():
        row.status = data.decision
        row.answered_at = now
        row.answered_by_id = actor.id
        row.answer = answer
        if row.kind == "restrict" and data.decision == "granted":
            case.restricted_at = case.restricted_at or now
            _notify(case, "restricted", actor, now)
        _audit("case.data_request_answer", actor, case, request_id=row.id, kind=row.kind,
               decision=data.decision, late=now > clock.as_utc(row.due_at))
        if deleting:
            # The offender handles' indexes stay: they describe the offender, not the
            # child, and a deleted case must not wipe a repeat-offender warning.
            shred(case, now, reason="data_request", actor=actor, keep_offender_indexes=True)
            scrub_after_commit()
    return row


def lift_restriction(actor, case: Case, request_id: str) -> DataRequest:
    """End a granted restriction; the case's data is back for the people on it."""
    ensure_visible(actor, case, "data_request_lift")
    rules.require(rules.can_answer_data_request(actor, case), actor, case,
                  action="data_request_lift")
    row = _request_of(case, request_id)
    if row.kind != "restrict" or row.status != "granted":
        raise CaseError(_l("Only a restriction in force can be lifted."), field="request")
    if actor.id in (row.recorded_by_id, row.answered_by_id):
        # Lifting gives the child's data back: a third person, not the two who put it.
        raise CaseError(_l("You recorded or granted this restriction: another supervisor of "
                           "the case lifts it."), field="request")
    now = clock.now()
    with atomic():
        row.status = "lifted"
        row.lifted_at = now
        row.lifted_by_id = actor.id
        still = db.session.scalar(select(func.count()).select_from(DataRequest).where(
            DataRequest.case_id == case.id, DataRequest.kind == "restrict",
            DataRequest.status == "granted", DataRequest.id != row.id)) or 0
        if not still:
            case.restricted_at = None
            _notify(case, "restriction_lifted", actor, now)
        _audit("case.data_request_lift", actor, case, request_id=row.id)
    return row


def requests_of(case: Case) -> list[DataRequest]:
    return list(db.session.scalars(select(DataRequest).where(DataRequest.case_id == case.id)
                                   .order_by(DataRequest.received_at.desc())))


def request_states(case: Case) -> list[tuple[str, str, datetime]]:
    """(id, status, due_at) of the case's requests (the case page's line and its
    "what to do next"): three columns, no text read."""
    return [(r.id, r.status, clock.as_utc(r.due_at)) for r in db.session.execute(
        select(DataRequest.id, DataRequest.status, DataRequest.due_at)
        .where(DataRequest.case_id == case.id).order_by(DataRequest.received_at.desc()))]


# The supervision page's list: the nearest answer deadline first.
REQUEST_KEYSET = Keyset(Key(DataRequest.due_at, "time"), Key(DataRequest.id, "str"))


def _open_in_scope(supervisor):
    return (select(DataRequest).join(Case, DataRequest.case_id == Case.id)
            .where(queries.scope_clause(supervisor), DataRequest.status == "open"))


def open_requests_window(supervisor, *, after: str | None = None, before: str | None = None,
                         size: int = 50) -> Window:
    """One page of the requests waiting on the supervisor's cases (each with its
    case, loaded in the same query), from ``after`` or back from ``before``, with
    the tokens of the pages on either side."""
    in_scope = _open_in_scope(supervisor).options(contains_eager(DataRequest.case))
    return REQUEST_KEYSET.read(in_scope, after, before, size, db.session.scalars)


def count_open_requests(supervisor) -> int:
    return db.session.scalar(select(func.count()).select_from(
        _open_in_scope(supervisor).with_only_columns(DataRequest.id).subquery())) or 0


def open_requests_in_scope(supervisor) -> list[DataRequest]:
    """Requests waiting for an answer on the cases a supervisor sees, nearest deadline first."""
    return list(db.session.scalars(
        select(DataRequest).join(Case, DataRequest.case_id == Case.id)
        .where(queries.scope_clause(supervisor), DataRequest.status == "open")
        .order_by(DataRequest.due_at).limit(500)))


def overdue_clause(now: datetime | None = None):
    """SQL: requests still open past their deadline (for the supervision dashboard)."""
    return (DataRequest.status == "open") & (DataRequest.due_at <= (now or clock.now()))


def due_requests(now: datetime, window) -> list[tuple[list[str], str, str, str]]:
    """For the notification scan: open requests falling due within ``window``,
    to the case's supervisors (who answer them), once per request."""
    found = []
    rows = db.session.scalars(select(DataRequest).where(
        DataRequest.status == "open", DataRequest.due_at <= now + window))
    for row in rows:
        case = row.case
        found.append((case_supervisors(case), "data_request_due", case.reference,
                      f"data_request_due:{row.id}"))
    return found
