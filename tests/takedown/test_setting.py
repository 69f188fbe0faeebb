"""TAKEDOWN_ANSWER_DAYS: validated once at start-up, 7 by default, settable by
the environment; a request's answer falls due at the end of that many days."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from caseapp import settings
from caseapp.clock import local_timezone
from caseapp.takedown import service


def load(env="development", **overrides):
    return settings.load(env, "/nonexistent-instance", overrides)


def test_the_default_is_seven_days_and_the_environment_sets_it(monkeypatch):
    assert load()["TAKEDOWN_ANSWER_DAYS"] == 7
    monkeypatch.setenv("CASEAPP_TAKEDOWN_ANSWER_DAYS", "10")
    assert load()["TAKEDOWN_ANSWER_DAYS"] == 10


@pytest.mark.parametrize("value", [0, -1, 366, "7", True])
def test_a_bad_value_is_refused_and_named(value):
    with pytest.raises(settings.ConfigError, match="TAKEDOWN_ANSWER_DAYS"):
        load(TAKEDOWN_ANSWER_DAYS=value)


def test_the_answer_falls_due_at_the_end_of_the_last_day(app):
    with app.app_context():
        due = service.answer_due(date(2026, 12, 1))
    assert due.astimezone(local_timezone()).replace(tzinfo=None) == datetime(2026, 12, 9)
