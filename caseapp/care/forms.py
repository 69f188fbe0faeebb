from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField

from caseapp.cases.forms import CaseForm, LocalDateTimeField, _radios, _select


class BreakGlassForm(CaseForm):
    reason = TextAreaField(_l("Why you must see this child's details now"),
                           description=_l("At least 20 characters: the danger and why the "
                                          "assigned officer cannot act. Do not write the "
                                          "child's name or contacts. Your access is read-only, "
                                          "ends on its own, and the officers and supervisors "
                                          "of the case are told and read your reason."),
                           render_kw={"rows": 3})


class EndBreakGlassForm(FlaskForm):
    """Only the CSRF token."""


class MarkReadForm(FlaskForm):
    notification = HiddenField()


# --- consent to share with an agency, data-subject requests ------------------------------------

SHARING_CONSENT_LABELS = {"consent": _l("Consent of the child and guardian"),
                          "emergency": _l("Emergency: the child is in danger"),
                          "legal_duty": _l("Legal duty (a request of a competent authority)")}
DATA_REQUEST_KIND_LABELS = {"access": _l("See their data"), "correct": _l("Correct their data"),
                            "restrict": _l("Restrict the processing"),
                            "delete": _l("Delete their data")}
DATA_REQUESTER_LABELS = {"child": _l("The child"), "guardian": _l("Parent or guardian")}
DATA_REQUEST_STATUS_LABELS = {"open": _l("Waiting for an answer"), "granted": _l("Granted"),
                              "refused": _l("Refused"), "lifted": _l("Restriction lifted")}


class SharingConsentForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {"consent": "guardian"}

    agency = _select(_l("Agency"))
    basis = _radios(_l("Basis for sharing"), SHARING_CONSENT_LABELS.items(), default="consent")
    child = BooleanField(_l("The child (aged 7 or over) agrees"))
    guardian = BooleanField(_l("The parent or guardian agrees"))
    note = TextAreaField(_l("Note (required without consent: why)"), render_kw={"rows": 2})

    def to_data(self):
        from .consent import SharingConsentData

        return SharingConsentData(agency=self.agency.data or "", basis=self.basis.data or "",
                                  child=bool(self.child.data), guardian=bool(self.guardian.data),
                                  note=self.note.data or "")


class WithdrawConsentForm(FlaskForm):
    consent_id = HiddenField()


class DataRequestForm(CaseForm):
    kind = _radios(_l("What is asked"), DATA_REQUEST_KIND_LABELS.items())
    requested_by = _radios(_l("Who asked"), DATA_REQUESTER_LABELS.items())
    received_at = LocalDateTimeField(_l("Received at (empty: now)"))
    details = TextAreaField(_l("Details (what to correct, what to give)"), render_kw={"rows": 2})

    def to_data(self):
        from .data_rights import DataRequestData

        return DataRequestData(kind=self.kind.data or "", requested_by=self.requested_by.data or "",
                               received_at=self.received_at.data, details=self.details.data or "")


class DataAnswerForm(CaseForm):
    request_id = HiddenField()
    decision = _radios(_l("Decision"), [("granted", _l("Grant")), ("refused", _l("Refuse"))])
    answer = TextAreaField(_l("Answer given to the child or guardian"), render_kw={"rows": 2})

    def to_data(self):
        from .data_rights import DataAnswerData

        return DataAnswerData(decision=self.decision.data or "", answer=self.answer.data or "")


class LiftRestrictionForm(FlaskForm):
    request_id = HiddenField()
