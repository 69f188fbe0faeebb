"""Web routes of consent to share: record one, withdraw one."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.cases import queries
from caseapp.cases.page import press_button, submit_panel_form

from . import service
from .forms import WithdrawConsentForm
from .panel import PANEL, consent_form

bp = Blueprint("consent", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


@bp.post("/cases/<reference>/sharing-consents")
def record_consent(reference: str):
    case = queries.load_case(current_user, reference, action="web:sharing_consent",
                             for_work=True)
    form = consent_form()
    return submit_panel_form(
        case, form, PANEL.name, "form",
        lambda: service.record_sharing_consent(current_user, case, form.to_data()),
        _("The basis for sharing was recorded."),
        failed_at=(_("Record consent or a legal ground for an agency"), "consent-form"))


@bp.post("/cases/<reference>/sharing-consents/withdraw")
def withdraw_consent(reference: str):
    case = queries.load_case(current_user, reference, action="web:withdraw_sharing_consent")
    form = WithdrawConsentForm(prefix="withdraw")
    return press_button(case, form, lambda: service.withdraw_sharing_consent(
        current_user, case, form.consent_id.data or ""),
        _("The consent was withdrawn: no new referral may rely on it."), panel=PANEL.name)
