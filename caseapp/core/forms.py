from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

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


class LanguageForm(FlaskForm):
    locale = SelectField(choices=choice_list(LANGUAGE_NAMES.items()))
    next = HiddenField()


@dataclass(frozen=True)
class Problem:
    """One error of a submitted form, for the summary at its top: the id of the
    input it is about (None: about the whole form), the field's label, the message."""

    target: str | None
    label: str
    message: str


def _first_input_id(field) -> str:
    # A group of radios or checkboxes renders its options as "<id>-0", "<id>-1"…:
    # the link goes to the first, which the browser can focus.
    if field.type in ("RadioField", "SelectMultipleField") and getattr(
            field.widget, "html_tag", None) in ("ul", "ol"):
        return f"{field.id}-0"
    return field.id


def form_problems(form) -> list[Problem]:
    """Every error of ``form`` in the order of its fields (form-level ones first),
    rows of a list of sub-forms included, for the error summary."""
    found = [Problem(None, "", str(message)) for message in getattr(form, "form_errors", ())]

    def walk(fields, prefix: str = "") -> None:
        for field in fields:
            if field.type in ("CSRFTokenField", "HiddenField"):
                found.extend(Problem(None, "", str(m)) for m in field.errors
                             if isinstance(m, str))
            elif field.type == "FieldList":
                found.extend(Problem(field.id, str(field.label.text), str(m))
                             for m in field.errors if isinstance(m, str))
                for number, row in enumerate(field.entries, 1):
                    walk(row.form, f"{prefix}{row_label(field, number)} · ")
            elif field.type == "FormField":
                walk(field.form, prefix)
            else:
                found.extend(Problem(_first_input_id(field), prefix + str(field.label.text),
                                     str(m)) for m in field.errors)

    walk(form)
    return found


def row_label(field_list, number: int) -> str:
    """How a row of a list of sub-forms is named on the page ("Activity 2")."""
    label = getattr(field_list, "row_label", None)
    return str(label(number)) if label else str(number)


def init_app(app) -> None:
    app.jinja_env.globals["form_problems"] = form_problems
