"""Forms of data-subject requests."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField

from caseapp.cases.forms import CaseForm, radios
from caseapp.core.base_form import AppForm
from caseapp.core.forms import DayTimeField

from .service import DataAnswerData, DataRequestData

DATA_REQUEST_KIND_LABELS = {"access": _l("See their data"), "correct": _l("Correct their data"),
                            "restrict": _l("Restrict the processing"),
                            "delete": _l("Delete their data")}


DATA_REQUESTER_LABELS = {"child": _l("The child"), "guardian": _l("Parent or guardian")}


DATA_REQUEST_STATUS_LABELS = {"open": _l("Waiting for an answer"), "granted": _l("Granted"),
                              "refused": _l("Refused"), "lifted": _l("Restriction lifted")}


class DataRequestForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "kind": _l("Choose what is asked: to see, correct, restrict or delete the data."),
        "requested_by": _l("Say who asked: the child or the parent or guardian."),
    }

    kind = radios(_l("What is asked"), DATA_REQUEST_KIND_LABELS.items())
    requested_by = radios(_l("Who asked"), DATA_REQUESTER_LABELS.items())
    received_at = DayTimeField(_l("Received at (empty: now)"))
    details = TextAreaField(_l("Details (what to correct, what to give)"), render_kw={"rows": 2})

    def to_data(self):
        return DataRequestData(kind=self.kind.data or "", requested_by=self.requested_by.data or "",
                               received_at=self.received_at.data, details=self.details.data or "")


class DataAnswerForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "decision": _l("Choose whether the request is granted or refused."),
        "answer": _l("Write the answer given to the child or guardian."),
    }

    request_id = HiddenField()
    decision = radios(_l("Decision"), [("granted", _l("Grant")), ("refused", _l("Refuse"))])
    answer = TextAreaField(_l("Answer given to the child or guardian"), render_kw={"rows": 2})

    def to_data(self):
        return DataAnswerData(decision=self.decision.data or "", answer=self.answer.data or "")


class LiftRestrictionForm(AppForm):
    request_id = HiddenField()
