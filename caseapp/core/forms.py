from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import HiddenField, SelectField, StringField
from wtforms import widgets as _widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import core as _widget_core

from caseapp import clock
from caseapp.core.base_form import AppForm
from caseapp.i18n import LANGUAGE_NAMES


def html_params(**kwargs) -> Markup:
    """WTForms' ``html_params``, the same attributes in the same order, without
    ``Markup.format`` (a Python string formatter run once per attribute: a tenth
    of the case page's time went there). Values and names are escaped as
    WTForms escapes them, a double quote in a safe value written ``&quot;``."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = _widget_core.clean_key(key)
        if value is True:
            params.append(escape(key))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


# Every widget of WTForms writes its attributes through this one function (a
# module global, and a static method of the widget classes).
WTFORMS_HTML_PARAMS = _widget_core.html_params
_widget_core.html_params = html_params
for _name in dir(_widget_core):
    _widget = getattr(_widget_core, _name)
    if isinstance(_widget, type) and _widget.__dict__.get("html_params") is not None:
        _widget.html_params = staticmethod(html_params)
_widgets.html_params = html_params


def required() -> DataRequired:
    """DataRequired with its message in our catalogue (WTForms has no Vietnamese)."""
    return DataRequired(_l("This field is required."))


def max_length(most: int, least: int = -1) -> Length:
    """Length with its message in our catalogue."""
    if least > 0:
        return Length(min=least, max=most,
                      message=_l("Write from %(min)d to %(max)d characters."))
    return Length(max=most, message=_l("Write at most %(max)d characters."))


class Marked:
    """Marks a field as required before anyone submits (a star beside its label,
    ``required`` and ``aria-required`` on its input) without checking it here:
    the service checks, and says what is missing together with every other
    mistake of the form."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


def marked() -> Marked:
    return Marked()


