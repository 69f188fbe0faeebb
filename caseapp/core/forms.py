from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from caseapp.i18n import LANGUAGE_NAMES


def choice_list(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class LanguageForm(FlaskForm):
    locale = SelectField(choices=choice_list(LANGUAGE_NAMES.items()))
    next = HiddenField()
