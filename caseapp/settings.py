"""Layered configuration, validated once at start-up.

Order (later wins): ``config/defaults.py`` → ``config/<env>.py`` →
``<instance>/config.py`` → the instance's ``secret_key`` file →
``CASEAPP_*`` environment variables → ``test_config``.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse as parse_limit
from limits import parse_many  # Flask-Limiter's own parser of limit strings

from config import defaults

ENVIRONMENTS = ("development", "testing", "production")
INSECURE_SECRET_KEYS = {"", "dev", "changeme", "secret", "development", "test"}
ROLES = ("counselor", "officer", "supervisor", "admin")


class ConfigError(RuntimeError):
    """Raised when settings are unsafe or malformed; the message names them."""


def instance_path() -> str:
    return os.path.abspath(os.environ.get("CASEAPP_INSTANCE") or "instance")


def _coerce(raw: str, default: Any, name: str) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"CASEAPP_{name} must be true or false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"CASEAPP_{name} must be a whole number, got {raw!r}") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load(env: str | None, instance: str, test_config: dict | None) -> dict[str, Any]:
    env = env or os.environ.get("CASEAPP_ENV") or "production"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CASEAPP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    values: dict[str, Any] = {k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}
    overlay = importlib.import_module(f"config.{env}")
    values.update({k: getattr(overlay, k) for k in dir(overlay) if k.isupper()})

    instance_config = Path(instance) / "config.py"
    if instance_config.is_file():
        scope: dict[str, Any] = {}
        exec(compile(instance_config.read_text("utf-8"), str(instance_config), "exec"), scope)
        values.update({k: v for k, v in scope.items() if k.isupper()})

    secret_file = Path(instance) / "secret_key"
    if secret_file.is_file() and not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = secret_file.read_text("utf-8").strip()

    for name, raw in os.environ.items():
        if not name.startswith("CASEAPP_"):
            continue
        key = name.removeprefix("CASEAPP_")
        if key in ("ENV", "INSTANCE", "KEYS", "TEST_DATABASE_URL"):
            continue
        if key == "DATABASE_URL":
            values["SQLALCHEMY_DATABASE_URI"] = raw
        elif key in values:
            values[key] = _coerce(raw, values[key], key)

    if test_config:
        values.update(test_config)
    values["ENV"] = values.get("ENV", env)
    if not values.get("SQLALCHEMY_DATABASE_URI"):
        values["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance) / "caseapp.db")
    validate(values)
    return values


def _time_zone_known(name) -> bool:
    """``name`` loads as a time zone (Asia/Ho_Chi_Minh always does: the clock
    falls back to UTC+7 where the system has no time zone database)."""
    if not isinstance(name, str) or not name:
        return False
    if name == "Asia/Ho_Chi_Minh":
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _locale_problems(values: dict[str, Any]) -> list[str]:
    problems = []
    if values["BABEL_DEFAULT_LOCALE"] not in values["LANGUAGES"]:
        problems.append("BABEL_DEFAULT_LOCALE must be one of LANGUAGES")
    if not _time_zone_known(values.get("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")):
        problems.append("BABEL_DEFAULT_TIMEZONE must name a time zone of the IANA database, "
                        "such as Asia/Ho_Chi_Minh: every deadline and day is counted in it")
    return problems


def _general_problems(values: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if values["ARGON2_MEMORY_COST_KIB"] < 19456:
        problems.append("ARGON2_MEMORY_COST_KIB is below OWASP's minimum of 19456 (19 MiB)")
    if values["ARGON2_TIME_COST"] < 2:
        problems.append("ARGON2_TIME_COST is below OWASP's minimum of 2 passes")
    if values["ARGON2_PARALLELISM"] < 1 or values["ARGON2_MAX_CONCURRENT"] < 1:
        problems.append("ARGON2_PARALLELISM and ARGON2_MAX_CONCURRENT must be at least 1")
    if values["PASSWORD_MIN_LENGTH"] < 12:
        problems.append("PASSWORD_MIN_LENGTH must be at least 12")
    if values["SESSION_IDLE_MINUTES"] < 1 or values["SESSION_ABSOLUTE_HOURS"] < 1:
        problems.append("SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be positive")
    problems += _locale_problems(values)
    minutes = values.get("BREAK_GLASS_MINUTES", 60)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 240:
        problems.append("BREAK_GLASS_MINUTES must be a whole number from 5 to 240: an "
                        "emergency access must end on its own, soon")
    for name in ("BREAK_GLASS_DAILY_LIMIT", "DATA_REQUEST_HOURS", "ATTACHMENT_MAX_BYTES",
                 "ATTACHMENT_MAX_PER_CASE", "INTAKE_LIMIT_PER_HOUR", "INTAKE_LIMIT_PER_DAY",
                 "PDF_CHECK_SECONDS"):
        value = values.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{name} must be a whole number of at least 1")
    if not _whole(values.get("TAKEDOWN_ANSWER_DAYS", 7), 1, 365):
        problems.append("TAKEDOWN_ANSWER_DAYS must be a whole number of days from 1 to 365")
    problems += _notice_problems(values) + _session_end_problems(values)
    problems += _partner_problems(values) + _public_help_problems(values)
    bad_roles = set(values["TOTP_ROLES"]) - set(ROLES)
    if bad_roles:
        problems.append(f"TOTP_ROLES names unknown roles: {', '.join(sorted(bad_roles))}")
    return problems


def _whole(value, least: int, most: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and least <= value <= most


def _session_end_problems(values: dict[str, Any]) -> list[str]:
    problems = []
    # Longer than the idle limit is cut to just under it where it is used
    # (accounts.sessions.warn_seconds): a short idle limit alone is a valid setting.
    if not _whole(values.get("SESSION_WARN_SECONDS", 120), 10, 3600):
        problems.append("SESSION_WARN_SECONDS must be a whole number of seconds from 10 to "
                        "3600")
    if not _whole(values.get("SERVE_WORKERS", 2), 1, 64):
        problems.append("SERVE_WORKERS must be a whole number from 1 to 64")
    if not _whole(values.get("SERVE_TIMEOUT", 60), 10, 600):
        problems.append("SERVE_TIMEOUT must be a whole number of seconds from 10 to 600")
    if not _whole(values.get("KEPT_FORM_MINUTES", 30), 1, 120):
        problems.append("KEPT_FORM_MINUTES must be a whole number from 1 to 120: typed text "
                        "is kept only for its owner's next login")
    return problems


def _partner_problems(values: dict[str, Any]) -> list[str]:
    problems = []
    if not _whole(values.get("PARTNER_TOKEN_MAX_DAYS", 365), 1, 3650):
        problems.append("PARTNER_TOKEN_MAX_DAYS must be a whole number of days from 1 to 3650: "
                        "every partner token expires")
    if not _whole(values.get("PARTNER_IDEMPOTENCY_HOURS", 24), 1, 720):
        problems.append("PARTNER_IDEMPOTENCY_HOURS must be a whole number from 1 to 720")
    problems += _rate_problems(values, ("PARTNER_RATE_LIMIT", "PARTNER_AUTH_FAILURES_PER_ADDRESS",
                                        "PARTNER_REFUSALS_AUDITED"), several=False)
    problems += _rate_problems(values, ("PARTNER_INTAKE_LIMIT",), several=True)
    return problems


def _rate_problems(values: dict[str, Any], names, *, several: bool) -> list[str]:
    """Flask-Limiter's limit strings: one rate ("120 per minute"), or with
    ``several`` rates joined by semicolons ("30 per hour; 300 per day")."""
    parse = parse_many if several else parse_limit
    problems = []
    for name in names:
        try:
            parse(str(values.get(name, "1 per hour")))
        except ValueError:
            example = "30 per hour; 300 per day" if several else "120 per minute"
            problems.append(f"{name} must be a rate limit such as \"{example}\"")
    return problems


def _public_help_problems(values: dict[str, Any]) -> list[str]:
    problems = []
    if not _whole(values.get("PUBLIC_HELP_FORM_MINUTES", 120), 5, 24 * 60):
        problems.append("PUBLIC_HELP_FORM_MINUTES must be a whole number from 5 to 1440")
    problems += _rate_problems(values, (
        "PUBLIC_HELP_LIMIT_PER_ADDRESS", "PUBLIC_HELP_LIMIT_GLOBAL",
        "PUBLIC_HELP_POSTS_PER_ADDRESS", "PUBLIC_HELP_POSTS_GLOBAL",
        "PUBLIC_HELP_STATUS_LIMIT_PER_ADDRESS", "PUBLIC_HELP_STATUS_LIMIT_GLOBAL"), several=True)
    leave = str(values.get("PUBLIC_HELP_LEAVE_URL", "https://www.google.com/"))
    if not (leave.startswith(("https://", "http://", "/")) and not leave.startswith("//")):
        problems.append("PUBLIC_HELP_LEAVE_URL must be an http(s) address or a path")
    return problems


def _notice_problems(values: dict[str, Any]) -> list[str]:
    problems = [f"{name} must be a whole number, 0 or more"
                for name in ("NOTIFY_DEADLINE_HOURS", "NOTIFY_SCAN_MINUTES")
                if isinstance(values.get(name, 0), bool)
                or not isinstance(values.get(name, 0), int) or values.get(name, 0) < 0]
    if values.get("SMTP_SSL") and values.get("SMTP_STARTTLS"):
        problems.append("SMTP_SSL and SMTP_STARTTLS exclude each other: choose one")
    return problems


# Production's cookie and login settings: (setting, check, what is wrong).
PRODUCTION_RULES = (
    ("SESSION_COOKIE_SECURE", bool, "SESSION_COOKIE_SECURE must be true in production"),
    ("SESSION_COOKIE_NAME", lambda v: str(v).startswith("__Host-"),
     "SESSION_COOKIE_NAME must start with __Host- in production"),
    ("SESSION_COOKIE_SAMESITE", lambda v: v == "Strict",
     "SESSION_COOKIE_SAMESITE must be Strict in production"),
    ("SESSION_COOKIE_HTTPONLY", bool, "SESSION_COOKIE_HTTPONLY must be true in production"),
    ("DEBUG", lambda v: not v, "DEBUG must be off in production"),
    ("REQUIRE_TOTP", bool, "REQUIRE_TOTP must be on in production"),
)


def _production_problems(values: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    secret = values.get("SECRET_KEY") or ""
    if secret.lower() in INSECURE_SECRET_KEYS or len(secret) < 32:
        problems.append(
            "SECRET_KEY is missing, a known default or shorter than 32 characters "
            "(set CASEAPP_SECRET_KEY or run `caseapp quickstart`)"
        )
    problems += [message for name, check, message in PRODUCTION_RULES
                 if not check(values.get(name))]
    weakened = set(ROLES) - set(values["TOTP_ROLES"])
    if weakened:
        problems.append("TOTP_ROLES must include every role (counselor, officer, supervisor "
                        f"and admin) in production (missing: {', '.join(sorted(weakened))})")
    return problems


def validate(values: dict[str, Any]) -> None:
    problems = _general_problems(values)
    if values["ENV"] == "production":
        problems += _production_problems(values)
    if problems:
        raise ConfigError("Unsafe or invalid settings:\n  - " + "\n  - ".join(problems))
