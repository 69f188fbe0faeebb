"""Failed-login throttling in the shared database (so every app process sees it).

After LOGIN_THROTTLE_AFTER failures a key is blocked for a delay that doubles
with each further failure up to LOGIN_THROTTLE_MAX_SECONDS; an account key is
hard-locked at LOGIN_HARD_LOCK_AFTER failures until an admin lifts it.
"""
from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import datetime, timedelta

from flask import current_app

from caseapp import clock
from caseapp.extensions import db

from .models import LoginThrottle


def _digest(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{mac}"


def account_key(username: str) -> str:
    # The same normalisation as the user lookup: NFC/NFD spellings of one
    # name share one counter.
    return _digest("acct", unicodedata.normalize("NFC", username.strip()).casefold())


def address_key(address: str) -> str:
    return _digest("addr", address or "unknown")


def _row(key: str) -> LoginThrottle:
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, hard_locked=False)
        db.session.add(row)
    return row


def blocked_until(key: str) -> datetime | None:
    row = db.session.get(LoginThrottle, key)
    if row is None or row.blocked_until is None:
        return None
    return row.blocked_until if row.blocked_until > clock.now() else None


def is_hard_locked(key: str) -> bool:
    row = db.session.get(LoginThrottle, key)
    return bool(row and row.hard_locked)


def record_failure(key: str, *, after: int, hard_lock_after: int | None = None,
                   forget_after: timedelta | None = None) -> LoginThrottle:
    """Count a failure. ``forget_after``: failures older than this are
    forgotten first (the address counter, so one school's typos over a month
    never add up to a block)."""
    cfg = current_app.config
    row = _row(key)
    now = clock.now()
    if forget_after is not None and row.last_failure_at is not None \
            and now - row.last_failure_at > forget_after:
        row.failures = 0
    row.failures = (row.failures or 0) + 1
    row.last_failure_at = now
    if row.failures >= after:
        delay = cfg["LOGIN_THROTTLE_BASE_SECONDS"] * 2 ** (row.failures - after)
        row.blocked_until = now + timedelta(seconds=min(delay, cfg["LOGIN_THROTTLE_MAX_SECONDS"]))
    if hard_lock_after is not None and row.failures >= hard_lock_after:
        row.hard_locked = True
    db.session.flush()
    return row


def clear(key: str) -> None:
    row = db.session.get(LoginThrottle, key)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
