"""Signed checkpoints: the part of the evidence the database cannot hold.

A keyed chain shows that no entry was edited, removed or inserted, but a log
whose newest entries were simply cut off is still a valid chain. So from time
to time the app signs the head (seq and MAC) with an Ed25519 key and appends
the result to a file outside the database. The verifier then insists that the
log still reaches every signed head with the same MAC.

Ed25519 (not the HMAC key) so that the checkpoint file can be copied to places
that may read but not write it -- a backup, a supervisor's machine, another
organisation -- and still prove something there: checking needs only the
public key. The file is append-only JSON lines, created 0600 and fsynced,
because a checkpoint that is lost in a crash is a checkpoint that never was.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection

from .writer import GENESIS_MAC, _read_head, format_timestamp

_DOMAIN = b"caseapp.audit.checkpoint.v1"
_HEX = frozenset("0123456789abcdef")


def checkpoint_message(seq: int, head_mac: str, at: str) -> bytes:
    """The bytes a checkpoint signature covers: a domain tag, then
    ``seq|head_mac|at``."""
    return b"%s|%d|%s|%s" % (_DOMAIN, seq, head_mac.encode("ascii"), at.encode("utf-8"))


def make_checkpoint(connection: Connection, signing_key: Ed25519PrivateKey) -> dict:
    """Sign the current head. An empty log gives seq 0 and the genesis MAC."""
    seq, head_mac = _read_head(connection)
    at = format_timestamp(datetime.now(UTC))
    sig = signing_key.sign(checkpoint_message(seq, head_mac, at)).hex()
    return {"seq": seq, "head_mac": head_mac, "at": at, "sig": sig}


def _is_hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and set(value) <= _HEX


def verify_checkpoint(cp: Any, public_key: Ed25519PublicKey) -> bool:
    """True only for a well-formed checkpoint whose signature checks."""
    if not isinstance(cp, dict) or public_key is None:
        return False
    seq, head_mac, at, sig = cp.get("seq"), cp.get("head_mac"), cp.get("at"), cp.get("sig")
    if type(seq) is not int or seq < 0 or not isinstance(at, str):
        return False
    if not _is_hex(head_mac, 64) or not _is_hex(sig, 128):
        return False
    if seq == 0 and head_mac != GENESIS_MAC:
        return False
    try:
        public_key.verify(bytes.fromhex(sig), checkpoint_message(seq, head_mac, at))
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        return False
    return True


def append_checkpoint_file(path: str | os.PathLike, checkpoint: dict) -> None:
    """Append one JSON line and fsync it (and the directory when the file is new).

    The file is created with mode 0600; an existing file keeps its mode.
    """
    line = json.dumps(checkpoint, sort_keys=True, separators=(",", ":")) + "\n"
    path = os.fspath(path)
    created = not os.path.exists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        data = line.encode("utf-8")
        while data:
            written = os.write(fd, data)
            data = data[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_checkpoints(path: str | os.PathLike) -> Iterator[dict]:
    """Yield the checkpoints in file order, skipping blank lines.

    A missing file raises FileNotFoundError and an unreadable line ValueError
    (naming the line): silently treating either as "no checkpoints" would
    turn deleting the file into a way to hide a cut tail.
    """
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                cp = json.loads(line)
            except ValueError:
                cp = None
            if not isinstance(cp, dict):
                where = f"{os.fspath(path)}, line {lineno}"
                raise ValueError(f"{where}: not a JSON checkpoint")  # noqa: TRY004 - bad data
            yield cp


def should_checkpoint(
    last_cp_seq: int | None,
    last_cp_at: datetime | None,
    head_seq: int | None,
    now: datetime,
    every_entries: int | None,
    every_minutes: float | None,
) -> bool:
    """Whether the app's periodic job should sign a new checkpoint now.

    Yes when there are entries no checkpoint covers and either none was ever
    made, ``every_entries`` entries arrived since the last one, or
    ``every_minutes`` have passed since it. ``None`` (or 0) disables a limit.
    No new entries, no new checkpoint: the last one still pins the head.
    """
    head = head_seq or 0
    last = last_cp_seq or 0
    if head <= last:
        return False
    if last_cp_seq is None or last_cp_at is None:
        return True
    if every_entries and head - last >= every_entries:
        return True
    return bool(every_minutes) and now - last_cp_at >= timedelta(minutes=every_minutes)
