"""The awareness session form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired

from caseapp.cases.forms import WholeNumberField
from caseapp.core.base_form import AppForm
from caseapp.core.forms import DayField, choice_list

from .service import SessionData

AUDIENCE_LABELS = {
    "children": _l("Children and pupils"),
    "parents": _l("Parents"),
    "teachers": _l("Teachers"),
    "union_members": _l("Youth union members"),
}


class AttendeesField(WholeNumberField):
    widget = widgets.NumberInput(min=1, max=100000)
    message = _l("Give the number of people who attended (1 to 100,000).")


class SessionForm(AppForm):
    unit = SelectField(_l("Unit that held it"), choices=[], validate_choice=False)
    held_on = DayField(_l("Day held"))
    audiences = SelectMultipleField(
        _l("For"), choices=choice_list(AUDIENCE_LABELS.items()), validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
    attendees = AttendeesField(_l("Number attending"))
    topic = StringField(_l("Topic"), render_kw={"maxlength": 200})
    notes = TextAreaField(_l("Notes"), render_kw={"maxlength": 2000, "rows": 3})
    version = HiddenField()

    def to_data(self) -> SessionData:
        return SessionData(self.held_on.data, tuple(self.audiences.data or ()),
                           self.attendees.data, self.topic.data or "", self.notes.data or "")


class DeleteForm(AppForm):
    confirm = BooleanField(_l("Yes, delete this session (it cannot be undone)"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
