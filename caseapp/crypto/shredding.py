"""Crypto-shredding, and the SQLite settings that make it stick on disk.

:func:`destroy_owner_key` drops a data key's only copy (the owner row's
``data_key_wrapped`` = NULL, ``data_key_destroyed_at`` = now), so every
value sealed under it is unreadable for good. What is left to do
is on the storage side:

* ``PRAGMA secure_delete=ON`` (set by :func:`configure_sqlite_engine` on
  every connection) makes SQLite overwrite freed cells with zeros, so the
  old wrapped key does not linger in free space of the database file;
* :func:`sqlite_scrub` runs ``PRAGMA wal_checkpoint(TRUNCATE)``, moving the
  new pages into the database file and truncating the ``-wal`` file, which
  otherwise keeps old page images until the next checkpoint.
* Backups made before the destruction still hold the key wrapped under the
  KEK version of that time: rotate and retire that version (see
  :mod:`caseapp.crypto.rotation`) to make those copies useless too.

Filesystem and SSD remapping below SQLite are out of reach; full-disk
encryption of the host covers them.
"""
from __future__ import annotations

import contextlib
import time
import weakref
from typing import Any

from flask import g, has_app_context
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session

from caseapp import clock

from .errors import ScrubIncomplete
from .fields import owner_classes
from .scope import current_scope, owner_table

SQLITE_BEGIN_OPTION = "sqlite_begin"
READ_ONLY_OPTIONS = {SQLITE_BEGIN_OPTION: "DEFERRED"}
_BEGIN_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}
_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def destroy_owner_key(session: Session, owner: Any) -> Any:
    """Destroy the data key of a key owner (a case, a user's TOTP secret).

    Clears ``data_key_wrapped`` and sets ``data_key_destroyed_at`` on the
    owner's row (its ``data_key_id`` stays, so reads name the key). Flushes
    but does not commit: the caller commits together with its audit entry.
    Idempotent. Afterwards reads of the owner's fields raise
    :class:`~caseapp.crypto.errors.KeyDestroyed`, and a wrapped key put back
    from an old copy is refused while ``data_key_destroyed_at`` is set (on a
    row with a row MAC over it, clearing that is caught). Run
    :func:`sqlite_scrub` after the commit on SQLite.
    """
    key_id = owner.data_key_id
    if key_id is None:
        raise LookupError(f"{owner_table(type(owner))} {owner.id} has no data key")
    if owner.data_key_wrapped is not None or owner.data_key_destroyed_at is None:
        owner.data_key_wrapped = None
        owner.data_key_destroyed_at = owner.data_key_destroyed_at or clock.now()
        session.flush()
    scope = current_scope()
    if scope is not None:
        scope.forget(key_id, destroyed=True)
    return owner


def destroy_data_key(session: Session, data_key_id: str) -> Any:
    """Destroy the data key ``data_key_id``, wherever its owner is (see
    :func:`destroy_owner_key`, which callers holding the owner should use).
    Returns the owner; LookupError if no owner row holds that key."""
    tables = set(inspect(session.connection()).get_table_names())
    for name, cls in owner_classes().items():
        if name not in tables:
            continue
        owner = session.scalar(select(cls).where(cls.data_key_id == data_key_id)
                               .with_for_update())
        if owner is not None:
            return destroy_owner_key(session, owner)
    raise LookupError(f"no data key {data_key_id}")


def configure_sqlite_engine(engine: Engine, *, busy_timeout_ms: int = 30000,
                            synchronous: str | None = None) -> Engine:
    """Connection settings for the embedded SQLite (a no-op for other databases).

    On every new connection: ``journal_mode=WAL``, ``secure_delete=ON``,
    ``foreign_keys=ON``, ``busy_timeout``; and SQLAlchemy's documented pysqlite
    recipe -- ``isolation_level = None`` so pysqlite emits no BEGIN of its own,
    and our own BEGIN in the engine's "begin" event -- so SAVEPOINT works and
    transactions are real. BEGIN is ``IMMEDIATE`` (writers serialise up front,
    no late SQLITE_BUSY on lock upgrade); a read-only unit of work may ask for
    ``DEFERRED`` with the execution option ``sqlite_begin`` (see
    ``READ_ONLY_OPTIONS``), e.g. ``Session(engine.execution_options(**READ_ONLY_OPTIONS))``,
    so that it does not queue behind writers. ``synchronous`` (e.g. ``"NORMAL"``,
    safe from corruption in WAL mode) is left at SQLite's default unless given.
    Idempotent.
    """
    if engine.dialect.name != "sqlite" or engine in _configured:
        return engine
    _configured.add(engine)
    timeout = int(busy_timeout_ms)
    sync = None if synchronous is None else str(synchronous).upper()
    if sync is not None and sync not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError("synchronous must be OFF, NORMAL, FULL or EXTRA")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={timeout}")
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            cursor.execute("PRAGMA secure_delete=ON").fetchall()
            cursor.execute("PRAGMA foreign_keys=ON")
            if sync is not None:
                cursor.execute(f"PRAGMA synchronous={sync}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = str(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def sqlite_scrub(engine: Engine, *, attempts: int = 50, vacuum: bool = False) -> dict[str, int]:
    """Checkpoint and truncate the WAL so no old page image stays in ``-wal``.

    Retries while readers hold the WAL (``attempts`` x ~150 ms), then raises
    :class:`ScrubIncomplete`. ``vacuum=True`` also rebuilds the database file
    (only needed if secure_delete was ever off). Returns SQLite's
    ``{"busy", "log", "checkpointed"}`` figures. A no-op for other databases.
    Run it after the commit, with no transaction left open on this process's
    sessions (an open read transaction is a reader too).
    """
    if engine.dialect.name != "sqlite":
        return {"busy": 0, "log": 0, "checkpointed": 0}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        saved_timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            if vacuum:
                cursor.execute("VACUUM")
            # TRUNCATE waits in the busy handler for readers; wait in short steps instead.
            cursor.execute("PRAGMA busy_timeout=100")
            for _attempt in range(max(1, attempts)):
                busy, log, done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if busy == 0:
                    return {"busy": busy, "log": log, "checkpointed": done}
                time.sleep(0.05)
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(saved_timeout)}")
            cursor.close()
    finally:
        raw.close()
    raise ScrubIncomplete("WAL checkpoint stayed busy: a reader kept the WAL open; retry "
                          "when the app is idle")


_SCRUB_AFTER_COMMIT = "sqlite_scrub_after_commit"


def scrub_after_commit() -> None:
    """Ask for :func:`sqlite_scrub` once this request has committed (a destroyed
    key's pages must leave the SQLite WAL). The app runs it after its commit."""
    if has_app_context():
        setattr(g, _SCRUB_AFTER_COMMIT, True)


def scrub_if_asked(engine: Engine) -> None:
    """After the request's commit: scrub if a shred asked for it. A scrub that
    cannot finish now (readers) is finished by the next checkpoint or by
    `caseapp retention purge`."""
    if not g.pop(_SCRUB_AFTER_COMMIT, False):
        return
    with contextlib.suppress(ScrubIncomplete):
        sqlite_scrub(engine)
