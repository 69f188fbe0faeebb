"""The stored format (canonical bytes, MAC, details rules) without a database.

The canonical encoding is what every stored MAC depends on, so it is pinned
with a known-answer vector (cross-checked with ``openssl dgst -mac HMAC``) and
the verifier's fast encoder is checked against it on generated rows."""
from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import MAX_DETAILS_BYTES, canonical, compute_mac, drop_sql, install_sql
from audit.verify import _COLUMNS, _fast_canonical, _slow_canonical
from audit.writer import FIELDS, GENESIS_MAC, canonical_details
from tests.conftest import examples

KEY = bytes(range(32))

VECTOR_FIELDS = {
    "seq": 1,
    "occurred_at": datetime(2026, 1, 31, 8, 5, 0, tzinfo=UTC),
    "actor_type": "user",
    "actor_id": "17",
    "actor_role": "officer",
    "session_hash": "ab" * 16,
    "client_addr": "2001:db8::1",
    "action": "case.view",
    "object_type": "case",
    "object_id": "VN-2026-000001",
    "outcome": "ok",
    "request_id": "r-1",
    "unit_path": "/1/7/",
    "details": {"lý_do": "xem hồ sơ", "n": 3, "ok": True, "x": None, "l": [1.5, "a"]},
}
VECTOR_CANONICAL = (
    '{"action":"case.view","actor_id":"17","actor_role":"officer","actor_type":"user",'
    '"client_addr":"2001:db8::1","details":"{\\"l\\":[1.5,\\"a\\"],\\"lý_do\\":'
    '\\"xem hồ sơ\\",\\"n\\":3,\\"ok\\":true,\\"x\\":null}","object_id":"VN-2026-000001",'
    '"object_type":"case","occurred_at":"2026-01-31T08:05:00.000000Z","outcome":"ok",'
    '"request_id":"r-1","seq":1,"session_hash":"abababababababababababababababab",'
    '"unit_path":"/1/7/"}'
).encode()
VECTOR_MAC = "87f1344195f58668ffb906f065639ce053e53885ff25bf6ff21674d7335036e1"


def test_known_answer():
    assert canonical(VECTOR_FIELDS) == VECTOR_CANONICAL
    assert compute_mac(KEY, GENESIS_MAC, VECTOR_FIELDS) == VECTOR_MAC


def test_canonical_ignores_chain_fields_and_key_order():
    shuffled = dict(reversed(list(VECTOR_FIELDS.items())))
    shuffled.update(mac="ff" * 32, prev_mac="ee" * 32)
    assert canonical(shuffled) == VECTOR_CANONICAL


def test_canonical_accepts_stored_forms():
    stored = dict(VECTOR_FIELDS)
    stored["details"] = canonical_details(VECTOR_FIELDS["details"])
    stored["occurred_at"] = "2026-01-31 08:05:00.000000"  # SQLite's text, UTC
    assert canonical(stored) == VECTOR_CANONICAL
    stored["occurred_at"] = datetime(2026, 1, 31, 15, 5, tzinfo=timezone(timedelta(hours=7)))
    assert canonical(stored) == VECTOR_CANONICAL


def test_canonical_requires_exactly_the_schema_fields():
    missing = dict(VECTOR_FIELDS)
    del missing["unit_path"]
    with pytest.raises(ValueError, match="unit_path"):
        canonical(missing)
    with pytest.raises(ValueError, match="child_name"):
        canonical({**VECTOR_FIELDS, "child_name": "x"})


def test_every_field_changes_the_mac():
    base = compute_mac(KEY, GENESIS_MAC, VECTOR_FIELDS)
    for name in FIELDS:
        changed = dict(VECTOR_FIELDS)
        value = changed[name]
        if name == "seq":
            changed[name] = 2
        elif name == "occurred_at":
            changed[name] = value + timedelta(microseconds=1)
        elif name == "details":
            changed[name] = {**value, "n": 4}
        else:
            changed[name] = value + "x"
        assert compute_mac(KEY, GENESIS_MAC, changed) != base, name
    assert compute_mac(KEY, "11" * 32, VECTOR_FIELDS) != base


# -- details ----------------------------------------------------------------

