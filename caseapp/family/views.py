"""Web routes of the family section: add, correct or remove a person; the household.

Each loads the case through the scoped query (404, audited, outside the
user's scope; 403, audited, on a closed case), reads its form, calls one
service function and comes back to the section page: a refusal shows the
form again with its messages (422), nothing written.
"""
from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.page import press_button, submit_panel_form

from . import service
from .forms import RemoveMemberForm
from .panel import PANEL, add_form, edit_form, household_form

bp = Blueprint("family", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.post("/cases/<reference>/family")
def add_member(reference: str):
    case = queries.load_case(current_user, reference, action="web:family_member",
                             for_work=True)
    form = add_form(submitted=True)
    return submit_panel_form(
        case, form, PANEL.name, "add_form",
        lambda: service.add_member(current_user, case, form.to_data()),
        _("The person was added."), anchor="#family-people",
        failed_at=(_("Add a person"), "family-add"))


@bp.post("/cases/<reference>/family/household")
def save_household(reference: str):
    case = queries.load_case(current_user, reference, action="web:family_household",
                             for_work=True)
    form = household_form(submitted=True)
    return submit_panel_form(
        case, form, PANEL.name, "household_form",
        lambda: service.save_household(current_user, case, form.to_data(),
                                       expected_version=form.expected_version),
        _("The household was saved."), anchor="#family-household",
        failed_at=(_("Household"), "family-household-form"))


@bp.post("/cases/<reference>/family/remove")
def remove_member(reference: str):
    case = queries.load_case(current_user, reference, action="web:family_member_removed",
                             for_work=True)
    form = RemoveMemberForm(prefix="remove")
    return press_button(case, form, lambda: service.remove_member(
        current_user, case, form.member_id.data or "", expected_version=form.expected_version),
        _("The person was removed from the case."), panel=PANEL.name)


@bp.post("/cases/<reference>/family/<member_id>")
def edit_member(reference: str, member_id: str):
    case = queries.load_case(current_user, reference, action="web:family_member_changed",
                             for_work=True)
    form = edit_form(member_id[:36], submitted=True)
    form.member_id = member_id[:36]
    return submit_panel_form(
        case, form, PANEL.name, "failed_edit",
        lambda: service.update_member(current_user, case, member_id, form.to_data(),
                                      expected_version=form.expected_version),
        _("The person's record was saved."), anchor="#family-people",
        failed_at=(_("Correct"), f"family-edit-{member_id[:36]}"))
