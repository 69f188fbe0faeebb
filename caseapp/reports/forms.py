"""The dashboard's choices (a GET form: the period and the unit) and the
report download (a POST: it signs a checkpoint and is audited)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from caseapp.core.base_form import AppForm
from caseapp.core.forms import choice_list


class ChoiceForm(AppForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    period = StringField(_l("Period"), description=_l("2026-H1, 2026, or 2026-01..2026-06"))
    unit = SelectField(_l("Unit"), choices=[], validate_choice=False)


class DownloadForm(AppForm):
    period = StringField()
    unit = StringField()
    format = SelectField(_l("Format"), choices=choice_list(
        [("xlsx", "XLSX"), ("csv", "CSV"), ("html", "HTML (A4)")]), validate_choice=False)
