"""Web routes of printing: one printable page per form.

``GET /cases/<reference>/print/<form>`` (form 01 to 06) renders the form as
an HTML page with the print stylesheet; the browser prints it (a "Print"
button calls ``window.print()`` from ``static/print.js``: no inline script).
The rendering *is* the print as far as the server can tell, so each one is
checked and audited ("case.print") by :mod:`caseapp.permissions.printing`.

Order of checks: the case through the scoped query (404, audited, outside
the user's scope); a known form code (404; the URL segment is never logged);
the right to see the child's data (403, audited denial, no child data in the
answer); a record for that form (404 with a message, nothing audited: no
data was opened); then the grant, its audit entry and the page, in
Vietnamese whatever the user's language. Pages are ``no-store`` (global).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.core.errors import render_error

from . import service

bp = Blueprint("printing", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.get("/cases/<reference>/print/<form>")
def print_form(reference: str, form: str):
    # A constant action name: the form segment is free text and is never logged.
    case = queries.load_case(current_user, reference, action="web:print")
    spec = service.FORMS.get(form)
    if spec is None:
        abort(404)
    # The copy given to the child or guardian leaves out the reporter, the
    # offender's accounts and the police (see service.print_context).
    family = request.args.get("copy") == "family"
    try:
        context = service.print_context(current_user, case, spec, family_copy=family)
    except service.NotPrintable as exc:
        return render_error(404, message=exc.message)
    with force_locale("vi"):
        return render_template(spec.template, **context)
