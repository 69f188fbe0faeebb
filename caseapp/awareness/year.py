"""School years: September to May by default (``SCHOOL_YEAR_FIRST_MONTH``,
``SCHOOL_YEAR_LAST_MONTH``), in the local calendar."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from flask import current_app

from caseapp import clock


@dataclass(frozen=True)
class SchoolYear:
    first: date
    last: date

    @property
    def code(self) -> str:
        return f"{self.first.year}-{self.last.year}" if self.last.year != self.first.year \
            else str(self.first.year)


def _months() -> tuple[int, int]:
    config = current_app.config
    return int(config.get("SCHOOL_YEAR_FIRST_MONTH", 9)), int(
        config.get("SCHOOL_YEAR_LAST_MONTH", 5))


def school_year_of(day: date) -> SchoolYear:
    """The school year ``day`` falls in or, in the summer break, the one that
    comes next (its sessions are planned then)."""
    first_month, last_month = _months()
    start_year = day.year if day.month >= first_month else day.year - 1
    end_year = start_year + 1 if last_month < first_month else start_year
    last = date(end_year, last_month, calendar.monthrange(end_year, last_month)[1])
    if day > last:  # the summer between two school years: the coming one
        return school_year_of(date(day.year, first_month, 1))
    return SchoolYear(date(start_year, first_month, 1), last)


def current() -> SchoolYear:
    return school_year_of(clock.now().astimezone(clock.local_timezone()).date())


def school_years(count: int = 5) -> list[SchoolYear]:
    """The current school year and the ``count - 1`` before it, newest first."""
    years = [current()]
    while len(years) < count:
        before = years[-1].first.replace(day=1)
        years.append(school_year_of(date(before.year - 1, before.month, 1)))
    return years
