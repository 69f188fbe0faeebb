"""Transfers of a case between units: request, accept, decline, cancel.

Services take the acting user explicitly, check permission through
:mod:`caseapp.permissions.transfers` (refusals audited there), write the
change and its audit entry in one savepoint (:func:`atomic`) and flush; the
request (or command) commits once.

What an acceptance changes, and only that: the case's unit (its row MAC is
re-sealed by the ORM, so the permission layer and the scoped query read the
new unit at once), its lead officer and other assignees (cleared, for the
receiving supervisor to assign), its version. The reference, the stage, the
timestamps and every deadline are left as they are: a transfer does not
reset the clock. The audit entry of the acceptance carries the case's facts
under its new unit, so ``caseapp report --verify`` places the case where
the database does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from caseapp import clock
from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.cases import facts, queries
from caseapp.cases.errors import CaseError
from caseapp.cases.guards import atomic, clean_text, ensure_version, ensure_visible
from caseapp.cases.models import Case
from caseapp.crypto import unlock
from caseapp.crypto.row_integrity import prefetch
from caseapp.extensions import db
from caseapp.notifications.service import notify, settle
from caseapp.paging import Key, Keyset, Window
from caseapp.permissions import cases as case_rules
from caseapp.permissions import supervisors_over
from caseapp.permissions import transfers as rules
from caseapp.units.models import Unit
from caseapp.units.service import by_code

from .models import REASON_CODES, CaseTransfer

REASON_MAX_LENGTH = 2000
TRANSFER_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Notices: a kind and the case's reference, never child data.
REQUESTED, ACCEPTED, DECLINED = "transfer_requested", "transfer_accepted", "transfer_declined"
PAGE_SIZE = 50


class TransferNotFound(NotFound):
    """No such transfer for this user (or a malformed id): 404, the id never logged."""


@dataclass(frozen=True)
class TransferData:
    to_unit: str
    reason_code: str
    reason: str


# --- reading -----------------------------------------------------------------------------------

def transfers_of(case: Case) -> list[CaseTransfer]:
    """The case's genuine transfers, newest first (a row changed by hand is left out)."""
    return [t for t in db.session.scalars(
        select(CaseTransfer).where(CaseTransfer.case_id == case.id)
        .order_by(CaseTransfer.requested_at.desc())) if intact(t)]


def pending_of(case: Case) -> CaseTransfer | None:
    found = db.session.scalar(select(CaseTransfer).where(
        CaseTransfer.case_id == case.id, CaseTransfer.status == "pending"))
    return found if found is not None and intact(found) else None


def pending_case_ids(case_ids) -> set[str]:
    """Which of these cases are being transferred (for the queues' badge)."""
    ids = list(case_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(CaseTransfer.case_id).where(
        CaseTransfer.case_id.in_(ids), CaseTransfer.status == "pending")))


def _subtree(supervisor):
    prefix = supervisor.unit.path
    return select(Unit.id).where(Unit.path.startswith(prefix, autoescape=True))


# The lists' order, oldest first: a transfer waits days, so the pending ones
# are few; the keyset still pages them (issue 16: every list pages).
KEYSET = Keyset(Key(CaseTransfer.requested_at, "time"), Key(CaseTransfer.id, "str"))
# A listed transfer shows its case's reference and stage and both units: read
# with the page, not one lazy load per row.
_WITH_ROWS = (joinedload(CaseTransfer.case), joinedload(CaseTransfer.from_unit),
              joinedload(CaseTransfer.to_unit))


def _incoming(supervisor):
    return select(CaseTransfer).where(CaseTransfer.status == "pending",
                                      CaseTransfer.to_unit_id.in_(_subtree(supervisor)))


def _outgoing(supervisor):
    """Pending transfers whose case ``supervisor`` may see, as conditions on the
    transfers alone: the pending ones in the words of their partial index (a
    literal, not a bound value), each one's case tested by its key (EXISTS).
    A join let SQLite, which keeps no statistics of an empty table, walk every
    case of the subtree instead: 10 s for the root supervisor at 1,000,000
    cases, for a list that is usually empty."""
    return select(CaseTransfer).where(
        CaseTransfer.status == literal_column("'pending'"),
        select(Case.id).where(Case.id == CaseTransfer.case_id,
                              queries.scope_clause(supervisor)).exists())


def _window(supervisor, query, allowed, after, before, size) -> Window:
    if not case_rules.can_open_supervision(supervisor):
        return Window([], None, None, first=True)
    def fetch(statement) -> list:
        rows = list(db.session.scalars(statement))
        # The rows' anchors in one query per kind of row (each row opened checks its own).
        prefetch(rows)
        prefetch([t.case for t in rows])
        prefetch({u for t in rows for u in (t.from_unit, t.to_unit)})
        return rows

    # A row changed outside the app is left out (and reported by the check),
    # the page filled on past it: no mark or short page gives it away.
    return KEYSET.read(query.options(*_WITH_ROWS), after, before, size or PAGE_SIZE, fetch,
                       keep=lambda t: allowed(supervisor, t))


