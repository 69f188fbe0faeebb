"""Web routes of follow-ups and goals: plan a follow-up, mark it done or missed,
add a goal, note progress. Each loads the case through the scoped query (404,
audited), calls one service function and turns its CaseError into messages on
the section's page (422, nothing written). The request commits once. Row ids
travel in the form's body, never the URL, and the service refuses one of
another case."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.page import submit_panel_form

from . import service
from .panel import PANEL, follow_up_form, goal_form, progress_form, settle_form

bp = Blueprint("followups", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.post("/cases/<reference>/follow-ups")
def schedule(reference: str):
    case = queries.load_case(current_user, reference, action="web:follow_up_scheduled",
                             for_work=True)
    form = follow_up_form(case)
    return submit_panel_form(
        case, form, PANEL.name, "follow_up_form",
        lambda: service.schedule(current_user, case, form.to_data()),
        _("The follow-up was planned."), anchor="#follow-ups",
        failed_at=(_("Plan a follow-up"), "follow-up-form"))


@bp.post("/cases/<reference>/follow-ups/result")
def settle(reference: str):
    case = queries.load_case(current_user, reference, action="web:follow_up_settled",
                             for_work=True)
    form = settle_form(service.follow_ups_of(case))
    return submit_panel_form(
        case, form, PANEL.name, "settle_form",
        lambda: service.settle(current_user, case, form.to_data()),
        _("The follow-up's result was recorded."), anchor="#follow-ups",
        failed_at=(_("Record how a follow-up went"), "settle-form"))


@bp.post("/cases/<reference>/goals")
def add_goal(reference: str):
    case = queries.load_case(current_user, reference, action="web:plan_goal", for_work=True)
    form = goal_form()
    return submit_panel_form(
        case, form, PANEL.name, "goal_form",
        lambda: service.add_goal(current_user, case, form.text.data or ""),
        _("The goal was added."), anchor="#plan-goals",
        failed_at=(_("Add a goal"), "goal-form"))


@bp.post("/cases/<reference>/goals/progress")
def progress(reference: str):
    case = queries.load_case(current_user, reference, action="web:goal_progress",
                             for_work=True)
    form = progress_form(service.goals_of(case))
    return submit_panel_form(
        case, form, PANEL.name, "progress_form",
        lambda: service.record_progress(current_user, case, form.to_data()),
        _("The progress was recorded."), anchor="#plan-goals",
        failed_at=(_("Note progress on a goal"), "progress-form"))
