"""Forms of transfers, and the words for their codes."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from caseapp.cases.forms import CaseForm, VersionedForm, radios, select_field
from caseapp.core.base_form import AppForm

REASON_LABELS = {
    "child_moved": _l("The child moved to the other unit's area"),
    "other_commune": _l("The case belongs to another commune or ward"),
    "handed_down": _l("The district hands the case to the commune"),
    "other": _l("Another reason"),
}
STATUS_LABELS = {
    "pending": _l("Being transferred"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
}
REASON_HINT = _l("Do not write the child's name or contacts: the receiving unit reads this "
                 "once it has accepted the case.")


class TransferForm(VersionedForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "to_unit": _l("Choose the unit that should take the case."),
        "reason_code": _l("Choose why the case moves."),
        "reason": _l("Say why the case moves to this unit."),
    }

    to_unit = select_field(_l("Receiving unit"))
    reason_code = radios(_l("Why the case moves"), REASON_LABELS.items())
    reason = TextAreaField(_l("Reason"), description=REASON_HINT, render_kw={"rows": 3})


class DeclineForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "reason": _l("Say why your unit does not take this case.")}

    reason = TextAreaField(_l("Why your unit does not take the case"),
                           description=_l("The sending unit reads this. Do not write the "
                                          "child's name or contacts."),
                           render_kw={"rows": 3})


class ButtonForm(AppForm):
    """Only the CSRF token (accept, cancel)."""
