"""Engine set-up shared by the app, the CLI and the tests."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Engine, event
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


def configure_sqlite(engine: Engine) -> None:
    """WAL, secure_delete and serialised writers for the embedded SQLite.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
    SQLAlchemy's documented recipe takes it over. ``BEGIN IMMEDIATE`` makes
    each transaction take the write lock up front, so two requests never race
    for the audit chain's head or fail late with SQLITE_BUSY_SNAPSHOT.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")
