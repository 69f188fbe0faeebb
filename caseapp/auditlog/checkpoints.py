"""Signed checkpoints of the audit log, written by the running app.

Every ``AUDIT_CHECKPOINT_EVERY_ENTRIES`` entries or
``AUDIT_CHECKPOINT_EVERY_MINUTES`` minutes (0 switches a limit off; both 0
switches periodic checkpoints off), the head of the log is signed with the key
ring's Ed25519 key and appended to ``<instance>/audit-checkpoints.jsonl``.

Why it is built this way:

* It runs after a request's commit (a teardown hook), so it signs entries that
  exist, and the request's own transaction is never held open for it.
* The common case costs no I/O: record() leaves the request's newest seq on
  ``g``, and the process remembers the last checkpoint it knows of, so
  "nothing due" is arithmetic. A request that wrote nothing looks at the
  head at most once a minute, so the time limit still holds on a quiet
  instance.
* Several processes (gunicorn workers, the CLI) share the file. What a
  process remembers may be stale, so the decision is taken again under an
  exclusive ``flock`` on a lock file next to it, from the file's own last
  line and the database head: two workers never sign the same head twice,
  and if the lock is unavailable (not POSIX) a duplicate checkpoint is
  harmless to the verifier.
* A failure here never fails the request that triggered it: it is logged
  (type only) and tried again at the next request.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, g
from sqlalchemy import select

import audit
from caseapp import clock
from caseapp.auditing.writer import LAST_SEQ, record
from caseapp.extensions import db

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: duplicates are harmless
    fcntl = None

log = logging.getLogger("caseapp.audit")

FILE_NAME = "audit-checkpoints.jsonl"
LOCK_NAME = "audit-checkpoints.lock"
# How often a request that wrote no entry may look at the head for the time limit.
PROBE_INTERVAL = timedelta(minutes=1)
_TAIL_BYTES = 8192
_STATE = "caseapp_audit_checkpoint_state"


def checkpoint_path(app: Flask | None = None) -> str:
    app = app or current_app
    return os.path.join(app.instance_path, FILE_NAME)


def mirror_paths(app: Flask | None = None) -> list[str]:
    """The configured copies (AUDIT_CHECKPOINT_MIRRORS), absolute."""
    app = app or current_app
    return [os.path.abspath(p) for p in app.config.get("AUDIT_CHECKPOINT_MIRRORS") or ()]


def _append_to_mirrors(app: Flask, checkpoint: dict) -> None:
    """A copy that cannot be written is logged (type only) and tried again at
    the next checkpoint; it never stops the instance's own file."""
    for path in mirror_paths(app):
        try:
            audit.append_checkpoint_file(path, checkpoint)
        except OSError as error:
            log.warning("audit checkpoint mirror not written: %s", type(error).__name__)


@dataclass
class _State:
    """What this process knows of the newest checkpoint (may be stale)."""

    loaded: bool = False
    seq: int | None = None
    at: datetime | None = None
    probed_at: datetime | None = None

    def __post_init__(self):
        self.lock = threading.Lock()


def _state(app: Flask) -> _State:
    """This process's state for the app's current checkpoint file."""
    states = app.extensions.setdefault(_STATE, {})
    path = checkpoint_path(app)
    state = states.get(path)
    if state is None:
        state = states.setdefault(path, _State())
    return state


