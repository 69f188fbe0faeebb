"""Web routes of :mod:`caseapp.care.printing`: one printable page per form.

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.core.errors import render_error
from caseapp.crypto import unlock
from caseapp.permissions import PermissionDenied
from caseapp.permissions import printing as print_rules

from . import printing

bp = Blueprint("printing", __name__)


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.get("/cases/<reference>/print/<form>")
def print_form(reference: str, form: str):
    # A constant action name: the form segment is free text and is never logged.
    case = queries.load_case(current_user, reference, action="web:print")
    spec = printing.FORMS.get(form)
    if spec is None:
        abort(404)
    try:
        print_rules.check_case_print(current_user, case)
    except PermissionDenied as exc:
        return render_error(403, message=exc.message)
    if not printing.is_available(case, spec.code):
        return render_error(404, message=_l(
            "Form %(code)s cannot be printed yet: its step has not been recorded for this "
            "case.", code=spec.code))
    # The copy given to the child or guardian (an access request) leaves out the
    # reporter, the offender's accounts and the police: a guardian asking may be
    # the person who harms the child.
    family = request.args.get("copy") == "family"
    if family and spec.code != "01":
        return render_error(404, message=_l(
            "Only form 01 has a copy for the child or guardian: the other forms name "
            "agencies, the police and the people who help."))
    unlock(case, grant=print_rules.grant_case_print(current_user, case, spec.code,
                                                    family_copy=family))
    with force_locale("vi"):
        return render_template(spec.template, **printing.form_context(
            case, spec.code, current_user, family_copy=family))
