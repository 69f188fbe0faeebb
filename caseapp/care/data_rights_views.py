"""Web routes of consent to share (:mod:`caseapp.care.consent`) and of
data-subject requests (:mod:`caseapp.care.data_rights`).

Each loads the case through the scoped query (404, audited, outside the
user's scope), calls one service function, and shows its CaseError on the
case page's panel with status 422 (nothing written).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.views import put_error, render_case
from caseapp.core.errors import render_error
from caseapp.crypto import ScrubIncomplete, sqlite_scrub
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied

from . import consent, data_rights
from .forms import DataAnswerForm, DataRequestForm, LiftRestrictionForm, WithdrawConsentForm

bp = Blueprint("data_rights", __name__)

CONSENT_PANEL = "caseapp.care.consent"
REQUEST_PANEL = "caseapp.care.data_rights"


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


def _run(case, form, panel: str, key: str, call, done: str):
    """Validate ``form``, run ``call()``; redirect with ``done`` or show the errors (422)."""
    if form.validate_on_submit():
        try:
            call()
        except CaseError as exc:
            put_error(form, exc)
        except PermissionDenied as exc:
            return render_error(403, message=exc.message)
        else:
            flash(done, "info")
            return redirect(url_for("cases.case_page", reference=case.reference))
    if not form.errors and not form.form_errors:
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    return render_case(case, status=422, panel_overrides={panel: {key: form}})


def _button(case, form, call, done: str):
    """A one-button form (only an id): run ``call()``, say how it went, back to the case."""
    if not form.validate_on_submit():
        abort(400)
    try:
        call()
    except CaseError as exc:
        flash(str(exc.message), "error")
    except PermissionDenied as exc:
        return render_error(403, message=exc.message)
    else:
        flash(done, "info")
    return redirect(url_for("cases.case_page", reference=case.reference))


@bp.post("/cases/<reference>/sharing-consents")
def record_consent(reference: str):
    case = queries.load_case(current_user, reference, action="web:sharing_consent",
                             for_work=True)
    form = consent.consent_form()
    return _run(case, form, CONSENT_PANEL, "form",
                lambda: consent.record_sharing_consent(current_user, case, form.to_data()),
                _("The basis for sharing was recorded."))


@bp.post("/cases/<reference>/sharing-consents/withdraw")
def withdraw_consent(reference: str):
    case = queries.load_case(current_user, reference, action="web:withdraw_sharing_consent")
    form = WithdrawConsentForm(prefix="withdraw")
    return _button(case, form, lambda: consent.withdraw_sharing_consent(
        current_user, case, form.consent_id.data or ""),
        _("The consent was withdrawn: no new referral may rely on it."))


@bp.post("/cases/<reference>/data-requests")
def record_request(reference: str):
    case = queries.load_case(current_user, reference, action="web:data_request")
    form = DataRequestForm(prefix="data_request")
    return _run(case, form, REQUEST_PANEL, "form",
                lambda: data_rights.record_request(current_user, case, form.to_data()),
                _("The request was recorded. A supervisor of the case answers it."))


@bp.post("/cases/<reference>/data-requests/answer")
def answer_request(reference: str):
    case = queries.load_case(current_user, reference, action="web:data_request_answer")
    form = DataAnswerForm(prefix="answer")
    response = _run(case, form, REQUEST_PANEL, "answer_form",
                    lambda: data_rights.answer_request(current_user, case,
                                                       form.request_id.data or "",
                                                       form.to_data()),
                    _("The answer was recorded."))
    if case.is_purged and not isinstance(response, tuple):
        # Deleted: commit now and move the destroyed key's pages out of the SQLite WAL.
        db.session.commit()
        db.session.close()
        try:
            sqlite_scrub(db.engine)
        except ScrubIncomplete:
            pass  # the next automatic checkpoint (or `caseapp retention purge`) finishes it
    return response


@bp.post("/cases/<reference>/data-requests/lift")
def lift_restriction(reference: str):
    case = queries.load_case(current_user, reference, action="web:data_request_lift")
    form = LiftRestrictionForm(prefix="lift")
    return _button(case, form, lambda: data_rights.lift_restriction(
        current_user, case, form.request_id.data or ""), _("The restriction was lifted."))
