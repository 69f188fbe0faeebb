from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from caseapp.cases.forms import CaseForm


class BreakGlassForm(CaseForm):
    reason = TextAreaField(_l("Why you must see this child's details now"),
                           description=_l("At least 20 characters. Your access is read-only, "
                                          "ends on its own, and the assigned officers and your "
                                          "own supervisor are told."),
                           render_kw={"rows": 3})


class EndBreakGlassForm(FlaskForm):
    """Only the CSRF token."""


class MarkReadForm(FlaskForm):
    notification = HiddenField()
