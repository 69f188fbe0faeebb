"""Break-glass: asking for it on a case, and ending it early."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.page import case_url, submit_panel_form
from caseapp.i18n import format_moment
from caseapp.permissions import cases as rules

from . import service
from .forms import BreakGlassForm, EndBreakGlassForm
from .panel import REQUEST_PANEL

bp = Blueprint("break_glass", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every screen here needs a logged-in user."""


@bp.post("/break-glass/<reference>")
def break_glass(reference: str):
    case = queries.load_case(current_user, reference, action="web:break_glass")
    form = BreakGlassForm(prefix="break_glass")
    granted: list = []

    def ask():
        granted.append(service.break_glass(current_user, case, form.reason.data or ""))

    response = submit_panel_form(case, form, REQUEST_PANEL, "form", ask, None,
                                 failed_at=(_("Emergency access (break-glass)"), "break-glass"))
    if granted:  # the message says until when, so it is made here
        flash(_("Emergency access granted until %(until)s. Every view is recorded.",
                until=format_moment(granted[0].ends_at())), "info")
    return response


@bp.post("/break-glass/<access_id>/end")
def end_break_glass(access_id: str):
    form = EndBreakGlassForm()
    if not form.validate_on_submit():
        abort(400)
    access = service.access_by_id(access_id)
    if access is None or access.user_id != current_user.id:
        # Someone else's access (or none): a probe, audited without the raw id.
        rules.record_denial(current_user, access.case if access is not None else None,
                            action="end_break_glass")
        abort(404)
    try:
        service.end_break_glass(current_user, access_id)
    except CaseError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Your emergency access has ended."), "info")
    return redirect(case_url(access.case))  # with the case's way back to its list
