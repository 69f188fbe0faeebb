"""Transfers on the JSON API: a case's transfer status, asking for a transfer,
cancelling it; the receiving side's list, accepting and declining.

Like the screens: the body is parsed into its declared model, the case is
loaded through the scoped query (404, audited, outside the caller's scope) or
the transfer by :func:`service.load_transfer` (the same), one service
function is called, and the answer has the declared shape. No child data:
the sealed reasons are on the case's section page only.
"""
from __future__ import annotations

from typing import Literal

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from pydantic import Field

from caseapp.api.openapi import route
from caseapp.api.schemas import Answer, Body, parse, query_option
from caseapp.cases import answers, queries
from caseapp.cases.api import CHANGE_ERRORS, answer
from caseapp.cases.schemas import Code, Stamp, Version
from caseapp.core.errors import render_error
from caseapp.paging import MAX_TOKEN
from caseapp.permissions import cases as case_rules

from . import service
from .models import CaseTransfer

bp = Blueprint("transfers_api", __name__, url_prefix="/api/v1")

NOTICE_LABELS = {
    service.REQUESTED: _l("A case transfer to your unit waits for your decision (Transfers):"),
    service.ACCEPTED: _l("The receiving unit accepted the transfer of case"),
    service.DECLINED: _l("The receiving unit declined the transfer of case"),
}
ReasonCode = Literal["child_moved", "other_commune", "handed_down", "other"]
TRANSFER_ERRORS = {**CHANGE_ERRORS, "404": "No such transfer, or not yours to see (the same "
                                           "answer)"}


@bp.before_request
@login_required
def require_login():
    """Every call needs a logged-in caller (401 otherwise)."""


class TransferIn(Body):
    to_unit: Code = Field(description="the receiving unit's code")
    reason_code: ReasonCode
    reason: str = Field(min_length=1, max_length=service.REASON_MAX_LENGTH,
                        description="why the case moves (sealed; do not name the child)")
    version: Version


class DeclineIn(Body):
    reason: str = Field(min_length=1, max_length=service.REASON_MAX_LENGTH,
                        description="why the receiving unit does not take the case (sealed)")


class TransferOut(Answer):
    id: str
    reference: str
    stage: str
    status: Literal["pending", "accepted", "declined", "cancelled"]
    reason_code: ReasonCode
    from_unit: str
    to_unit: str
    requested_at: Stamp
    decided_at: Stamp = None


class TransferStatus(Answer):
    reference: str
    unit: str
    being_transferred: bool
    pending: TransferOut | None = None
    history: list[TransferOut]


class TransferList(Answer):
    transfers: list[TransferOut]
    total: int
    next: str | None = None


class TransferDone(Answer):
    transfer: TransferOut


def _out(t: CaseTransfer) -> dict:
    return {"id": t.id, "reference": t.case.reference, "stage": t.case.stage,
            "status": t.status, "reason_code": t.reason_code, "from_unit": t.from_unit.code,
            "to_unit": t.to_unit.code, "requested_at": answers.iso(t.requested_at),
            "decided_at": answers.iso(t.decided_at) if t.decided_at else None}


def _status(case) -> dict:
    pending = service.pending_of(case)
    return {"reference": case.reference, "unit": case.unit.code,
            "being_transferred": pending is not None,
            "pending": _out(pending) if pending is not None else None,
            "history": [_out(t) for t in service.transfers_of(case)]}


@route(bp, "/cases/<reference>/transfer", "GET", answer=TransferStatus,
       summary="The case's transfer: the one waiting (if any) and the earlier ones "
               "(metadata only)")
def transfer_status(reference: str):
    case = queries.load_case(current_user, reference, action="api:transfer_status")
    return answer(TransferStatus, **_status(case))


@route(bp, "/cases/<reference>/transfer", "POST", body=TransferIn, answer=TransferDone,
       status=201, errors=CHANGE_ERRORS,
       summary="Ask for the case to move to another unit (a supervisor of the case); the "
               "receiving unit's supervisors accept or decline")
def request_transfer(reference: str):
    case = queries.load_case(current_user, reference, action="api:transfer_request",
                             for_work=True)
    body = parse(TransferIn)
    transfer = service.request_transfer(current_user, case, service.TransferData(
        to_unit=body.to_unit, reason_code=body.reason_code, reason=body.reason),
        expected_version=body.version)
    return answer(TransferDone, 201, transfer=_out(transfer))


@route(bp, "/cases/<reference>/transfer/cancel", "POST", answer=TransferDone,
       errors={**CHANGE_ERRORS, "422": "The case has no transfer waiting"},
       summary="Cancel the case's transfer while it waits")
def cancel_transfer(reference: str):
    case = queries.load_case(current_user, reference, action="api:transfer_cancel",
                             for_work=True)
    pending = service.pending_of(case)
    if pending is None:
        return render_error(422, None, _l("This case has no transfer waiting."),
                            fields={"_": _l("This case has no transfer waiting.")})
    return answer(TransferDone, transfer=_out(service.cancel(current_user, pending)))


@route(bp, "/transfers/incoming", "GET", answer=TransferList,
       summary="Transfers waiting for your decision (a supervisor of the receiving unit): "
               "metadata only, no child data; oldest first, 50 a page",
       errors={"422": "`after` is not a value this list takes"},
       query=[{"name": "after", "in": "query", "required": False,
               "schema": {"type": "string", "maxLength": MAX_TOKEN},
               "description": "the `next` of the previous page"}])
def incoming():
    if not case_rules.can_open_supervision(current_user):
        case_rules.record_denial(current_user, None, action="api:transfers")
        return render_error(403, None, _l("Transfers are decided by supervisors."))
    after = query_option("after", max_length=MAX_TOKEN)
    window = service.incoming_window(current_user, after=after)
    return answer(TransferList, transfers=[_out(t) for t in window.rows],
                  total=service.count_incoming(current_user), next=window.next_token)


@route(bp, "/transfers/<transfer_id>", "GET", answer=TransferDone, errors=TRANSFER_ERRORS,
       summary="One transfer (the receiving side, the case's supervisors)")
def one_transfer(transfer_id: str):
    transfer = service.load_transfer(current_user, transfer_id, action="api:transfer")
    return answer(TransferDone, transfer=_out(transfer))


@route(bp, "/transfers/<transfer_id>/accept", "POST", answer=TransferDone,
       errors={**TRANSFER_ERRORS, "422": "The transfer was already decided, the case was "
                                         "closed, or the unit no longer takes cases"},
       summary="Accept: the case moves to the receiving unit, without a lead officer, its "
               "deadlines running on")
def accept(transfer_id: str):
    transfer = service.load_transfer(current_user, transfer_id, action="api:transfer_accept")
    service.accept(current_user, transfer)
    return answer(TransferDone, transfer=_out(transfer))


@route(bp, "/transfers/<transfer_id>/decline", "POST", body=DeclineIn, answer=TransferDone,
       errors=TRANSFER_ERRORS, summary="Decline, saying why: nothing about the case changes")
def decline(transfer_id: str):
    transfer = service.load_transfer(current_user, transfer_id, action="api:transfer_decline")
    body = parse(DeclineIn)
    return answer(TransferDone, transfer=_out(service.decline(current_user, transfer,
                                                              body.reason)))
