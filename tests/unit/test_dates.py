"""One way to write a date (dd/MM/yyyy) and a moment (dd/MM/yyyy HH:mm), in the
instance's time zone, on every screen."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from caseapp.i18n import format_day, format_moment

ROOT = Path(__file__).resolve().parents[2] / "caseapp"
# "HH:mm" alone: the time of a line that already shows its day (who-viewed).
HOUSE_PATTERNS = {"dd/MM/yyyy HH:mm", "dd/MM/yyyy", "HH:mm"}


def test_moments_and_days_in_the_instance_time_zone(app):
    with app.test_request_context():
        assert format_moment(datetime(2026, 5, 3, 3, 0, tzinfo=UTC)) == "03/05/2026 10:00"
        # 20:00 UTC on 1 January is already 2 January in Vietnam.
        assert format_day(datetime(2026, 1, 1, 20, 0, tzinfo=UTC)) == "02/01/2026"
        assert format_day(date(2011, 9, 5)) == "05/09/2011"
        assert format_moment(None) == "" and format_day(None) == ""


def test_templates_write_dates_through_the_house_filters():
    """|moment and |day, or Babel's filters with the house pattern: never a
    strftime or another pattern of a template's own."""
    own = []
    for path in ROOT.rglob("templates/**/*.html"):
        text = path.read_text("utf-8")
        name = path.relative_to(ROOT)
        own += [f"{name}: strftime" for _ in re.findall(r"strftime\(", text)]
        for pattern in re.findall(r"(?:datetimeformat|dateformat|format_datetime|format_date)"
                                  r"\(\s*['\"]([^'\"]*)['\"]", text):
            if pattern not in HOUSE_PATTERNS:
                own.append(f"{name}: {pattern}")
    assert own == [], "dates written another way:\n" + "\n".join(own)


def test_the_filters_are_in_every_template(app):
    env = app.jinja_env
    assert env.filters["moment"] is format_moment and env.filters["day"] is format_day
    with app.test_request_context():
        rendered = env.from_string("{{ t|moment }} {{ d|day }} {{ r|role }}").render(
            t=datetime(2026, 5, 3, 3, 0, tzinfo=UTC), d=date(2026, 5, 3), r="officer")
    assert rendered == "03/05/2026 10:00 03/05/2026 Cán bộ phụ trách"
