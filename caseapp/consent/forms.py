"""Forms of consent to share."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, TextAreaField

from caseapp.cases.forms import CaseForm, radios, select_field
from caseapp.core.base_form import AppForm

from .service import SharingConsentData

SHARING_CONSENT_LABELS = {"consent": _l("Consent of the child and guardian"),
                          "emergency": _l("Emergency: the child is in danger"),
                          "legal_duty": _l("Legal duty (a request of a competent authority)")}


class SharingConsentForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {"consent": "guardian"}
    REQUIRED: ClassVar[dict[str, Any]] = {
        "agency": _l("Choose the agency."),
        "basis": _l("Say on what basis the child's data is shared: consent or a legal "
                    "ground."),
    }

    agency = select_field(_l("Agency"))
    basis = radios(_l("Basis for sharing"), SHARING_CONSENT_LABELS.items(), default="consent")
    child = BooleanField(_l("The child (aged 7 or over) agrees"))
    guardian = BooleanField(_l("The parent or guardian agrees"))
    note = TextAreaField(_l("Note (required without consent: why)"), render_kw={"rows": 2})

    def to_data(self):
        return SharingConsentData(agency=self.agency.data or "", basis=self.basis.data or "",
                                  child=bool(self.child.data), guardian=bool(self.guardian.data),
                                  note=self.note.data or "")


class WithdrawConsentForm(AppForm):
    consent_id = HiddenField()
