"""KEK rotation: re-wrap every data key under the current KEK version.

Procedure (what ``caseapp keys rotate`` does)::

    ring = add_kek_version(ring)         # new version, current; old ones kept
    write_keyfile(path, ring)            # every process can now unwrap both
    rotate_data_keys(engine, ring)       # re-wrap in committed batches
    ring = retire_version(ring, session, old)   # later: drop the old KEK
    write_keyfile(path, ring)

Each key owner's table (cases, users, ... -- every :class:`SealedOwner`) is
walked in turn, in primary-key order, over the rows whose key is live and on
another KEK version; only the owner rows' ``data_key_wrapped`` and
``data_key_version`` change, no sealed field is rewritten and no row MAC
covers them. Each batch is its own transaction, and each row update is a
compare-and-swap on (key id, version, wrapped, not destroyed), so the job is
idempotent, can be killed at any point
and resumed by running it again, never resurrects a key destroyed meanwhile,
and can run next to the app: a reader that loaded a row before its batch
committed unwraps it with the old version, which stays in the key ring until
retired. A process started with an older key file reloads it when it meets
the new version (see :func:`caseapp.crypto.integration.reload_keyring`);
with ``CASEAPP_KEYS`` every process must get the new value *before* the
re-wrap starts.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    LargeBinary,
    String,
    bindparam,
    column,
    func,
    inspect,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session

from .errors import (
    CryptoError,
    DecryptionError,
    RetireRefused,
    RotationError,
    UnknownKeyVersion,
)
from .keyring import KeyRing

Progress = Callable[[int, int], None]


def _key_table(name: str) -> Any:
    """The key columns of owner table ``name`` (a lightweight table clause)."""
    return table(name, column("id", String), column("data_key_id", String),
                 column("data_key_wrapped", LargeBinary), column("data_key_version", Integer),
                 column("data_key_destroyed_at"))


_KEY_COLUMN_NAMES = {"id", "data_key_id", "data_key_wrapped", "data_key_version",
                     "data_key_destroyed_at"}


def _owner_tables(conn: Connection) -> list[Any]:
    """The key owners' tables in this database, in name order: every table with
    the key columns (found in the database itself, so a process that has not
    imported the models -- a rotation worker -- sees them all)."""
    found = {name for (_schema, name), cols in inspect(conn).get_multi_columns().items()
             if {c["name"] for c in cols} >= _KEY_COLUMN_NAMES}
    return [_key_table(name) for name in sorted(found)]


def _live(t: Any) -> Any:
    return (t.c.data_key_wrapped.is_not(None)) & (t.c.data_key_destroyed_at.is_(None))


def add_kek_version(keyring: KeyRing) -> KeyRing:
    """A new key ring with a fresh KEK version, made current (old versions stay)."""
    return keyring.with_new_version()


@contextmanager
def _transaction(target: Any) -> Iterator[Connection]:
    if isinstance(target, Engine):
        with target.begin() as conn:
            yield conn
        return
    if isinstance(target, Session):
        raise TypeError("pass an Engine or a session factory: each batch commits on its own")
    if callable(target):
        session = target()
        try:
            with session.begin():
                yield session.connection()
        finally:
            session.close()
        return
    raise TypeError("rotate_data_keys needs an Engine or a session factory")


def _not_on(t: Any, version: int) -> Any:
    """Rows to re-wrap: on another version, or with none recorded (NULL would
    never compare unequal: such a key would be skipped without a word)."""
    return t.c.data_key_version.is_(None) | (t.c.data_key_version != version)


def _pending(conn: Connection, tables: list[Any], version: int) -> int:
    return sum(conn.execute(
        select(func.count()).select_from(t)
        .where(_live(t), _not_on(t, version))).scalar_one() for t in tables)


def rotate_data_keys(target: Engine | Callable[[], Session], keyring: KeyRing,
                     batch_size: int = 500, progress: Progress | None = None) -> int:
    """Re-wrap every live data key not on ``keyring.current_version``.

    ``target`` is an Engine or a session factory (each batch commits in its
    own transaction). ``progress(done, total)`` is called after every batch.
    Returns the number of keys re-wrapped by this run. Keys that cannot be
    unwrapped (tampered, or under a KEK this ring lacks) are skipped and
    reported at the end with :class:`RotationError` (by data key id).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    current = keyring.current_version
    with _transaction(target) as conn:
        tables = _owner_tables(conn)
        total = _pending(conn, tables, current)
    done = 0
    failed: list[str] = []
    for t in tables:
        last_id = ""
        while True:
            with _transaction(target) as conn:
                rows = conn.execute(
                    select(t.c.id, t.c.data_key_id, t.c.data_key_version, t.c.data_key_wrapped)
                    .where(_live(t), _not_on(t, current), t.c.id > last_id)
                    .order_by(t.c.id).limit(batch_size)
                    .with_for_update(skip_locked=True)).all()
                if not rows:
                    break
                last_id = rows[-1].id
                done += _rewrap(conn, t, rows, keyring, failed)
            if progress is not None:
                progress(done, total)
    if failed:
        raise RotationError(failed, done)
    return done


