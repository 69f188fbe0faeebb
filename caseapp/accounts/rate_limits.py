"""Flask-Limiter's counters in the app's own database (``caseapp-db://``).

Flask-Limiter and the `limits` library decide what is allowed (the fixed-window
strategy, the limit strings, the 429); this module only stores their counters.
Its default storage is each process's memory, so under `caseapp serve` with N
workers everyone had N times the allowance. Redis would do (set
``RATELIMIT_STORAGE_URI=redis://...``), but an instance on SQLite has no Redis,
and every process already shares the database.

Why it is built this way:

* The counter is incremented on the request's own session, in its
  transaction: no second connection, so no wait on SQLite's write lock that
  this request already holds. A request that is refused or rolls back does
  not need its increment (it was over the limit, or did nothing).
* One statement per check (an upsert that restarts an expired window and
  returns the new count), atomic on SQLite and PostgreSQL alike.
* Keys are HMACs under the app's secret key: the table holds no client
  address. Counters whose window ended an hour ago are deleted when a check
  opens a new window (not at every check: a run of attempts from one address
  purges once per window), at most ``_PURGE_BATCH`` of them, so many
  addresses cannot make the table grow for ever. On PostgreSQL the purge
  skips rows another transaction holds (``FOR UPDATE SKIP LOCKED``): logins
  at once never wait on each other's purge; a skipped row goes next time.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from caseapp.extensions import db

from .models import RateLimitCounter

SCHEME = "caseapp-db"
_KEEP_EXPIRED_SECONDS = 3600
_PURGE_BATCH = 500


def _key(raw: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return "rl:" + hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()[:64]


def _purge(now: float, skip_locked: bool) -> None:
    """Delete up to ``_PURGE_BATCH`` counters whose window ended an hour ago
    (an indexed range), passing over rows locked by other transactions."""
    stale = (select(RateLimitCounter.key)
             .where(RateLimitCounter.expires_at < now - _KEEP_EXPIRED_SECONDS)
             .limit(_PURGE_BATCH))
    if skip_locked:
        stale = stale.with_for_update(skip_locked=True)
    db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key.in_(
        stale.scalar_subquery())))


class DatabaseStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
        insert = dialect.insert(table).values(key=_key(key), count=amount,
                                              expires_at=now + expiry)
        expired = table.c.expires_at <= now
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((expired, amount), else_=table.c.count + amount),
                  "expires_at": case((expired, now + expiry), else_=table.c.expires_at)},
        ).returning(table.c.count)
        count = int(db.session.execute(statement).scalar_one())
        if count == amount:
            # A new window: windows long over are deleted as new ones open, so
            # the table holds about one window's worth of keys however many
            # addresses came by.
            _purge(now, dialect is postgresql)
        return count

    def _live(self, key: str):
        return db.session.execute(
            select(RateLimitCounter.count, RateLimitCounter.expires_at)
            .where(RateLimitCounter.key == _key(key),
                   RateLimitCounter.expires_at > time.time())).first()

    def get(self, key: str) -> int:
        row = self._live(key)
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return float(row.expires_at) if row else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        count = db.session.execute(select(func.count()).select_from(RateLimitCounter)).scalar()
        db.session.execute(delete(RateLimitCounter))
        return count

    def clear(self, key: str) -> None:
        db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == _key(key)))
