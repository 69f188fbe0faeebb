"""Engine set-up shared by the app, the CLI and the tests."""
from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from . import clock


def new_id() -> str:
    """App-generated row ids: they take part in ciphertext associated data."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Stores aware UTC datetimes and always returns aware ones (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect):
        return clock.as_utc(value)


# Requests whose transactions read first (see configure_sqlite): a page asked
# for, not a form posted.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READING = "caseapp_reading"  # on a connection's info: its transaction has not written yet
_SEEN = "caseapp_data_version"  # PRAGMA data_version when the reading transaction began
_STALE = "caseapp_stale"  # another writer committed under this page's reads: it may not write
# A page re-run after a stale read takes the write lock at its start (environ key),
# and the first run's answer says so to CaseApp.wsgi_app (response header).
LOCK_FROM_START = "caseapp.lock_from_start"
STALE_READ_HEADER = "X-Caseapp-Stale-Read"


class StaleRead(OperationalError):
    """Another connection committed after this page's reads began: what the
    request checked on them (its session, its user, the case's unit) may no
    longer hold, and nothing was written yet. The page is run again from the
    start with the write lock held (CaseApp.wsgi_app)."""
_WRITES_IN_CTE = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _reading_request() -> bool:
    from flask import has_request_context, request

    return (has_request_context() and request.method in READING_METHODS
            and not request.environ.get(LOCK_FROM_START))


def _is_read(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return True
    if head.startswith("WITH"):
        return _WRITES_IN_CTE.search(statement) is None
    return False


def take_write_lock(connection) -> None:
    """Before a transaction's first write (or a read a write will depend on):
    a transaction that began reading (a page's request) ends its read snapshot
    and takes SQLite's write lock (``BEGIN IMMEDIATE``), so what it reads from
    here on is the newest state and no other writer comes between. Nothing was
    written before, so nothing is committed by ending the read. A no-op for a
    transaction that holds the lock already, and on PostgreSQL."""
    if not connection.info.get(_READING):
        return
    raw = connection.connection.dbapi_connection
    if connection.info.get(_STALE):
        raise StaleRead("BEGIN IMMEDIATE", None, sqlite3.OperationalError("stale read"))
    connection.info[_READING] = False
    try:
        raw.execute("COMMIT")
        raw.execute("BEGIN IMMEDIATE")
        now = raw.execute("PRAGMA data_version").fetchone()[0]
    except sqlite3.Error as exc:
        # As SQLAlchemy reports a failed BEGIN IMMEDIATE: a locked or read-only
        # database is answered 503 "try again", not a crash.
        raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
    if now != connection.info.get(_SEEN):
        # Another writer committed since this page began reading: its checks
        # were made on a state that may be gone. Give the lock back, write
        # nothing (every later write of this transaction is refused too, should
        # a caller swallow the error), and let the page run again.
        raw.execute("ROLLBACK")
        raw.execute("BEGIN")
        connection.info[_READING] = connection.info[_STALE] = True
        raise StaleRead("BEGIN IMMEDIATE", None, sqlite3.OperationalError("stale read"))


def configure_sqlite(engine: Engine) -> None:
    """WAL, secure_delete and serialised writers for the embedded SQLite.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
    SQLAlchemy's documented recipe takes it over. ``BEGIN IMMEDIATE`` makes
    each writing transaction take the write lock up front, so two requests
    never race for the audit chain's head or fail late with SQLITE_BUSY_SNAPSHOT.

    A page's request (GET) reads first: its transaction begins deferred, so
    pages are read side by side by every worker instead of one at a time
    behind the write lock (issue 16's load run: the lock, held while a page
    rendered or a password hashed, serialised the workers). Its first write
    -- an audit entry, an ORM flush, any statement but a SELECT -- first takes
    the write lock (:func:`take_write_lock`), which cannot fail late: the read
    snapshot has written nothing. A posted form's transaction takes the lock
    at BEGIN as before, so its checks and its writes see one state.

    WAL with ``synchronous=NORMAL``: a commit is durable once the WAL is synced
    at checkpoints; a power cut may lose the last commits but never corrupts
    the file (SQLite's documented guarantee in WAL mode).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.info[_STALE] = False
        if _reading_request():
            connection.exec_driver_sql("BEGIN")
            connection.info[_SEEN] = connection.exec_driver_sql(
                "PRAGMA data_version").scalar()
            connection.info[_READING] = True
        else:
            connection.info[_READING] = False
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(connection, _cursor, statement, _parameters, _context, _many):
        if connection.info.get(_READING) and not _is_read(statement):
            take_write_lock(connection)

    @event.listens_for(engine, "commit")
    def _on_end(connection):
        connection.info[_READING] = connection.info[_STALE] = False

    event.listen(engine, "rollback", _on_end)


@event.listens_for(Session, "before_flush")
def _lock_before_flush(session, _context, _instances) -> None:
    """A flush reads before it writes (a re-sealed row's stored MAC, the audit
    chain's head): the write lock first, so both see the same state."""
    if session.new or session.dirty or session.deleted:
        write_lock_for_session(session)


def write_lock_for_session(session) -> None:
    """:func:`take_write_lock` on the ORM session's connection (before a read
    that a write of the same transaction depends on: the audit chain's head)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        take_write_lock(connection)
