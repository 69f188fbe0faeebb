"""Write audit entries as links of one keyed hash chain.

Why it is built this way:

* Each entry's MAC covers the previous entry's MAC and a canonical encoding of
  every field (``seq`` included), so editing, removing, reordering or
  inserting any entry breaks the chain at a point the verifier can name, and
  nobody without the key can forge a replacement.
* :func:`append` runs inside the caller's transaction: the entry commits or
  rolls back together with the change it records, so the log never claims a
  change that did not happen nor misses one that did.
* The chain must stay one line under concurrent writers. On PostgreSQL a
  transaction-scoped advisory lock serialises appenders; on SQLite the app
  opens every transaction with ``BEGIN IMMEDIATE``, which already does. Either
  way ``seq`` is the primary key, so a misconfigured writer fails loudly with
  a duplicate key rather than forking the chain.
* ``details`` is validated hard (flat, scalar, at most 2 KB): the log must not
  become a second, unencrypted copy of case records.
* The canonical encoding is a stored format: changing it invalidates every
  existing MAC. ``tests/audit`` pins it with a known-answer vector.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from .models import ACTOR_TYPES, OUTCOMES, audit_entries

GENESIS_MAC = "0" * 64
MAX_DETAILS_BYTES = 2048
MIN_KEY_BYTES = 32

# int.from_bytes(b"caseaudt", "big"): any fixed value works as long as nothing
# else in the database uses it; spelling it out keeps it greppable.
PG_ADVISORY_LOCK_KEY = 0x6361736561756474

#: Every field the MAC covers, in column order (the encoding sorts them).
FIELDS = (
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_role",
    "session_hash",
    "client_addr",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "unit_path",
    "details",
)
_FIELD_SET = frozenset(FIELDS)
_CHAIN_FIELDS = frozenset(("mac", "prev_mac"))

_MAX_LEN = {
    name: audit_entries.c[name].type.length
    for name in FIELDS
    if getattr(audit_entries.c[name].type, "length", None)
}
_HEX = frozenset("0123456789abcdef")


def _check_key(key: bytes) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the audit HMAC key must be at least {MIN_KEY_BYTES} bytes")


def format_timestamp(value: datetime | str) -> str:
    """ISO-8601 in UTC with microseconds and a "Z", e.g.
    ``2026-01-31T08:05:00.000000Z``. Naive datetimes (and naive strings, as
    SQLite hands them back) are taken to be UTC already.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"occurred_at must be a datetime, not {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _dumps(obj: Any) -> str:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Validate ``details`` and return the JSON text stored in the row.

    Allowed: a dict of str keys to str/int/float/bool/None or to lists of
    those; at most 2 KB once encoded. Anything else is a ValueError.
    """
    if details is None:
        return "{}"
    if not isinstance(details, dict):
        raise ValueError("details must be a dict")  # noqa: TRY004 - contract: ValueError
    for k, v in details.items():
        if not isinstance(k, str):
            raise ValueError("details keys must be strings")  # noqa: TRY004
        if isinstance(v, list):
            for item in v:
                _check_scalar(k, item)
        else:
            _check_scalar(k, v)
    try:
        encoded = _dumps(details)
        size = len(encoded.encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"details cannot be encoded: {exc}") from None
    if size > MAX_DETAILS_BYTES:
        raise ValueError(
            f"details are {size} bytes once encoded; the limit is {MAX_DETAILS_BYTES}"
        )
    return encoded


def _check_scalar(key: str, v: Any) -> None:
    if v is None or isinstance(v, (str, int)):  # bool is an int
        return
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"details[{key!r}] is not a finite number")
        return
    raise ValueError(
        f"details[{key!r}] must be a string, number, boolean, null or a list of those, "
        f"not {type(v).__name__}"
    )


def canonical(entry_fields: Mapping[str, Any]) -> bytes:
    """The exact bytes the MAC covers: sorted-key compact JSON (UTF-8, non-ASCII
    kept) of every field but ``mac``/``prev_mac``.

    ``occurred_at`` may be a datetime or an ISO string; ``details`` may be the
    dict or its stored JSON text (a dict is encoded as :func:`canonical_details`
    would, so both give the same bytes).
    """
    names = set(entry_fields) - _CHAIN_FIELDS
    if names != _FIELD_SET:
        missing = sorted(_FIELD_SET - names)
        extra = sorted(names - _FIELD_SET)
        raise ValueError(f"entry fields do not match the audit schema: missing {missing}, "
                         f"unexpected {extra}")
    doc = dict(entry_fields)
    doc.pop("mac", None)
    doc.pop("prev_mac", None)
    doc["occurred_at"] = format_timestamp(doc["occurred_at"])
    if isinstance(doc["details"], dict):
        doc["details"] = _dumps(doc["details"])
    return _dumps(doc).encode("utf-8")


def compute_mac(key: bytes, prev_mac_hex: str, entry_fields: Mapping[str, Any]) -> str:
    """hex HMAC-SHA256(key, bytes.fromhex(prev_mac) || canonical(entry))."""
    return hmac.digest(
        key, bytes.fromhex(prev_mac_hex) + canonical(entry_fields), hashlib.sha256
    ).hex()


def _check_str(name: str, value: Any, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")  # noqa: TRY004
    if required and not value:
        raise ValueError(f"{name} must not be empty")
    limit = _MAX_LEN.get(name)
    if limit is not None and len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL character")


# Built once: constructing Core statements per call costs more than running them.
_HEAD = (
    select(audit_entries.c.seq, audit_entries.c.mac)
    .order_by(audit_entries.c.seq.desc())
    .limit(1)
)
_INSERT = audit_entries.insert()
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=PG_ADVISORY_LOCK_KEY)


def _read_head(connection: Connection) -> tuple[int, str]:
    row = connection.execute(_HEAD).first()
    if row is None:
        return 0, GENESIS_MAC
    return int(row[0]), row[1]


def append(
    connection: Connection,
    key: bytes,
    *,
    action: str,
    outcome: str = "ok",
    actor_type: str = "system",
    actor_id: str | None = None,
    actor_role: str | None = None,
    session_hash: str | None = None,
    client_addr: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    request_id: str | None = None,
    unit_path: str | None = None,
    details: dict | None = None,
    occurred_at: datetime | None = None,
) -> int:
    """Append one entry inside the caller's open transaction; return its seq.

    Never begins, commits or rolls back. Raises ValueError for bad input and
    RuntimeError when called outside a transaction.
    """
    _check_key(key)
    if not connection.in_transaction():
        raise RuntimeError(
            "audit.append must run inside the caller's transaction "
            "(begin it first, so the entry commits with the change it records)"
        )
    _check_str("action", action, required=True)
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    if actor_type not in ACTOR_TYPES:
        raise ValueError(f"actor_type must be one of {ACTOR_TYPES}")
    # Ids often come straight from integer primary keys; store them as the
    # strings the columns hold, so the MAC covers what the database returns.
    if type(actor_id) is int:
        actor_id = str(actor_id)
    if type(object_id) is int:
        object_id = str(object_id)
    for name, value in (
        ("actor_id", actor_id),
        ("actor_role", actor_role),
        ("session_hash", session_hash),
        ("client_addr", client_addr),
        ("object_type", object_type),
        ("object_id", object_id),
        ("request_id", request_id),
        ("unit_path", unit_path),
    ):
        _check_str(name, value)
    if session_hash is not None and not (session_hash and set(session_hash) <= _HEX):
        raise ValueError("session_hash must be a lowercase hex digest, never a raw session id")
    details_text = canonical_details(details)
    if occurred_at is None:
        occurred_at = datetime.now(UTC)
    elif not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be a timezone-aware datetime")
    else:
        occurred_at = occurred_at.astimezone(UTC)

    if connection.dialect.name == "postgresql":
        connection.execute(_PG_LOCK)
    head_seq, head_mac = _read_head(connection)

    row = {
        "seq": head_seq + 1,
        "occurred_at": occurred_at,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "session_hash": session_hash,
        "client_addr": client_addr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "request_id": request_id,
        "unit_path": unit_path,
        "details": details_text,
    }
    row["prev_mac"] = head_mac
    row["mac"] = hmac.digest(
        key, bytes.fromhex(head_mac) + canonical(row), hashlib.sha256
    ).hex()
    connection.execute(_INSERT, row)
    return row["seq"]
