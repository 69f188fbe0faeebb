from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from caseapp.core.base_form import AppForm
from caseapp.i18n import LANGUAGE_NAMES


def required() -> DataRequired:
    """DataRequired with its message in our catalogue (WTForms has no Vietnamese)."""
    return DataRequired(_l("This field is required."))


def max_length(most: int, least: int = -1) -> Length:
    """Length with its message in our catalogue."""
    if least > 0:
        return Length(min=least, max=most,
                      message=_l("Write from %(min)d to %(max)d characters."))
    return Length(max=most, message=_l("Write at most %(max)d characters."))


def choice_list(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class LanguageForm(AppForm):
    locale = SelectField(choices=choice_list(LANGUAGE_NAMES.items()))
    next = HiddenField()
