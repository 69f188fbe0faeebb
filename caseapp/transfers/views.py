"""Web routes of transfers.

On the case (its supervisors): ask for a transfer, cancel it. The case is
loaded through the scoped query (404, audited, outside the user's scope).
For the receiving supervisors: ``/transfers`` (what waits for them, and the
cases of their units being transferred away) and one transfer's page with
its decision, loaded by :func:`service.load_transfer` (404, audited, for
anyone else). Each view calls one service function; the request commits once.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp import paging
from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.models import Case
from caseapp.cases.page import case_url, panel_url, submit_panel_form
from caseapp.cases.screens import put_error, user_names
from caseapp.cases.workflow import STAGE_LABELS
from caseapp.core.errors import render_error
from caseapp.permissions import cases as case_rules
from caseapp.permissions import transfers as rules

from . import service
from .forms import REASON_LABELS, STATUS_LABELS, ButtonForm, DeclineForm
from .panel import PANEL, transfer_form

paging.register_list_page("/transfers")

# Rows of each list shown on /transfers (the supervision page shows as many).
SUMMARY_SHOWN = 5

bp = Blueprint("transfers", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.post("/cases/<reference>/transfer")
def request_transfer(reference: str):
    case = queries.load_case(current_user, reference, action="web:transfer_request",
                             for_work=True)
    form = transfer_form(case, submitted=True)

    def save():
        service.request_transfer(current_user, case, service.TransferData(
            to_unit=form.to_unit.data or "", reason_code=form.reason_code.data or "",
            reason=form.reason.data or ""), expected_version=form.expected_version)

    return submit_panel_form(case, form, PANEL.name, "form", save,
                             _("The transfer was asked for. The receiving unit's supervisors "
                               "decide; until then the case stays with your unit."),
                             anchor="#transfer", failed_at=(_("Transfer to another unit"),
                                                            "transfer-form"))


@bp.post("/cases/<reference>/transfer/cancel")
def cancel_transfer(reference: str):
    case = queries.load_case(current_user, reference, action="web:transfer_cancel",
                             for_work=True)
    form = ButtonForm(prefix="cancel")
    if not form.validate_on_submit():
        abort(400)
    pending = service.pending_of(case)
    if pending is None:
        flash(_("This case has no transfer waiting."), "error")
    else:
        try:
            service.cancel(current_user, pending)
        except CaseError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("The transfer was cancelled: the case stays with your unit."), "info")
    return redirect(panel_url(case, PANEL.name, "#transfer"))


def _refuse_non_supervisor():
    case_rules.record_denial(current_user, None, action="web:transfers")
    return render_error(403, message=_l("Transfers are decided by supervisors."))


@bp.get("/transfers")
def transfers_page():
    if not case_rules.can_open_supervision(current_user):
        return _refuse_non_supervisor()
    # The first few of each list, as on the supervision page (50 of each made
    # the second list start some 10,000 px down a phone: UX walk); "See all"
    # pages on through the supervision page's own list (/supervision/transfers-in).
    return render_template("transfers/list.html",
                           incoming=service.incoming_window(current_user,
                                                            size=SUMMARY_SHOWN).rows,
                           outgoing=service.outgoing_window(current_user,
                                                            size=SUMMARY_SHOWN).rows,
                           incoming_total=service.count_incoming(current_user),
                           outgoing_total=service.count_outgoing(current_user),
                           stage_labels=STAGE_LABELS, reason_labels=REASON_LABELS)


def _way_back() -> str:
    """The transfers list the person came from (a checked ``back``: a registered
    list page and its paging), else /transfers."""
    return paging.back_link(request.args.get("back")) or url_for("transfers.transfers_page")


def _decision_page(transfer, *, decline_form=None, status: int = 200):
    case: Case = transfer.case
    return render_template(
        "transfers/decide.html", transfer=transfer, case=case, stage_labels=STAGE_LABELS,
        back=_way_back(),
        reason_labels=REASON_LABELS, status_labels=STATUS_LABELS,
        names=user_names({transfer.requested_by_id, transfer.decided_by_id}),
        can_decide=rules.can_decide_transfer(current_user, transfer),
        accept_form=ButtonForm(prefix="accept"),
        decline_form=decline_form or DeclineForm(prefix="decline", formdata=None),
        case_visible=case_rules.can_view_case(current_user, case)), status


@bp.get("/transfers/<transfer_id>")
def transfer_page(transfer_id: str):
    transfer = service.load_transfer(current_user, transfer_id, action="web:transfer")
    return _decision_page(transfer)


@bp.post("/transfers/<transfer_id>/accept")
def accept(transfer_id: str):
    transfer = service.load_transfer(current_user, transfer_id, action="web:transfer_accept")
    form = ButtonForm(prefix="accept")
    if not form.validate_on_submit():
        abort(400)
    try:
        case = service.accept(current_user, transfer)
    except CaseError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("transfers.transfer_page", transfer_id=transfer.id))
    flash(_("The case is now your unit's. Assign a lead officer: its deadlines keep running."),
          "info")
    return redirect(case_url(case))


@bp.post("/transfers/<transfer_id>/decline")
def decline(transfer_id: str):
    transfer = service.load_transfer(current_user, transfer_id, action="web:transfer_decline")
    form = DeclineForm(prefix="decline")
    if form.validate_on_submit():
        try:
            service.decline(current_user, transfer, form.reason.data or "")
        except CaseError as exc:
            put_error(form, exc)
        else:
            flash(_("The transfer was declined: the case stays with the sending unit."), "info")
            return redirect(_way_back())
    return _decision_page(transfer, decline_form=form, status=422)
