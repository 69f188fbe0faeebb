"""Web routes of data-subject requests: record one, answer it, lift a restriction.

Each loads the case through the scoped query (404, audited, outside the
user's scope), calls one service function, and hands a failed form back to
the panel's page (422, nothing written).
"""
from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.page import press_button, submit_panel_form

from . import service
from .forms import DataAnswerForm, DataRequestForm, LiftRestrictionForm
from .panel import PANEL

bp = Blueprint("data_rights", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.post("/cases/<reference>/data-requests")
def record_request(reference: str):
    case = queries.load_case(current_user, reference, action="web:data_request")
    form = DataRequestForm(prefix="data_request")
    return submit_panel_form(
        case, form, PANEL.name, "form",
        lambda: service.record_request(current_user, case, form.to_data()),
        _("The request was recorded. A supervisor of the case answers it."),
        failed_at=(_("Record a request from the child or guardian"), "data-request-form"))


@bp.post("/cases/<reference>/data-requests/answer")
def answer_request(reference: str):
    case = queries.load_case(current_user, reference, action="web:data_request_answer")
    form = DataAnswerForm(prefix="answer")
    return submit_panel_form(
        case, form, PANEL.name, "answer_form",
        lambda: service.answer_request(current_user, case, form.request_id.data or "",
                                       form.to_data()),
        _("The answer was recorded."),
        failed_at=(_("Answer the request about the child's data"),
                   f"answer-{form.request_id.data or ''}"))


@bp.post("/cases/<reference>/data-requests/lift")
def lift_restriction(reference: str):
    case = queries.load_case(current_user, reference, action="web:data_request_lift")
    form = LiftRestrictionForm(prefix="lift")
    return press_button(case, form, lambda: service.lift_restriction(
        current_user, case, form.request_id.data or ""), _("The restriction was lifted."),
        panel=PANEL.name)