def incoming_window(supervisor, *, after: str | None = None, before: str | None = None,
                    size: int | None = None) -> Window:
    """A page of the pending transfers into ``supervisor``'s units, oldest first
    (metadata only), from ``after`` or back from ``before``."""
    return _window(supervisor, _incoming(supervisor), rules.is_receiving_supervisor,
                   after, before, size)


def outgoing_window(supervisor, *, after: str | None = None, before: str | None = None,
                    size: int | None = None) -> Window:
    """A page of the pending transfers of cases in ``supervisor``'s scope ("being
    transferred"), oldest first."""
    return _window(supervisor, _outgoing(supervisor), rules.can_cancel_transfer,
                   after, before, size)


def count_incoming(supervisor) -> int:
    if not case_rules.can_open_supervision(supervisor):
        return 0
    return db.session.scalar(select(func.count()).select_from(
        _incoming(supervisor).with_only_columns(CaseTransfer.id).subquery())) or 0


def count_outgoing(supervisor) -> int:
    if not case_rules.can_open_supervision(supervisor):
        return 0
    return db.session.scalar(select(func.count()).select_from(
        _outgoing(supervisor).with_only_columns(CaseTransfer.id).subquery())) or 0


def load_transfer(actor, transfer_id: str, *, action: str) -> CaseTransfer:
    """The transfer ``transfer_id`` if ``actor`` may see it (the receiving side, the
    case's supervisors); else TransferNotFound, audited as a denial (a malformed
    id is not written to the log)."""
    transfer_id = (transfer_id or "").strip().lower()
    found = db.session.get(CaseTransfer, transfer_id) if TRANSFER_ID.match(transfer_id) \
        else None
    if found is None or not rules.can_see_transfer(actor, found):
        case_rules.record_denial(actor, found.case if found is not None else None,
                                 action=action)
        raise TransferNotFound()
    return found


def read_reasons(actor, transfer: CaseTransfer) -> tuple[str | None, str | None]:
    """The transfer's sealed reasons (checked and audited by the permission layer)."""
    unlock(transfer.case, grant=rules.grant_transfer_reasons(actor, transfer))
    return transfer.reason, transfer.decline_reason


# --- changes -----------------------------------------------------------------------------------

def _clean_reason(value, field: str, message) -> str:
    return clean_text(value, field, required=True, max_length=REASON_MAX_LENGTH,
                      message=message)


def _receiving_unit(case: Case, code: str) -> Unit:
    code = (code or "").strip()
    unit = by_code(code) if code and len(code) <= 32 else None
    if unit is None or not intact(unit):
        raise CaseError(_l("There is no unit with this code."), field="to_unit")
    if unit.id == case.unit_id:
        raise CaseError(_l("The case already belongs to this unit: choose another unit."),
                        field="to_unit")
    if not unit.is_active:
        raise CaseError(_l("This unit no longer takes cases."), field="to_unit")
    return unit


def _others(user_ids, actor) -> list[str]:
    return [uid for uid in user_ids if uid != getattr(actor, "id", None)]


def request_transfer(actor, case: Case, data: TransferData, *,
                     expected_version: int | None = None) -> CaseTransfer:
    """A supervisor of the case asks for it to move to ``data.to_unit``. Nothing
    about the case changes until a receiving supervisor accepts."""
    ensure_visible(actor, case, "transfer_request")
    if not rules.can_request_transfer(actor, case):
        message = None
        if case_rules.is_supervisor_of(actor, case) and case.is_closed:
            message = case_rules.closed_case_message()
        raise case_rules.deny(actor, case, action="transfer_request", message=message)
    ensure_version(case, expected_version)
    if pending_of(case) is not None:
        raise CaseError(_l("This case is already being transferred: cancel that transfer "
                           "first."), field="to_unit")
    unit = _receiving_unit(case, data.to_unit)
    if data.reason_code not in REASON_CODES:
        raise CaseError(_l("Choose why the case moves."), field="reason_code")
    reason = _clean_reason(data.reason, "reason",
                           _l("Say why the case moves to this unit."))
    grant = rules.grant_transfer_request(actor, case)
    unlock(case, grant=grant)
    now = clock.now()
    try:
        return _add_request(actor, case, unit, data.reason_code, reason, now)
    except IntegrityError:
        # Another request for the case landed first (the one-pending index).
        raise CaseError(_l("This case is already being transferred: cancel that transfer "
                           "first."), field="to_unit") from None


