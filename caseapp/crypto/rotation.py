"""KEK rotation: re-wrap every data key under the current KEK version.

Procedure (what ``caseapp keys rotate`` does)::

    ring = add_kek_version(ring)         # new version, current; old ones kept
    write_keyfile(path, ring)            # every process can now unwrap both
    rotate_data_keys(engine, ring)       # re-wrap in committed batches
    ring = retire_version(ring, session, old)   # later: drop the old KEK
    write_keyfile(path, ring)

Only ``data_keys`` rows change; no case data is rewritten. Each batch is its
own transaction, and each row update is a compare-and-swap on (version,
wrapped, not destroyed), so the job is idempotent, can be killed at any point
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

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from caseapp import clock

from .errors import DecryptionError, RetireRefused, RotationError, UnknownKeyVersion
from .keyring import KeyRing
from .models import DataKey

Progress = Callable[[int, int], None]


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


def _pending(conn: Connection, version: int) -> int:
    t = DataKey.__table__
    return conn.execute(
        select(func.count()).select_from(t)
        .where(t.c.wrapped.is_not(None), t.c.kek_version != version)).scalar_one()


def rotate_data_keys(target: Engine | Callable[[], Session], keyring: KeyRing,
                     batch_size: int = 500, progress: Progress | None = None) -> int:
    """Re-wrap every live data key not on ``keyring.current_version``.

    ``target`` is an Engine or a session factory (each batch commits in its
    own transaction). ``progress(done, total)`` is called after every batch.
    Returns the number of keys re-wrapped by this run. Keys that cannot be
    unwrapped (tampered, or under a KEK this ring lacks) are skipped and
    reported at the end with :class:`RotationError`.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    t = DataKey.__table__
    current = keyring.current_version
    with _transaction(target) as conn:
        total = _pending(conn, current)
    done = 0
    failed: list[str] = []
    last_id = ""
    while True:
        with _transaction(target) as conn:
            rows = conn.execute(
                select(t.c.id, t.c.kek_version, t.c.wrapped)
                .where(t.c.wrapped.is_not(None), t.c.kek_version != current, t.c.id > last_id)
                .order_by(t.c.id).limit(batch_size)
                .with_for_update(skip_locked=True)).all()
            if not rows:
                break
            last_id = rows[-1].id
            done += _rewrap(conn, rows, keyring, failed)
        if progress is not None:
            progress(done, total)
    if failed:
        raise RotationError(failed, done)
    return done


def _rewrap(conn: Connection, rows: Any, keyring: KeyRing, failed: list[str]) -> int:
    """Re-wrap ``rows`` (id, kek_version, wrapped) with one compare-and-swap UPDATE each.

    A row changed since it was read (destroyed, or re-wrapped by another
    worker) does not match and is left alone. Returns the rows changed.
    """
    t = DataKey.__table__
    current = keyring.current_version
    now = clock.now()
    params = []
    for key_id, version, wrapped in rows:
        try:
            dek = keyring.unwrap(wrapped, data_key_id=key_id, version=version)
        except (DecryptionError, UnknownKeyVersion):
            failed.append(key_id)
            continue
        _, rewrapped = keyring.wrap(dek, data_key_id=key_id)
        params.append({"k_id": key_id, "k_old_version": version, "k_old_wrapped": wrapped,
                       "k_wrapped": rewrapped, "k_version": current, "k_now": now})
    if not params:
        return 0
    cas = (update(t)
           .where(t.c.id == bindparam("k_id"), t.c.kek_version == bindparam("k_old_version"),
                  t.c.wrapped == bindparam("k_old_wrapped"), t.c.destroyed_at.is_(None))
           .values(wrapped=bindparam("k_wrapped"), kek_version=bindparam("k_version"),
                   rotated_at=bindparam("k_now")))
    result = conn.execute(cas, params)
    if conn.dialect.supports_sane_multi_rowcount and result.rowcount >= 0:
        return int(result.rowcount)
    return len(params)


def retire_version(keyring: KeyRing, session: Session, version: int) -> KeyRing:
    """A key ring with ``version`` retired (its KEK dropped).

    Refuses (:class:`RetireRefused`) while any live data key is still wrapped
    by it, or if it is the current version. Write the result with
    ``write_keyfile``; from then on, backups holding keys wrapped under the
    retired version cannot be unwrapped -- which is also what makes a
    shredded key unrecoverable from old backups.
    """
    if version == keyring.current_version:
        raise RetireRefused(f"KEK version {version} is current; rotate first")
    t = DataKey.__table__
    in_use = session.execute(
        select(func.count()).select_from(t)
        .where(t.c.kek_version == version, t.c.wrapped.is_not(None))).scalar_one()
    if in_use:
        raise RetireRefused(f"KEK version {version} still wraps {in_use} data key(s); "
                            "run the rotation to completion first")
    return keyring.without_version(version)


class KeyVersionStatus(NamedTuple):
    version: int
    current: bool
    retired: bool
    wrapped_count: int


def key_status(session: Session, keyring: KeyRing) -> list[KeyVersionStatus]:
    """One row per KEK version known to the key ring or used in the database."""
    t = DataKey.__table__
    counts = dict(session.execute(
        select(t.c.kek_version, func.count()).where(t.c.wrapped.is_not(None))
        .group_by(t.c.kek_version)).all())
    versions = set(keyring.versions) | set(keyring.retired) | set(counts)
    return [KeyVersionStatus(v, v == keyring.current_version, v in keyring.retired,
                             int(counts.get(v, 0))) for v in sorted(versions)]
