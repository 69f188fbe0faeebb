"""The admin screen's forms: issue a token, revoke one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from caseapp.core.base_form import AppForm
from caseapp.core.forms import choice_list, max_length, required

SCOPE_LABELS = {
    "intake:create": _l("File reports into its unit"),
    "case:status": _l("Read the stage of the reports it filed"),
}


class TokenForm(AppForm):
    partner_name = StringField(_l("Partner"), validators=[required(), max_length(100)],
                               description=_l("The partner's system, e.g. \"Tổng đài 111\": "
                                              "its tokens in one unit share the reports "
                                              "they filed."))
    unit = SelectField(_l("Unit"), choices=[])
    scopes = SelectMultipleField(_l("Allowed"), choices=choice_list(SCOPE_LABELS.items()),
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(),
                                 validators=[DataRequired(_l("Choose at least one."))])
    days = IntegerField(_l("Valid for (days)"), default=90,
                        validators=[DataRequired(_l("This field is required."))])


class RevokeForm(AppForm):
    """The revoke button: its CSRF token only."""
