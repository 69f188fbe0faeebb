"""Reporting periods: a half-year ("2026-H1"), a year ("2026"), or a range of
months ("2026-01..2026-06") or days ("2026-01-15..2026-02-10"), in local dates.
The union reports by half-year and year; a range serves anything else."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from caseapp import clock

# ASCII digits only, matched whole (``fullmatch``): the code goes into a file name.
_HALF = re.compile(r"([0-9]{4})-H([12])")
_YEAR = re.compile(r"([0-9]{4})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
EARLIEST = date(2017, 1, 1)  # Decree 56/2017; nothing before it is the programme's


class PeriodError(ValueError):
    """A period that cannot be read; ``message`` says how to write one."""

    def __init__(self, message=None):
        super().__init__("bad period")
        self.message = message or _l("Write the period as 2026-H1, 2026, 2026-10 (a month), "
                                     "2026-01..2026-06 or 2026-01-15..2026-02-10.")


@dataclass(frozen=True)
class Period:
    code: str  # 2026-H1, 2026, 2026-01..2026-06 or 2026-01-15..2026-02-10, rebuilt
    first: date
    last: date  # inclusive
    by_day: bool = False  # a range of days (not whole months)

    @property
    def start(self) -> datetime:
        """The first instant (UTC) of the period's first local day."""
        return _utc(self.first)

    @property
    def end(self) -> datetime:
        """The first instant (UTC) after the period's last local day."""
        return _utc(self.last + timedelta(days=1))

    @property
    def title_vi(self) -> str:
        half = _HALF.match(self.code)
        if half:
            which = "6 tháng đầu" if half.group(2) == "1" else "6 tháng cuối"
            return f"{which} năm {half.group(1)}"
        if _YEAR.match(self.code):
            return f"năm {self.code}"
        return f"từ {self.first:%d/%m/%Y} đến {self.last:%d/%m/%Y}"


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.local_timezone()).astimezone(UTC)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _bound(text: str, *, last: bool) -> tuple[date, bool]:
    """A range's bound and whether it names a day (not a month)."""
    if (m := _DAY.fullmatch(text)) is not None:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), True
    if (m := _MONTH.fullmatch(text)) is not None:
        year, month = int(m.group(1)), int(m.group(2))
        return (_month_end(year, month) if last else date(year, month, 1)), False
    raise ValueError(text)


def parse(text: str | None, today: date | None = None) -> Period:
    """The period ``text`` names; none: the current half-year."""
    text = (text or "").strip()
    if not text:
        today = today or clock.local_today()
        text = f"{today.year}-H{1 if today.month <= 6 else 2}"
    try:
        if (m := _HALF.fullmatch(text)) is not None:
            year, half = int(m.group(1)), int(m.group(2))
            period = Period(f"{year:04d}-H{half}", date(year, 1 if half == 1 else 7, 1),
                            date(year, 6, 30) if half == 1 else date(year, 12, 31))
        elif (m := _YEAR.fullmatch(text)) is not None:
            year = int(m.group(1))
            period = Period(f"{year:04d}", date(year, 1, 1), date(year, 12, 31))
        elif (m := _MONTH.fullmatch(text)) is not None:  # one month: a range of one
            year, month = int(m.group(1)), int(m.group(2))
            period = Period(f"{year:04d}-{month:02d}..{year:04d}-{month:02d}",
                            date(year, month, 1), _month_end(year, month))
        elif text.count("..") == 1:
            first_text, last_text = text.split("..")
            (first, first_day), (last, last_day) = (_bound(first_text, last=False),
                                                    _bound(last_text, last=True))
            by_day = first_day or last_day
            code = (f"{first:%Y-%m-%d}..{last:%Y-%m-%d}" if by_day
                    else f"{first:%Y-%m}..{last:%Y-%m}")
            period = Period(code, first, last, by_day)
        else:
            raise ValueError(text)
    except ValueError:
        raise PeriodError() from None
    if period.last < period.first:
        raise PeriodError(_l("The period's start is after its end."))
    if period.first < EARLIEST or period.last.year > 2100:
        raise PeriodError()
    return period


def presets(today: date | None = None) -> list[tuple[str, str]]:
    """Periods offered as one click: this and last half-year, this and last year."""
    today = today or clock.local_today()
    year, half = today.year, 1 if today.month <= 6 else 2
    previous = (year, 1) if half == 2 else (year - 1, 2)
    return [
        (f"{year}-H{half}", str(_l("First half of %(year)d", year=year) if half == 1
                                else _l("Second half of %(year)d", year=year))),
        (f"{previous[0]}-H{previous[1]}",
         str(_l("First half of %(year)d", year=previous[0]) if previous[1] == 1
             else _l("Second half of %(year)d", year=previous[0]))),
        (str(year), str(_l("Year %(year)d", year=year))),
        (str(year - 1), str(_l("Year %(year)d", year=year - 1))),
    ]


def school_year(today: date | None = None, first_month: int = 9,
                last_month: int = 5) -> Period:
    """The school year containing ``today`` (September to May by default)."""
    today = today or clock.local_today()
    start_year = today.year if today.month >= first_month else today.year - 1
    end_year = start_year + 1 if last_month < first_month else start_year
    first, last = date(start_year, first_month, 1), _month_end(end_year, last_month)
    return Period(f"{first:%Y-%m}..{last:%Y-%m}", first, last)