def choice_list(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class LanguageForm(AppForm):
    locale = SelectField(choices=choice_list(LANGUAGE_NAMES.items()))
    next = HiddenField()


# --- dates typed as people in Vietnam write them -------------------------------------------

DAY_HINT = "dd/mm/yyyy"
# Day, month, year (4 digits) separated by "/", "-" or "." ("5/9/2011", "05-09-2011",
# "05.09.2011"); or ISO ("2011-09-05"), which links and older bookmarks carry.
_DAY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
# Eight digits, ddmmyyyy: a phone's number pad has no "/" ("15092011").
_DIGITS_DAY = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# What the browser may check as the person types (the server decides).
DAY_PATTERN = r"\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}|\d{8}|\d{4}-\d{1,2}-\d{1,2}"
# The programme's records start long after this; a parent's birth can be older still.
EARLIEST_DAY_YEAR = 1900
LATEST_YEARS_AHEAD = 10


def bad_day_message():
    return _l("Enter the date as dd/mm/yyyy, for example 15/09/2011.")


def parse_day(text: str, *, today: date | None = None,
              latest_years_ahead: int = LATEST_YEARS_AHEAD) -> date:
    """The day ``text`` names (dd/mm/yyyy and its variants, or ISO); ValueError
    with a message for the person otherwise (a day that does not exist, such as
    31/02, or one too far back or ahead to be meant)."""
    text = (text or "").strip()
    found = _DAY.match(text) or _DIGITS_DAY.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
    else:
        found = _ISO_DAY.match(text)
        if not found:
            raise ValueError(bad_day_message())
        year, month, day = (int(part) for part in found.groups())
    try:
        value = date(year, month, day)
    except ValueError:
        raise ValueError(_l("This day does not exist in the calendar: check the day and the "
                            "month.")) from None
    today = today or clock.local_today()
    if value.year < EARLIEST_DAY_YEAR:
        raise ValueError(_l("This date is too far in the past."))
    if value.year > today.year + latest_years_ahead:
        raise ValueError(_l("This date is too far in the future."))
    return value


def format_day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ""


class DayField(StringField):
    """A day typed as dd/mm/yyyy, whatever the browser's language.

    A text input (the browser's own date input shows mm/dd/yyyy in an
    English browser, and each browser its own way): numeric keyboard on a phone, the
    format as placeholder and pattern. Accepts d/m/yyyy, dd-mm-yyyy,
    dd.mm.yyyy and ISO; shows dd/mm/yyyy; a wrong or impossible day is a
    message on the field, never an error page. ``data`` is a ``date`` or None.
    """

    render_defaults: ClassVar[dict] = {
        "inputmode": "numeric", "placeholder": DAY_HINT, "pattern": DAY_PATTERN,
        "autocomplete": "off", "maxlength": 12, "size": 12, "class": "day-input"}

    def __init__(self, label=None, validators=None, *, latest_years_ahead: int =
                 LATEST_YEARS_AHEAD, **kwargs):
        render_kw = {**self.render_defaults, **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.latest_years_ahead = latest_years_ahead
        self.raw = ""

    # What a subclass reads and writes (DayTimeField: a moment).
    parse = staticmethod(parse_day)
    show = staticmethod(format_day)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if self.raw:
            self.data = self.parse(self.raw, today=clock.local_today(),
                                   latest_years_ahead=self.latest_years_ahead)

    def _value(self):
        if self.raw:
            return self.raw
        return self.show(self.data)


# "15/09/2011 14:30"; the time also as 14.30, 14h30 or 14h, as people write it.
_DAY_TIME = re.compile(r"^(?P<day>.+?)[\s,]+(?P<hour>\d{1,2})\s*"
                       r"(?:[:.hH]\s*(?P<minute>\d{2})?)?$")
DAY_TIME_HINT = "dd/mm/yyyy hh:mm"


def bad_day_time_message():
    return _l("Enter the date and time as dd/mm/yyyy hh:mm, for example 15/09/2011 14:30.")


def parse_day_time(text: str, *, today: date | None = None,
                   latest_years_ahead: int = LATEST_YEARS_AHEAD) -> datetime:
    """A local day and time to the minute (24-hour clock); ISO ("2011-09-15T14:30",
    what a datetime-local input sent) too. ValueError with a message otherwise."""
    text = (text or "").strip()
    iso = text.replace(" ", "T", 1) if re.match(r"^\d{4}-", text) else ""
    if iso:
        try:
            value = datetime.fromisoformat(iso).replace(second=0, microsecond=0, tzinfo=None)
        except ValueError:
            raise ValueError(bad_day_time_message()) from None
        parse_day(value.date().isoformat(), today=today, latest_years_ahead=latest_years_ahead)
        return value
    # "15092011 1430": the time's four digits without a colon (a phone's pad).
    text = re.sub(r"^(\S+)\s+(\d{2})(\d{2})$", r"\1 \2:\3", text)
    found = _DAY_TIME.match(text)
    if not found:
        raise ValueError(bad_day_time_message())
    day = parse_day(found["day"], today=today, latest_years_ahead=latest_years_ahead)
    hour, minute = int(found["hour"]), int(found["minute"] or 0)
    if hour > 23 or minute > 59:
        raise ValueError(_l("This time does not exist: hours go from 00 to 23, minutes from "
                            "00 to 59."))
    return datetime(day.year, day.month, day.day, hour, minute)


def format_day_time(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if isinstance(value, datetime) else ""


class DayTimeField(DayField):
    """A local date and time typed as dd/mm/yyyy hh:mm (24-hour clock), whatever
    the browser's language: the sibling of :class:`DayField` for the moments a
    case records (received at, performed at, next follow-up). ``data`` is a naive
    local ``datetime`` or None."""

    render_defaults: ClassVar[dict] = {
        "placeholder": DAY_TIME_HINT, "autocomplete": "off", "maxlength": 20, "size": 17,
        "class": "day-input"}
    parse = staticmethod(parse_day_time)
    show = staticmethod(format_day_time)


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


REQUIRED_MARK = Markup('<span class="required-mark" aria-hidden="true">*</span>')


def field_html(field, hint=None, **attrs) -> Markup:
    """A field as ``_forms.html``'s ``field`` macro writes it (label with its
    marker, input tied to its hint and errors, hint, errors), in one call
    instead of five macros: a page with many forms (the case page) writes
    dozens of fields."""
    hint = hint or field.description or None
    errors = field.errors
    described = ((f"{field.id}-hint " if hint else "")
                 + (f"{field.id}-error" if errors else "")).strip()
    if described:
        attrs["aria-describedby"] = described
    if errors:
        attrs["aria-invalid"] = "true"
    mark = Markup(" ") + REQUIRED_MARK if field.flags.required else ""
    html = [Markup('<div class="field{}">\n    <label for="{}">{}{}</label>\n    ').format(
        " has-error" if errors else "", field.id, field.label.text, mark),
        field(**attrs)]
    if hint:
        html.append(Markup('\n    <p class="hint" id="{}-hint">{}</p>').format(field.id, hint))
    if errors:
        html.append(Markup('\n    <div class="error" id="{}-error">').format(field.id))
        html.extend(Markup("<p>{}</p>").format(error) for error in errors)
        html.append(Markup("</div>"))
    html.append(Markup("\n  </div>"))
    return Markup("").join(html)


def init_app(app) -> None:
    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.globals["field_html"] = field_html
