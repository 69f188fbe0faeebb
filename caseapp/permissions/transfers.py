"""Who may move a case to another unit, and who reads why.

Moving a case moves who sees the child, so every rule here is narrow:

* a supervisor of the case (its unit or a unit above) asks for the transfer,
  once the case has left intake (at intake the counselor who recorded it
  still sees it, whatever its unit: :func:`cases.is_intake_recorder`) and
  while it is open; the same supervisors may cancel it while it waits;
* a supervisor of the receiving unit (or of a unit above it) decides, never
  the one who asked (a second person moves a child's case); until then the
  receiving side sees the transfer's metadata only (reference, stage, the
  reason's category, the sending unit, dates), never the child nor the
  sealed reason, and the case stays where it is for everyone;
* the sealed reasons are read by the supervisors of the case and the people
  who may see its child data (after an acceptance, that is the receiving
  side), each reading audited.

A transfer row that is not intact (changed outside the app) counts as absent.
"""
from __future__ import annotations

from flask import has_request_context, request

from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.crypto.grants import Grant, issue_grant

from . import cases as rules

REQUEST_COLUMNS = frozenset({"case_transfers.reason"})
DECLINE_COLUMNS = frozenset({"case_transfers.decline_reason"})
READ_COLUMNS = REQUEST_COLUMNS | DECLINE_COLUMNS
TRANSFERABLE_STAGES = ("intake", "assessment", "support", "referral")


def is_receiving_supervisor(user, transfer) -> bool:
    """A supervisor whose scope holds the receiving unit (the row genuine)."""
    return (rules.can_open_supervision(user) and intact(transfer)
            and rules.unit_contains(user.unit, transfer.to_unit))


def can_request_transfer(user, case) -> bool:
    return (rules.is_supervisor_of(user, case) and not case.is_purged and not case.is_closed
            and case.stage in TRANSFERABLE_STAGES)


def can_see_transfer(user, transfer) -> bool:
    """The transfer's metadata: the supervisors of the case, and the receiving side
    while it waits for them. A declined or cancelled transfer's row shows the
    case's live stage: the unit that did not take the case has no reason to
    follow it (after an acceptance they are the case's supervisors)."""
    return intact(transfer) and (
        rules.is_supervisor_of(user, transfer.case)
        or (transfer.status == "pending" and is_receiving_supervisor(user, transfer)))


def can_decide_transfer(user, transfer) -> bool:
    """Accept or decline: a receiving supervisor other than the one who asked."""
    return (transfer.status == "pending" and is_receiving_supervisor(user, transfer)
            and user.id != transfer.requested_by_id)


def can_cancel_transfer(user, transfer) -> bool:
    return (transfer.status == "pending" and intact(transfer)
            and rules.is_supervisor_of(user, transfer.case))


def can_read_transfer_reasons(user, transfer) -> bool:
    case = transfer.case
    return intact(transfer) and not case.is_purged and (
        rules.is_supervisor_of(user, case) or rules.can_view_child_data(user, case))


# --- grants ------------------------------------------------------------------------------------

def grant_transfer_request(user, case) -> Grant:
    """Open the case's key to seal the reason of a new transfer (that column
    only); the service's own entry records the change. Refusals audited."""
    if not can_request_transfer(user, case):
        raise rules.deny(user, case, action="transfer_request")
    return issue_grant("case.transfer_request", user.id, case.id, columns=REQUEST_COLUMNS)


def grant_transfer_decline(user, transfer) -> Grant:
    """Open the case's key to seal a receiving supervisor's reason for declining
    (that column only: nothing of the case can be read with it)."""
    if not can_decide_transfer(user, transfer):
        raise rules.deny(user, transfer.case, action="transfer_decline")
    return issue_grant("case.transfer_decline", user.id, transfer.case_id,
                       columns=DECLINE_COLUMNS)


def grant_transfer_reasons(user, transfer) -> Grant:
    """Open the case's key to read one transfer's reasons; audited as
    "case.transfer_reason" (the transfer's id, never the text)."""
    case = transfer.case
    if not can_read_transfer_reasons(user, transfer):
        raise rules.deny(user, case, action="transfer_reason")
    details = {"transfer_id": transfer.id}
    if has_request_context():
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.transfer_reason", actor=user, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)
    return issue_grant("case.transfer_reason", user.id, case.id, columns=READ_COLUMNS)
