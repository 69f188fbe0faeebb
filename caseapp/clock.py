"""The one source of "now". Tests move time with ``travel`` instead of sleeping."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving since 1975
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

_offset = timedelta(0)


def now() -> datetime:
    """Timezone-aware UTC now, shifted by any test travel."""
    return datetime.now(UTC) + _offset


def local_timezone():
    """The time zone the service's days are counted in (``BABEL_DEFAULT_TIMEZONE``)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE) \
        if has_app_context() else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TIMEZONE:  # a system without the tz database
            return VIETNAM
        raise ValueError(f"BABEL_DEFAULT_TIMEZONE names an unknown time zone: {name}") from None


def local_today() -> date:
    """Today where the service's people are: from 17:00 UTC, Vietnam's date is
    already the next day's."""
    return now().astimezone(local_timezone()).date()


def travel(delta: timedelta) -> None:
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