def _rewrap(conn: Connection, t: Any, rows: Any, keyring: KeyRing, failed: list[str]) -> int:
    """Re-wrap ``rows`` (id, key id, version, wrapped) with one compare-and-swap UPDATE each.

    A row changed since it was read (destroyed, re-keyed, or re-wrapped by
    another worker) does not match and is left alone. Returns the rows changed.
    """
    current = keyring.current_version
    params = []
    for row_id, key_id, version, wrapped in rows:
        try:
            if version is None:
                raise ValueError("no KEK version recorded")
            dek = keyring.unwrap(wrapped, data_key_id=key_id, version=version)
        except (DecryptionError, UnknownKeyVersion, ValueError, TypeError):
            failed.append(str(key_id))
            continue
        _, rewrapped = keyring.wrap(dek, data_key_id=key_id)
        params.append({"k_id": row_id, "k_key": key_id, "k_old_version": version,
                       "k_old_wrapped": wrapped, "k_wrapped": rewrapped, "k_version": current})
    if not params:
        return 0
    cas = (update(t)
           .where(t.c.id == bindparam("k_id"), t.c.data_key_id == bindparam("k_key"),
                  t.c.data_key_version == bindparam("k_old_version"),
                  t.c.data_key_wrapped == bindparam("k_old_wrapped"),
                  t.c.data_key_destroyed_at.is_(None))
           .values(data_key_wrapped=bindparam("k_wrapped"),
                   data_key_version=bindparam("k_version")))
    result = conn.execute(cas, params)
    if conn.dialect.supports_sane_multi_rowcount and result.rowcount >= 0:
        return int(result.rowcount)
    return len(params)


def _counts(session: Session) -> dict[int | None, int]:
    """Live data keys per KEK version, over every owner table (``None``: keys
    with no version recorded, which no KEK opens)."""
    conn = session.connection()
    counts: dict[int | None, int] = {}
    for t in _owner_tables(conn):
        for version, n in conn.execute(
                select(t.c.data_key_version, func.count()).where(_live(t))
                .group_by(t.c.data_key_version)):
            key = None if version is None else int(version)
            counts[key] = counts.get(key, 0) + int(n)
    return counts


def _unopenable(session: Session, keyring: KeyRing, batch_size: int = 1000) -> int:
    """How many live data keys ``keyring`` cannot unwrap, over every owner
    table: tried one by one, whatever version each row claims (a row's
    version can be rewritten without its key being re-wrapped), a key with
    no version counted as one that does not open."""
    conn = session.connection()
    failed = 0
    for t in _owner_tables(conn):
        last_id = ""
        while True:
            rows = conn.execute(
                select(t.c.id, t.c.data_key_id, t.c.data_key_version, t.c.data_key_wrapped)
                .where(_live(t), t.c.id > last_id).order_by(t.c.id).limit(batch_size)).all()
            if not rows:
                break
            last_id = rows[-1].id
            for _row_id, key_id, version, wrapped in rows:
                if version is None or key_id is None:
                    failed += 1
                    continue
                try:
                    keyring.unwrap(bytes(wrapped), data_key_id=key_id, version=version)
                except (CryptoError, ValueError, TypeError):
                    failed += 1
    return failed


def retire_version(keyring: KeyRing, session: Session, version: int) -> KeyRing:
    """A key ring with ``version`` retired (its KEK dropped).

    Refuses (:class:`RetireRefused`) while any live data key is still wrapped
    by it, or if it is the current version, or if any live data key does not
    unwrap with the key ring that would remain: each is tried, so a row whose
    recorded version was changed without re-wrapping its key (which the
    rotation skips) cannot make the old version look unused. Write the
    result with ``write_keyfile``; from then on, backups holding keys wrapped
    under the retired version cannot be unwrapped -- which is also what makes
    a shredded key unrecoverable from old backups.
    """
    if version == keyring.current_version:
        raise RetireRefused(f"KEK version {version} is current; rotate first")
    in_use = _counts(session).get(version, 0)
    if in_use:
        raise RetireRefused(f"KEK version {version} still wraps {in_use} data key(s); "
                            "run the rotation to completion first")
    kept = keyring.without_version(version)
    unopenable = _unopenable(session, kept)
    if unopenable:
        raise RetireRefused(
            f"KEK version {version} not retired: {unopenable} live data key(s) would not "
            "unwrap with the versions kept (a version recorded wrongly, missing, or a key "
            "tampered with); nothing changed")
    return kept


class KeyVersionStatus(NamedTuple):
    version: int | None  # None: live keys with no version recorded (unreadable)
    current: bool
    retired: bool
    wrapped_count: int


def key_status(session: Session, keyring: KeyRing) -> list[KeyVersionStatus]:
    """One row per KEK version known to the key ring or used in the database."""
    counts = _counts(session)
    unlabelled = counts.pop(None, 0)
    versions = set(keyring.versions) | set(keyring.retired) | set(counts)
    rows = [KeyVersionStatus(v, v == keyring.current_version, v in keyring.retired,
                             int(counts.get(v, 0))) for v in sorted(versions)]
    if unlabelled:
        rows.append(KeyVersionStatus(None, False, False, unlabelled))
    return rows