def _parse_at(value) -> datetime | None:
    try:
        return clock.as_utc(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return None


def last_checkpoint(path: str) -> tuple[int | None, datetime | None]:
    """(seq, at) of the file's last checkpoint, reading only its tail;
    (None, None) when there is none or the last line cannot be read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
    except FileNotFoundError:
        return None, None
    for line in reversed(tail.splitlines()):
        if not line.strip():
            continue
        try:
            cp = json.loads(line)
        except ValueError:
            break
        if isinstance(cp, dict) and type(cp.get("seq")) is int:
            return cp["seq"], _parse_at(cp.get("at"))
        break
    return None, None


def _limits(app: Flask) -> tuple[int, float]:
    return (int(app.config["AUDIT_CHECKPOINT_EVERY_ENTRIES"] or 0),
            float(app.config["AUDIT_CHECKPOINT_EVERY_MINUTES"] or 0))


@contextmanager
def _exclusive(app: Flask):
    path = os.path.join(app.instance_path, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


_HEAD = select(audit.audit_entries.c.seq).order_by(audit.audit_entries.c.seq.desc()).limit(1)


def head_seq() -> int:
    """The newest entry's seq (0 for an empty log), on the caller's session."""
    return db.session.execute(_HEAD).scalar() or 0


def write_checkpoint(app: Flask | None = None, *, force: bool = True) -> dict | None:
    """Sign the current head and append it to the checkpoint file, under the
    file lock. With ``force=False`` only when the configured limits say a
    checkpoint is due (decided again under the lock). Returns the checkpoint
    written, or None. Reads on the caller's session; the caller ends its
    transaction.
    """
    app = app or current_app._get_current_object()
    every_entries, every_minutes = _limits(app)
    path = checkpoint_path(app)
    state = _state(app)
    with _exclusive(app):
        last_seq, last_at = last_checkpoint(path)
        written = None
        head = head_seq()
        if force or audit.should_checkpoint(last_seq, last_at, head, clock.now(),
                                            every_entries, every_minutes):
            keys = app.extensions["caseapp_keys"]
            written = audit.make_checkpoint(db.session.connection(), keys.audit_signing_key)
            audit.append_checkpoint_file(path, written)
            _append_to_mirrors(app, written)
            # The log itself says a checkpoint exists, so a deleted or
            # shortened checkpoint file is caught by `caseapp audit verify`.
            record("audit.checkpoint", actor="system", details={"seq": written["seq"]})
            db.session.commit()
            last_seq, last_at = written["seq"], _parse_at(written["at"])
        with state.lock:
            state.loaded, state.seq, state.at = True, last_seq, last_at
    return written


def sign_head_in_transaction(app: Flask | None = None) -> dict:
    """Sign the head as the caller's transaction sees it and append it to the
    file and the mirrors, without committing: for a report computed in the
    same transaction, so the checkpoint covers exactly what the report read.
    The caller holds the log against writers (see :mod:`caseapp.reports.service`)
    and commits.

    The transaction must hold no entry of its own yet: the file cannot be
    rolled back, and a checkpoint naming an entry that a failed commit took
    away would read as a log rewritten ever after."""
    app = app or current_app._get_current_object()
    with _exclusive(app):
        keys = app.extensions["caseapp_keys"]
        written = audit.make_checkpoint(db.session.connection(), keys.audit_signing_key)
        audit.append_checkpoint_file(checkpoint_path(app), written)
        _append_to_mirrors(app, written)
        record("audit.checkpoint", actor="system", details={"seq": written["seq"]})
    state = _state(app)
    with state.lock:
        state.loaded, state.seq, state.at = True, written["seq"], _parse_at(written["at"])
    return written


def _due(app: Flask, state: _State, head: int, now: datetime) -> bool:
    every_entries, every_minutes = _limits(app)
    if not every_entries and not every_minutes:
        return False
    with state.lock:
        if not state.loaded:
            state.seq, state.at = last_checkpoint(checkpoint_path(app))
            state.loaded = True
        return audit.should_checkpoint(state.seq, state.at, head, now,
                                       every_entries, every_minutes)


def maybe_checkpoint() -> None:
    """Sign a checkpoint if one is due; called after a request's commit.
    Never raises."""
    app = current_app._get_current_object()
    every_entries, every_minutes = _limits(app)
    if not every_entries and not every_minutes:
        return
    state = _state(app)
    now = clock.now()
    head = g.pop(LAST_SEQ, None)
    if head is None:
        # Nothing written by this request: only the time limit can be due,
        # and looking costs a query, so look at most once a minute.
        with state.lock:
            if state.probed_at is not None and now - state.probed_at < PROBE_INTERVAL:
                return
            state.probed_at = now
    try:
        if head is None:
            head = head_seq()
        if _due(app, state, head, now):
            write_checkpoint(app, force=False)
    except Exception as error:  # noqa: BLE001 - must not fail the request; logged
        log.warning("audit checkpoint failed: %s", type(error).__name__)
    finally:
        # Only reads happened since the request's commit; end that transaction
        # (on SQLite it holds the write lock: every BEGIN is IMMEDIATE).
        db.session.rollback()