def _add_request(actor, case: Case, unit: Unit, reason_code: str, reason: str,
                 now) -> CaseTransfer:
    with atomic():
        transfer = CaseTransfer(case_id=case.id, case=case, from_unit_id=case.unit_id,
                                to_unit_id=unit.id, to_unit=unit, status="pending",
                                reason_code=reason_code, requested_by_id=actor.id,
                                requested_at=now)
        transfer.reason = reason
        db.session.add(transfer)
        db.session.flush()
        record("case.transfer_request", actor=actor, object_type="case",
               object_id=case.reference, unit_path=case.unit.path,
               details={"transfer_id": transfer.id, "from": case.unit.code, "to": unit.code,
                        "reason": reason_code})
        notify(_others([u.id for u in supervisors_over(unit)], actor), REQUESTED,
               case_reference=case.reference, at=now)
    return transfer


def _decided(transfer: CaseTransfer, actor, status: str) -> None:
    transfer.status = status
    transfer.decided_by_id = actor.id
    transfer.decided_at = clock.now()


def _sending_side(transfer: CaseTransfer, actor) -> list[str]:
    ids = {transfer.requested_by_id, *(u.id for u in supervisors_over(transfer.from_unit))}
    return _others(sorted(ids), actor)


def _still_pending(transfer: CaseTransfer) -> None:
    if transfer.status != "pending":
        raise CaseError(_l("This transfer was already decided."))


def _lock_pending(transfer: CaseTransfer) -> None:
    """The transfer as stored now, locked until the decision commits, and still
    pending: two supervisors deciding at once (one accepts, one declines or
    cancels) get one decision, the other a refusal (hostile review: both were
    written, the move hidden behind a "declined")."""
    db.session.scalar(select(CaseTransfer).where(CaseTransfer.id == transfer.id)
                      .with_for_update().execution_options(populate_existing=True))
    _still_pending(transfer)


def accept(actor, transfer: CaseTransfer) -> Case:
    """A receiving supervisor takes the case into their unit: see the module's docstring."""
    _still_pending(transfer)
    case = transfer.case
    case_rules.require(rules.can_decide_transfer(actor, transfer), actor, case,
                       action="transfer_accept")
    if case.is_closed or case.is_purged:
        raise CaseError(_l("The case was closed while its transfer waited: it stays where it "
                           "is."))
    unit = transfer.to_unit
    if not unit.is_active or not intact(unit):
        raise CaseError(_l("This unit no longer takes cases."))
    source = case.unit
    with atomic():
        _lock_pending(transfer)
        cleared = sorted({uid for uid in (case.lead_officer_id, *case.assignee_ids) if uid})
        case.unit_id = unit.id
        case.unit = unit
        case.lead_officer_id = None
        for row in list(case.assignees):
            case.assignees.remove(row)
        case.updated_at = clock.now()
        _decided(transfer, actor, "accepted")
        db.session.flush()
        record("case.transfer_accept", actor=actor, object_type="case",
               object_id=case.reference, unit_path=unit.path,
               details={"transfer_id": transfer.id, "from": source.code, "to": unit.code,
                        "cleared": cleared, "facts": facts.snapshot(case)})
        settle(case.reference, (REQUESTED,))
        notify(_sending_side(transfer, actor), ACCEPTED, case_reference=case.reference)
    return case


def decline(actor, transfer: CaseTransfer, reason: str) -> CaseTransfer:
    """A receiving supervisor refuses the case, saying why: nothing about the case changes."""
    _still_pending(transfer)
    case = transfer.case
    reason = _clean_reason(reason, "decline_reason",
                           _l("Say why your unit does not take this case."))
    grant = rules.grant_transfer_decline(actor, transfer)
    unlock(case, grant=grant)
    with atomic():
        _lock_pending(transfer)
        _decided(transfer, actor, "declined")
        transfer.decline_reason = reason
        db.session.flush()
        record("case.transfer_decline", actor=actor, object_type="case",
               object_id=case.reference, unit_path=case.unit.path,
               details={"transfer_id": transfer.id, "from": transfer.from_unit.code,
                        "to": transfer.to_unit.code})
        settle(case.reference, (REQUESTED,))
        notify(_sending_side(transfer, actor), DECLINED, case_reference=case.reference)
    return transfer


def cancel(actor, transfer: CaseTransfer) -> CaseTransfer:
    """A supervisor of the case withdraws the request while it waits."""
    _still_pending(transfer)
    case = transfer.case
    case_rules.require(rules.can_cancel_transfer(actor, transfer), actor, case,
                       action="transfer_cancel")
    with atomic():
        _lock_pending(transfer)
        _decided(transfer, actor, "cancelled")
        db.session.flush()
        record("case.transfer_cancel", actor=actor, object_type="case",
               object_id=case.reference, unit_path=case.unit.path,
               details={"transfer_id": transfer.id, "from": transfer.from_unit.code,
                        "to": transfer.to_unit.code})
        settle(case.reference, (REQUESTED,))
    return transfer
