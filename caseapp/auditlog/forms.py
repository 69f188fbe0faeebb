from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from caseapp.core.base_form import AppForm
from caseapp.core.forms import DayField, choice_list, max_length

OUTCOME_LABELS = {
    "ok": _l("Succeeded"),
    "denied": _l("Denied"),
    "failed": _l("Failed"),
}


class AuditFilterForm(AppForm):
    """The filters of the audit log page. Sent by GET (a search changes
    nothing), so without a CSRF token: build it with ``formdata=request.args``."""

    class Meta:
        csrf = False

    user = StringField(_l("User"), validators=[Optional(), max_length(64)],
                       render_kw={"autocapitalize": "none", "autocomplete": "off"})
    reference = StringField(_l("Case or object reference"),
                            validators=[Optional(), max_length(64)],
                            render_kw={"autocapitalize": "none", "autocomplete": "off"})
    # The actions in words, chosen from a list: the view fills the choices
    # (caseapp.auditlog.wording) in the reader's language.
    action = SelectField(_l("Action"), choices=[], validators=[Optional()])
    outcome = SelectField(_l("Outcome"), choices=choice_list(
        [("", _l("Any"))] + list(OUTCOME_LABELS.items())), validators=[Optional()])
    date_from = DayField(_l("From (date)"), validators=[Optional()])
    date_to = DayField(_l("To (date)"), validators=[Optional()])

    def validate_date_from(self, field):
        _check_year(field)

    def validate_date_to(self, field):
        _check_year(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


def _check_year(field) -> None:
    # Dates are turned into UTC instants: year 1 or 9999 would overflow.
    if field.data and not 1970 <= field.data.year <= 9000:
        raise ValidationError(_l("This date is out of range."))
