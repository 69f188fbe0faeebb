"""Web routes of the takedown section: an item, a request, an outcome.

Each loads the case through the scoped query (404, audited, outside the
user's scope; a closed case refuses the work, 403), calls one service
function and turns its CaseError into messages on the section's page (422,
nothing written). The request commits once.
"""
from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.page import submit_panel_form

from . import service
from .panel import PANEL, item_form, outcome_form, request_form

bp = Blueprint("takedown", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.post("/cases/<reference>/takedown/items")
def add_item(reference: str):
    case = queries.load_case(current_user, reference, action="web:takedown_item",
                             for_work=True)
    form = item_form(submitted=True)
    return submit_panel_form(
        case, form, PANEL.name, "item_form",
        lambda: service.add_item(current_user, case, form.to_data()),
        _("The item was recorded (its link only, encrypted)."), anchor="#takedown-items",
        failed_at=(_("Record an item to take down"), "takedown-item"))


@bp.post("/cases/<reference>/takedown/requests")
def record_request(reference: str):
    case = queries.load_case(current_user, reference, action="web:takedown_request",
                             for_work=True)
    # The choice is checked by the service (an item of this case, or refused);
    # the list is the page's, without the links (not opened here).
    form = request_form(service.items_of(case), child=False, submitted=True)
    return submit_panel_form(
        case, form, PANEL.name, "request_form",
        lambda: service.record_request(current_user, case, form.to_data()),
        _("The removal request was recorded."), anchor="#takedown-items",
        failed_at=(_("Record a removal request"), "takedown-request"))


@bp.post("/cases/<reference>/takedown/outcome")
def record_outcome(reference: str):
    case = queries.load_case(current_user, reference, action="web:takedown_outcome",
                             for_work=True)
    form = outcome_form(submitted=True)
    return submit_panel_form(
        case, form, PANEL.name, "outcome_form",
        lambda: service.record_outcome(current_user, case, form.to_data()),
        _("The outcome of the request was recorded."), anchor="#takedown-items",
        failed_at=(_("Record the outcome"), "takedown-outcome"))
