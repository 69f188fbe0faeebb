"""Forms of break-glass."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from caseapp.cases.forms import CaseForm
from caseapp.core.base_form import AppForm


class BreakGlassForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "reason": _l("Say why you need to see this child's details.")}

    reason = TextAreaField(_l("Why you must see this child's details now"),
                           description=_l("At least 20 characters: the danger and why the "
                                          "assigned officer cannot act. Do not write the "
                                          "child's name or contacts. Your access is read-only, "
                                          "ends on its own, and the officers and supervisors "
                                          "of the case are told and read your reason."),
                           render_kw={"rows": 3})


class EndBreakGlassForm(AppForm):
    """Only the CSRF token."""
