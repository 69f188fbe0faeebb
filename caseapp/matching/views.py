"""Web routes of matches: a supervisor links or dismisses one.

The case comes through the scoped query (404, audited, outside the user's
scope); the match must be one of that case's (either side), else 404. The
service checks that the user supervises both cases (403, audited) and
writes the decision with its audit entries; the request commits once.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.page import case_url, render_case

from . import service
from .forms import MatchDecisionForm

bp = Blueprint("matching", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


def _decide(reference: str, match_id: str, decision: str):
    case = queries.load_case(current_user, reference, action=f"web:match_{decision}")
    match = service.load_match(case, match_id)
    if match is None:
        abort(404)
    if not MatchDecisionForm().validate_on_submit():
        abort(400)
    try:
        if decision == "link":
            service.link_match(current_user, match)
        else:
            service.dismiss_match(current_user, match)
    except CaseError as exc:
        return render_case(case, status=422, message=str(exc.message))
    flash(_("The cases are linked.") if decision == "link" else _("The match is dismissed."),
          "info")
    return redirect(case_url(case, "matches"))  # with the case's way back to its list


@bp.post("/cases/<reference>/matches/<match_id>/link")
def link(reference: str, match_id: str):
    return _decide(reference, match_id, "link")


@bp.post("/cases/<reference>/matches/<match_id>/dismiss")
def dismiss(reference: str, match_id: str):
    return _decide(reference, match_id, "dismiss")
