"""Forms of the notifications page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField

from caseapp.core.base_form import AppForm
from caseapp.core.forms import choice_list


class MarkReadForm(AppForm):
    notification = HiddenField()


class DigestForm(AppForm):
    email = StringField(_l("E-mail address for the digest"),
                        render_kw={"inputmode": "email", "autocomplete": "email"})
    digest = SelectField(_l("How often"), choices=choice_list(
        [("none", _l("Never")), ("daily", _l("Daily")), ("weekly", _l("Weekly"))]),
        validate_choice=False)
