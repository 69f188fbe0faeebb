"""The case page's consent-to-share panel."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp.cases.panels import PanelSpec
from caseapp.cases.screens import reference_choices, user_names
from caseapp.permissions import cases as rules

from .forms import SHARING_CONSENT_LABELS, SharingConsentForm, WithdrawConsentForm
from .service import consent_counts, consents_of


def consent_form(**kwargs) -> SharingConsentForm:
    form = SharingConsentForm(prefix="consent", **kwargs)
    form.agency.choices = reference_choices("agency", blank=_("Choose…"))
    return form


def panel_context(user, case, child: bool) -> dict | None:
    """Metadata of every sharing basis (agency, basis, who, when, withdrawn) for the
    people who see the case; the form for those who record. Notes only with ``child``."""
    if case.is_purged:
        return None
    rows = consents_of(case)
    return {
        "basis_labels": SHARING_CONSENT_LABELS,
        "consents": rows,
        "names": user_names(row.recorded_by_id for row in rows),
        "show_notes": child,
        "form": consent_form(formdata=None)
        if rules.can_record_sharing_consent(user, case) else None,
        "withdraw_form": WithdrawConsentForm(prefix="withdraw", formdata=None)
        if rules.can_withdraw_sharing_consent(user, case)
        else None,
    }


def summary(user, case, child: bool) -> dict | None:
    """The case page's line: how many agencies have a basis, and how many were
    withdrawn (counted in SQL)."""
    if case.is_purged:
        return None
    active, withdrawn = consent_counts(case)
    line = _("Consent to share: %(n)d agencies", n=active)
    if withdrawn:
        gone = _("withdrawn: %(n)d", n=withdrawn)  # (extraction skips f-strings)
        line = f"{line} · {gone}"
    return {"line": line}


PANEL = PanelSpec("consent", "consent/_panel.html", "main", panel_context, order=50,
                  section="consent", title=_l("Consent to share with agencies"),
                  summary=summary)
