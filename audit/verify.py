"""Walk the audit chain and name the first entry that is not what was written.

Why it is built this way:

* It streams: rows come in keyset pages ordered by ``seq``, and only the
  previous MAC and the checkpoints are kept, so memory does not grow with the
  log and the same code serves a laptop SQLite file and a large PostgreSQL log.
* It must be cheap enough to run often (the target is at most three times the
  cost of a bare HMAC over the same rows), so the hot loop builds the
  canonical bytes from a precomputed template instead of a dict per row. The
  fast path is exact: any row it cannot encode the ordinary way (an odd type
  left by someone writing to the table directly) goes through
  :func:`audit.writer.canonical`, and ``tests/audit`` checks both agree.
* The chain alone cannot show that the newest entries were cut off: the cut
  log is still a valid chain. Signed checkpoints (see :mod:`audit.checkpoint`)
  pin a (seq, MAC) pair the log must still contain, with a key the database
  never sees. Checkpoints without a key to check them fail the run: an
  unchecked checkpoint would be a false reassurance.
* Problems are short English sentences for the CLI to print or translate;
  ``first_bad_seq`` is the seq a human should look at first.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _enc  # what json.dumps uses for str
from typing import Any

from sqlalchemy import Connection, String, bindparam, select, type_coerce

from .checkpoint import verify_checkpoint
from .models import audit_entries
from .writer import FIELDS, GENESIS_MAC, _check_key, canonical

# Columns in the order the canonical JSON lists them (sorted keys), then the
# two chain columns. The fast encoder below relies on this order.
_SORTED_FIELDS = tuple(sorted(FIELDS))
_COLUMNS = _SORTED_FIELDS + ("prev_mac", "mac")
_I_SEQ = _COLUMNS.index("seq")
_I_PREV = _COLUMNS.index("prev_mac")
_I_MAC = _COLUMNS.index("mac")


def _select_columns():
    cols = []
    for name in _COLUMNS:
        col = audit_entries.c[name]
        if name == "occurred_at":
            # Take SQLite's stored text as is (PostgreSQL still returns a
            # datetime): one malformed value must become a reported bad entry,
            # not an exception from the driver layer halfway through a page.
            col = type_coerce(col, String).label("occurred_at")
        cols.append(col)
    return cols


_PAGE = (
    select(*_select_columns())
    .where(audit_entries.c.seq > bindparam("after"))
    .order_by(audit_entries.c.seq)
    .limit(bindparam("batch"))
)


def iter_pages(connection: Connection, batch: int = 5000) -> Iterator[Sequence[tuple]]:
    """Yield the log as lists of row tuples (columns as in ``_COLUMNS``) in
    ``seq`` order, ``batch`` rows at a time, by keyset pagination.

    Public so that benchmarks can time the verifier against the same reads.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    after = -(2**63)
    while True:
        rows = connection.execute(_PAGE, {"after": after, "batch": batch}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][_I_SEQ]
        if len(rows) < batch:
            return


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify_chain`.

    ``count`` is the number of entries found intact (all of them when ``ok``);
    ``head_seq``/``head_mac`` describe the last intact entry.
    ``first_bad_seq`` is None when ``ok`` or when the fault is not in one
    entry (a bad checkpoint, a missing public key).
    """

    ok: bool
    count: int
    head_seq: int | None
    head_mac: str | None
    first_bad_seq: int | None
    problem: str | None


# '{"action":%s,"actor_id":%s,...,"unit_path":%s}' with JSON-escaped keys.
_TEMPLATE = "{" + ",".join(f"{_enc(name)}:%s" for name in _SORTED_FIELDS) + "}"


def _ts_fast(value: Any) -> str:
    # SQLite gives back SQLAlchemy's storage format "YYYY-MM-DD HH:MM:SS.ffffff"
    # (UTC, written by audit.writer): a pure string rewrite gives the canonical
    # form. The rewrite is injective and, with quotes and backslashes excluded,
    # cannot break out of its JSON string, so a changed value cannot match.
    if (type(value) is str and len(value) == 26 and value[10] == " "
            and '"' not in value and "\\" not in value):
        return f'"{value[:10]}T{value[11:]}Z"'
    if type(value) is datetime:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return f'"{value.isoformat(timespec="microseconds")}Z"'
    raise TypeError("slow path")


def _fast_canonical(row: Sequence[Any]) -> bytes:
    """Same bytes as writer.canonical() for rows the writer could have made."""
    (action, actor_id, actor_role, actor_type, client_addr, details, object_id,
     object_type, occurred_at, outcome, request_id, seq, session_hash,
     unit_path) = row[:14]
    if type(seq) is not int:
        raise TypeError("slow path")
    return (
        _TEMPLATE
        % (
            _enc(action),
            "null" if actor_id is None else _enc(actor_id),
            "null" if actor_role is None else _enc(actor_role),
            _enc(actor_type),
            "null" if client_addr is None else _enc(client_addr),
            _enc(details),
            "null" if object_id is None else _enc(object_id),
            "null" if object_type is None else _enc(object_type),
            _ts_fast(occurred_at),
            _enc(outcome),
            "null" if request_id is None else _enc(request_id),
            seq,
            "null" if session_hash is None else _enc(session_hash),
            "null" if unit_path is None else _enc(unit_path),
        )
    ).encode("utf-8")


def _slow_canonical(row: Sequence[Any]) -> bytes:
    return canonical(dict(zip(_COLUMNS, row, strict=False)))


def _fail(count, head_seq, head_mac, bad, problem) -> VerifyResult:
    return VerifyResult(False, count, head_seq, head_mac, bad, problem)


def _pinned_checkpoints(cps: list, public_key) -> tuple[dict[int, list[dict]], int, str | None]:
    """({seq: checkpoints}, the highest seq pinned, a problem): each signature is
    checked before a checkpoint is used as evidence."""
    pinned: dict[int, list[dict]] = {}
    last_pinned = 0
    if cps and public_key is None:
        return pinned, 0, "Checkpoints were given but no public key to check their signatures."
    for cp in cps:
        if not verify_checkpoint(cp, public_key):
            seq = cp.get("seq") if isinstance(cp, dict) else None
            where = f"at seq {seq}" if isinstance(seq, int) else "(unreadable)"
            return pinned, 0, f"The checkpoint {where} has an invalid signature."
        if cp["seq"] > 0:
            pinned.setdefault(cp["seq"], []).append(cp)
            last_pinned = max(last_pinned, cp["seq"])
    return pinned, last_pinned, None


def _cut_problem(head_seq: int | None, last_pinned: int) -> str:
    if head_seq is None:
        return (f"The log is empty but a checkpoint shows it reached seq {last_pinned}: "
                "it was cut off.")
    return (f"The log ends at seq {head_seq} but a checkpoint shows it reached seq "
            f"{last_pinned}: the tail was cut off.")


def _link_problem(seq: int) -> str:
    if seq == 1:
        return "Entry 1 does not start from the genesis value (prev_mac)."
    return f"Entry {seq} does not link to entry {seq - 1} (prev_mac mismatch)."


def _canonical_of(row: Sequence[Any], fast) -> bytes:
    try:
        return fast(row)
    except TypeError:
        return _slow_canonical(row)


def _pin_problem(pins: list[dict], stored: str, seq: int, good_pin: int) -> str | None:
    for cp in pins:
        if cp["head_mac"] != stored:
            return (f"Entry {seq} does not match the checkpoint signed at {cp['at']}: the log "
                    f"was rewritten somewhere in entries {good_pin + 1} to {seq}.")
    return None


def verify_chain(
    connection: Connection,
    key: bytes,
    *,
    checkpoints: Iterable[dict] = (),
    public_key=None,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Check every entry's link and MAC in seq order, and every checkpoint.

    Stops at the first problem. ``public_key`` is the Ed25519 public key the
    checkpoints were signed with; it is required whenever checkpoints are
    given. ``progress(count)`` is told the entries checked after each batch.
    """
    _check_key(key)
    key = bytes(key)

    # -- checkpoints first: a forged one must not be used as evidence -------
    pinned, last_pinned, problem = _pinned_checkpoints(list(checkpoints), public_key)
    if problem is not None:
        return _fail(0, None, None, None, problem)

    # -- the walk -------------------------------------------------------------
    digest = hmac.digest
    sha256 = hashlib.sha256
    compare = hmac.compare_digest
    fast = _fast_canonical
    count = 0
    expected_seq = 1
    prev_hex = GENESIS_MAC
    prev_bytes = bytes(32)
    head_seq: int | None = None
    head_mac: str | None = None
    good_pin = 0  # highest checkpoint seq the walk has confirmed

    for rows in iter_pages(connection, batch):
        for row in rows:
            seq = row[_I_SEQ]
            if seq != expected_seq:
                return _fail(count, head_seq, head_mac, expected_seq,
                             _gap_problem(expected_seq, seq))
            if row[_I_PREV] != prev_hex:
                return _fail(count, head_seq, head_mac, seq, _link_problem(seq))
            try:
                body = _canonical_of(row, fast)
            except (TypeError, ValueError):
                return _fail(count, head_seq, head_mac, seq,
                             f"Entry {seq} holds a value the writer cannot have written.")
            mac = digest(key, prev_bytes + body, sha256)
            stored = row[_I_MAC]
            if not (type(stored) is str and stored.isascii()
                    and compare(mac.hex(), stored)):
                return _fail(count, head_seq, head_mac, seq,
                             f"Entry {seq} has been altered (MAC mismatch).")
            if seq in pinned:
                problem = _pin_problem(pinned[seq], stored, seq, good_pin)
                if problem is not None:
                    return _fail(count, head_seq, head_mac, seq, problem)
                good_pin = seq
            count += 1
            expected_seq = seq + 1
            prev_hex = stored
            prev_bytes = mac
            head_seq = seq
            head_mac = stored
        if progress is not None:
            progress(count)

    if last_pinned > (head_seq or 0):
        return _fail(count, head_seq, head_mac, (head_seq or 0) + 1,
                     _cut_problem(head_seq, last_pinned))

    return VerifyResult(True, count, head_seq, head_mac, None, None)


def _gap_problem(expected: int, found: int) -> str:
    if expected == 1:
        missing = "entry 1 is" if found == 2 else f"entries 1 to {found - 1} are"
        return f"The log starts at seq {found}: {missing} missing (the start was cut off)."
    if found == expected + 1:
        return f"Entry {expected} is missing (deleted)."
    if found < expected:  # cannot happen with a primary key; say so if it does
        return f"Entry {found} appears out of order after entry {expected - 1}."
    return f"Entries {expected} to {found - 1} are missing (deleted)."


_ONE = select(*_select_columns()).where(audit_entries.c.seq == bindparam("seq"))
_MAC_AT = select(audit_entries.c.mac).where(audit_entries.c.seq == bindparam("seq"))


def entry_is_authentic(connection: Connection, key: bytes, seq: int) -> bool:
    """Entry ``seq`` carries the MAC only the key holder can make, chained to
    the entry before it: a row inserted or edited by a database writer fails.

    For decisions taken on a logged fact (a break-glass access is valid only
    if its own entry is genuine), without walking the whole chain.
    """
    row = connection.execute(_ONE, {"seq": seq}).first()
    if row is None:
        return False
    prev = GENESIS_MAC if seq == 1 else connection.execute(_MAC_AT, {"seq": seq - 1}).scalar()
    return _authentic(key, row, prev)


def _authentic(key: bytes, row: Sequence[Any], prev: str | None) -> bool:
    """``row`` (columns as in ``_COLUMNS``) is chained to ``prev``, the stored
    MAC of the entry before it, and carries the MAC of its own content."""
    if prev is None or row[_I_PREV] != prev:
        return False
    try:
        expected = hmac.digest(key, bytes.fromhex(prev) + _slow_canonical(row),
                               hashlib.sha256).hex()
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, row[_I_MAC] or "")


_PREV = audit_entries.alias("prev_entry")
_OF_OBJECT = (
    select(*_select_columns(), _PREV.c.mac.label("prev_stored_mac"))
    .select_from(audit_entries.outerjoin(_PREV, _PREV.c.seq == audit_entries.c.seq - 1))
    .where(audit_entries.c.action == bindparam("action"),
           audit_entries.c.object_id == bindparam("object_id"))
    .order_by(audit_entries.c.seq.desc())
)


@dataclass(frozen=True)
class ObjectEntry:
    """One entry about an object, and whether it is genuine (see :func:`entry_is_authentic`)."""

    seq: int
    details: str | None
    authentic: bool


def entries_of_object(connection: Connection, key: bytes, action: str,
                      object_id: str) -> Iterator[ObjectEntry]:
    """The entries of ``action`` about ``object_id``, newest first, each with
    :func:`entry_is_authentic`'s answer, read in one statement (the entry and
    the stored MAC of the one before it come together). Rows are fetched as
    the caller iterates: a caller that stops at the newest reads one."""
    result = connection.execute(_OF_OBJECT, {"action": action, "object_id": object_id})
    try:
        for row in result:
            seq = row[_I_SEQ]
            prev = GENESIS_MAC if seq == 1 else row[len(_COLUMNS)]
            yield ObjectEntry(seq, row[_COLUMNS.index("details")],
                              _authentic(key, row[:len(_COLUMNS)], prev))
    finally:
        result.close()
