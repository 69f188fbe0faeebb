"""Labels shown to users, in one place so every screen says the same: roles,
the product's name, and the one way a date or a moment is written
(dd/MM/yyyy and dd/MM/yyyy HH:mm, in the instance's time zone)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import format_date, format_datetime, format_decimal, to_user_timezone
from flask_babel import lazy_gettext as _l

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

ROLE_LABELS = {
    "counselor": _l("Counselor"),
    "officer": _l("Case officer"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}

CHANGE_KIND_LABELS = {
    "create": _l("New account"),
    "role_unit": _l("New role or unit"),
    "password": _l("New password set by an administrator"),
    "second_factor": _l("Second factor reset"),
}

# The product's name when the instance does not set PRODUCT_NAME / PRODUCT_SHORT_NAME
# (README: Configuration): what the organisation calls it, in the page's language.
DEFAULT_PRODUCT_NAME = _l("Case management for children harmed online")
DEFAULT_PRODUCT_SHORT_NAME = _l("Child online protection")

DAY_FORMAT = "dd/MM/yyyy"
MOMENT_FORMAT = "dd/MM/yyyy HH:mm"


def role_label(role: str | None) -> str:
    """A role in words ("Cán bộ phụ trách"), the code itself if unknown."""
    if not role:
        return ""
    return str(ROLE_LABELS.get(role, role))


def product_name(short: bool = False) -> str:
    """The product's name as configured, else the default in the page's language."""
    configured = current_app.config.get("PRODUCT_SHORT_NAME" if short else "PRODUCT_NAME")
    if configured:
        return str(configured)
    return str(DEFAULT_PRODUCT_SHORT_NAME if short else DEFAULT_PRODUCT_NAME)


def format_moment(value: datetime | None) -> str:
    """A moment as dd/MM/yyyy HH:mm in the instance's time zone (a naive value is UTC)."""
    if value is None:
        return ""
    return format_datetime(value, MOMENT_FORMAT)


def format_deadline(value: datetime | None) -> str:
    """A deadline: a time of day as a moment; a deadline at the end of a working
    day (the local midnight after it) as that day, "by the end of dd/MM/yyyy",
    not as 00:00 of the next day, which reads as a day earlier or later."""
    if value is None:
        return ""
    local = to_user_timezone(value)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = format_date((local - timedelta(days=1)).date(), DAY_FORMAT)
        return str(_l("by the end of %(day)s", day=day))
    return format_moment(value)


def format_day(value: date | datetime | None) -> str:
    """A day as dd/MM/yyyy; a moment is first brought to the instance's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, DAY_FORMAT)
    return format_date(value, DAY_FORMAT)


def init_app(app) -> None:
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["product_name"] = product_name
    app.jinja_env.filters["role"] = role_label
    # Every template writes dates through these two: {{ x|moment }}, {{ x|day }}.
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["deadline"] = format_deadline
    # Counts in the person's language: 1.234 in Vietnamese, 1,234 in English.
    app.jinja_env.filters["number"] = format_decimal
