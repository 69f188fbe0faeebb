"""Configuration is layered and production refuses unsafe settings by name."""
from __future__ import annotations

import pytest

from caseapp import settings


def load(env, **overrides):
    return settings.load(env, "/nonexistent-instance", overrides)


GOOD_SECRET = "s" * 48


def test_production_refuses_a_missing_secret_key():
    with pytest.raises(settings.ConfigError, match="SECRET_KEY"):
        load("production")


@pytest.mark.parametrize("secret", ["dev", "changeme", "short-secret"])
def test_production_refuses_default_or_short_secret_keys(secret):
    with pytest.raises(settings.ConfigError, match="SECRET_KEY"):
        load("production", SECRET_KEY=secret)


@pytest.mark.parametrize("setting,value,named", [
    ("SESSION_COOKIE_SECURE", False, "SESSION_COOKIE_SECURE"),
    ("SESSION_COOKIE_NAME", "session", "__Host-"),
    ("SESSION_COOKIE_SAMESITE", "Lax", "SESSION_COOKIE_SAMESITE"),
    ("SESSION_COOKIE_HTTPONLY", False, "SESSION_COOKIE_HTTPONLY"),
    ("DEBUG", True, "DEBUG"),
    ("REQUIRE_TOTP", False, "REQUIRE_TOTP"),
    ("TOTP_ROLES", ("admin",), "TOTP_ROLES"),
    # Counselors read a child's whole report at intake: no second factor, no production.
    ("TOTP_ROLES", ("officer", "supervisor", "admin"), "missing: counselor"),
])
def test_production_refuses_insecure_settings(setting, value, named):
    with pytest.raises(settings.ConfigError, match=named):
        load("production", SECRET_KEY=GOOD_SECRET, **{setting: value})


def test_production_accepts_safe_settings():
    values = load("production", SECRET_KEY=GOOD_SECRET)
    assert set(values["TOTP_ROLES"]) == {"counselor", "officer", "supervisor", "admin"}
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_NAME"].startswith("__Host-")


@pytest.mark.parametrize("setting,value", [
    ("ARGON2_MEMORY_COST_KIB", 16000), ("ARGON2_TIME_COST", 1), ("PASSWORD_MIN_LENGTH", 8),
])
def test_argon2_and_password_floors_hold_in_every_environment(setting, value):
    with pytest.raises(settings.ConfigError, match=setting):
        load("development", **{setting: value})


def test_environment_variables_override_with_types(monkeypatch):
    monkeypatch.setenv("CASEAPP_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("CASEAPP_REQUIRE_TOTP", "false")
    values = load("development")
    assert values["SESSION_IDLE_MINUTES"] == 5
    assert values["REQUIRE_TOTP"] is False


def test_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("CASEAPP_SESSION_IDLE_MINUTES", "fifteen")
    with pytest.raises(settings.ConfigError, match="CASEAPP_SESSION_IDLE_MINUTES"):
        load("development")


def test_instance_config_and_secret_file_are_layered(tmp_path):
    (tmp_path / "config.py").write_text("SESSION_IDLE_MINUTES = 7\n")
    (tmp_path / "secret_key").write_text(GOOD_SECRET)
    values = settings.load("production", str(tmp_path), None)
    assert values["SESSION_IDLE_MINUTES"] == 7
    assert values["SECRET_KEY"] == GOOD_SECRET
    assert values["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/caseapp.db"


def test_unknown_environment_is_refused():
    with pytest.raises(settings.ConfigError, match="CASEAPP_ENV"):
        load("staging")


@pytest.mark.parametrize("overrides,named", [
    ({"SMTP_SSL": True, "SMTP_STARTTLS": True}, "SMTP_SSL"),
    ({"NOTIFY_DEADLINE_HOURS": -1}, "NOTIFY_DEADLINE_HOURS"),
    ({"NOTIFY_SCAN_MINUTES": "often"}, "NOTIFY_SCAN_MINUTES"),
])
def test_mail_and_notice_settings_are_checked(overrides, named):
    with pytest.raises(settings.ConfigError, match=named):
        load("development", **overrides)


@pytest.mark.parametrize("setting,value", [
    ("PARTNER_RATE_LIMIT", "fast"),
    ("PARTNER_INTAKE_LIMIT", "many per hour"),
    ("PUBLIC_HELP_POSTS_PER_ADDRESS", "thirty"),
    ("PUBLIC_HELP_STATUS_LIMIT_GLOBAL", ""),
])
def test_rate_limits_that_do_not_parse_are_named(setting, value):
    with pytest.raises(settings.ConfigError, match=setting):
        load("development", **{setting: value})


def test_several_rates_are_taken_where_several_are_read():
    values = load("development", PARTNER_INTAKE_LIMIT="5 per hour; 20 per day",
                  PUBLIC_HELP_LIMIT_PER_ADDRESS="2 per minute; 5 per hour")
    assert values["PARTNER_INTAKE_LIMIT"] == "5 per hour; 20 per day"


@pytest.mark.parametrize("zone", ["Mars/Base", "", None, "../../etc/passwd"])
def test_an_unknown_time_zone_stops_start_up(zone):
    """Every deadline and "today" is counted in it: a wrong one is named at
    start-up, not found by a person whose valid date is refused."""
    with pytest.raises(settings.ConfigError, match="BABEL_DEFAULT_TIMEZONE"):
        load("development", BABEL_DEFAULT_TIMEZONE=zone)


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Asia/Bangkok", "UTC"])
def test_a_known_time_zone_is_accepted(zone):
    assert load("development", BABEL_DEFAULT_TIMEZONE=zone)["BABEL_DEFAULT_TIMEZONE"] == zone