@pytest.mark.parametrize(
    "details",
    [
        {"nested": {"a": 1}},
        {"rows": [{"a": 1}]},
        {"rows": [[1, 2]]},
        {1: "int key"},
        {"b": b"bytes"},
        {"d": datetime(2026, 1, 1)},
        {"s": {1, 2}},
        {"t": (1, 2)},
        {"nan": math.nan},
        {"inf": [math.inf]},
        ["not", "a", "dict"],
        "a string",
    ],
)
def test_details_must_be_flat_and_scalar(details):
    with pytest.raises(ValueError):
        canonical_details(details)


def test_details_size_limit():
    at_limit = {"x": "a" * (MAX_DETAILS_BYTES - len('{"x":""}'))}
    assert len(canonical_details(at_limit).encode()) == MAX_DETAILS_BYTES
    with pytest.raises(ValueError, match="2048"):
        canonical_details({"x": "a" * MAX_DETAILS_BYTES})
    # the limit is in bytes, not characters
    with pytest.raises(ValueError):
        canonical_details({"x": "ệ" * 700})


def test_details_canonical_form():
    assert canonical_details(None) == "{}"
    text = canonical_details({"b": [1, None, True, 2.5], "a": "Đoàn"})
    assert text == '{"a":"Đoàn","b":[1,null,true,2.5]}'
    assert json.loads(text) == {"a": "Đoàn", "b": [1, None, True, 2.5]}


# -- the verifier's fast encoder is the canonical encoder ---------------------

_text = st.text(st.characters(codec="utf-8"), max_size=20)
_opt = st.none() | _text
_scalar = st.none() | st.booleans() | st.integers() | _text | st.floats(allow_nan=False,
                                                                         allow_infinity=False)
_details = st.dictionaries(_text, _scalar | st.lists(_scalar, max_size=3), max_size=4)
_when = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))


@settings(max_examples=examples(100, 500), deadline=None)
@given(
    seq=st.integers(min_value=1, max_value=2**63 - 1),
    when=_when,
    as_text=st.booleans(),
    aware_offset=st.none() | st.integers(min_value=-14 * 60, max_value=14 * 60),
    strings=st.tuples(_text, _text, _text, *[_opt] * 9),
    details=_details,
)
def test_fast_encoder_matches_canonical(seq, when, as_text, aware_offset, strings, details):
    (action, actor_type, outcome, actor_id, actor_role, session_hash, client_addr,
     object_type, object_id, request_id, unit_path, _) = strings
    if as_text:  # SQLite hands back SQLAlchemy's storage format
        occurred = (f"{when.year:04d}-{when.month:02d}-{when.day:02d} "
                    f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}.{when.microsecond:06d}")
    elif aware_offset is not None:  # PostgreSQL: aware, in the session's zone
        zone = timezone(timedelta(minutes=aware_offset))
        try:
            occurred = when.replace(tzinfo=UTC).astimezone(zone)
        except OverflowError:
            occurred = when
    else:
        occurred = when
    fields = {
        "seq": seq, "occurred_at": occurred, "actor_type": actor_type, "actor_id": actor_id,
        "actor_role": actor_role, "session_hash": session_hash, "client_addr": client_addr,
        "action": action, "object_type": object_type, "object_id": object_id, "outcome": outcome,
        "request_id": request_id, "unit_path": unit_path, "details": canonical_details(details),
    }
    row = tuple(fields.get(c, "00" * 32) for c in _COLUMNS)
    expected = canonical({**fields, "occurred_at": when.replace(tzinfo=UTC)})
    assert _fast_canonical(row) == expected
    assert _slow_canonical(row) == expected


# -- triggers ---------------------------------------------------------------

def test_triggers_for_unknown_dialect():
    with pytest.raises(ValueError, match="mysql"):
        install_sql("mysql")
    with pytest.raises(ValueError):
        drop_sql("oracle")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_trigger_sql_is_safe_for_alembic(dialect):
    # op.execute wraps strings in text(): a colon would become a bind parameter
    for stmt in install_sql(dialect) + drop_sql(dialect):
        assert ":" not in stmt and "%" not in stmt
    assert install_sql(dialect) is not install_sql(dialect)  # callers may mutate
