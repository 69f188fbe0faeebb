from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from caseapp.core.base_form import AppForm
from caseapp.core.forms import choice_list, max_length, required
from caseapp.i18n import ROLE_LABELS
from caseapp.settings import ROLES
from caseapp.units.labels import SCHOOL_LABELS


class UserForm(AppForm):
    username = StringField(_l("Username"), validators=[required(), max_length(64, 3)])
    display_name = StringField(_l("Full name"), validators=[Optional(), max_length(200)])
    role = SelectField(_l("Role"), choices=choice_list((r, ROLE_LABELS[r]) for r in ROLES))
    unit = SelectField(_l("Unit"), choices=[])
    password = PasswordField(_l("Initial password"), validators=[required()],
                             render_kw={"autocomplete": "new-password"})


class UserEditForm(AppForm):
    display_name = StringField(_l("Full name"), validators=[Optional(), max_length(200)])
    role = SelectField(_l("Role"), choices=choice_list((r, ROLE_LABELS[r]) for r in ROLES))
    unit = SelectField(_l("Unit"), choices=[])


class PasswordResetForm(AppForm):
    password = PasswordField(_l("New password"), validators=[required()],
                             render_kw={"autocomplete": "new-password"})


class UnitForm(AppForm):
    code = StringField(_l("Code"), validators=[required(), max_length(32)])
    name = StringField(_l("Name"), validators=[required(), max_length(200)])
    parent = SelectField(_l("Parent unit"), choices=[])
    school_type = SelectField(_l("School type"), choices=choice_list(SCHOOL_LABELS.items()))


class UnitRenameForm(AppForm):
    # Its own message: on a page of schools "Trường này là bắt buộc" reads as
    # "this school is required" ("trường": a field and a school).
    name = StringField(_l("New name"), validators=[
        DataRequired(_l("Write the unit's new name.")), max_length(200)])


class SchoolForm(AppForm):
    """Mark an existing unit as a school of a kind, or as none."""

    unit = StringField(_l("Unit"))  # a unit's code, looked up
    school_type = SelectField(_l("School type"), choices=choice_list(SCHOOL_LABELS.items()))
