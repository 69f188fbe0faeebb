"""Signed checkpoints: the file, the signatures, and the cut-off tail that only
they can reveal."""
from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from audit import (
    GENESIS_MAC,
    append_checkpoint_file,
    make_checkpoint,
    read_checkpoints,
    should_checkpoint,
    verify_chain,
    verify_checkpoint,
)

SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = SIGNING_KEY.public_key()
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def checkpoint(engine):
    with engine.connect() as conn:
        return make_checkpoint(conn, SIGNING_KEY)


def verify(engine, key, cps, public_key=PUBLIC_KEY, **kw):
    with engine.connect() as conn:
        return verify_chain(conn, key, checkpoints=cps, public_key=public_key, **kw)


# -- making and checking ------------------------------------------------------

def test_checkpoint_signs_the_head(engine, key, fill):
    fill(engine, 5)
    cp = checkpoint(engine)
    assert cp["seq"] == 5
    assert set(cp) == {"seq", "head_mac", "at", "sig"}
    assert cp["at"].endswith("Z")
    assert verify_checkpoint(cp, PUBLIC_KEY)
    assert not verify_checkpoint(cp, OTHER_KEY.public_key())
    result = verify(engine, key, [cp])
    assert result.ok and result.head_mac == cp["head_mac"]


def test_checkpoint_of_an_empty_log(engine, key):
    cp = checkpoint(engine)
    assert (cp["seq"], cp["head_mac"]) == (0, GENESIS_MAC)
    assert verify_checkpoint(cp, PUBLIC_KEY)
    assert verify(engine, key, [cp]).ok


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 5},
        {"head_mac": "0" * 64},
        {"at": "2030-01-01T00:00:00.000000Z"},
        {"sig": "00" * 64},
        {"sig": "zz"},
        {"sig": None},
        {"seq": True},
        {"seq": "5"},
        {"head_mac": "AB" * 32},
    ],
)
def test_altered_checkpoint_fails_its_signature(engine, key, fill, change):
    fill(engine, 6)
    cp = {**checkpoint(engine), **change}
    assert not verify_checkpoint(cp, PUBLIC_KEY)
    result = verify(engine, key, [cp])
    assert not result.ok
    assert "invalid signature" in result.problem
    assert result.first_bad_seq is None


@pytest.mark.parametrize("missing", ["sig", "seq", "head_mac", "at"])
def test_checkpoint_missing_a_field(engine, key, fill, missing):
    fill(engine, 3)
    cp = checkpoint(engine)
    del cp[missing]
    result = verify(engine, key, [cp])
    assert not result.ok and "invalid signature" in result.problem


def test_forged_checkpoint_signed_with_another_key(engine, key, fill):
    fill(engine, 4)
    with engine.connect() as conn:
        forged = make_checkpoint(conn, OTHER_KEY)
    result = verify(engine, key, [checkpoint(engine), forged])
    assert not result.ok
    assert result.problem == "The checkpoint at seq 4 has an invalid signature."


def test_checkpoints_without_a_public_key_fail_closed(engine, key, fill):
    fill(engine, 2)
    result = verify(engine, key, [checkpoint(engine)], public_key=None)
    assert not result.ok
    assert "no public key" in result.problem
    # and with no checkpoints, no key is needed
    assert verify(engine, key, [], public_key=None).ok


# -- the cut-off tail ---------------------------------------------------------

def test_cut_tail_is_only_visible_with_a_checkpoint(engine, key, fill, attacker):
    fill(engine, 20)
    cp = checkpoint(engine)
    with attacker(engine) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq > 15"))
    # the remaining log is a perfectly good chain on its own ...
    alone = verify(engine, key, [])
    assert alone.ok and alone.head_seq == 15
    # ... which the signed checkpoint contradicts
    result = verify(engine, key, [cp], batch=7)
    assert not result.ok
    assert result.first_bad_seq == 16
    assert result.problem == ("The log ends at seq 15 but a checkpoint shows it reached seq 20: "
                              "the tail was cut off.")
    assert result.count == 15 and result.head_seq == 15


def test_cut_to_nothing(engine, key, fill, attacker):
    fill(engine, 3)
    cp = checkpoint(engine)
    with attacker(engine) as conn:
        conn.execute(text("DELETE FROM audit_entries"))
    result = verify(engine, key, [cp])
    assert not result.ok and result.first_bad_seq == 1
    assert "empty" in result.problem


def test_cut_tail_then_written_over(engine, key, fill, attacker):
    """The tail is cut and the app (holding the HMAC key) carries on writing:
    the chain is valid again, but the entry at the checkpoint's seq is not the
    one that was signed."""
    fill(engine, 10)
    early = checkpoint(engine)
    fill(engine, 10, start=10)
    cp = checkpoint(engine)
    with attacker(engine) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq > 15"))
    fill(engine, 7, start=100)  # seq 16..22, properly chained
    assert verify(engine, key, []).ok
    result = verify(engine, key, [early, cp])
    assert not result.ok
    assert result.first_bad_seq == 20
    assert result.problem.startswith(f"Entry 20 does not match the checkpoint signed at {cp['at']}")
    assert result.problem.endswith("rewritten somewhere in entries 11 to 20.")


def test_checkpoints_in_any_order_and_repeated(engine, key, fill):
    cps = []
    for _ in range(4):
        fill(engine, 3)
        cps.append(checkpoint(engine))
    result = verify(engine, key, list(reversed(cps)) + cps[:2], batch=2)
    assert result.ok and result.count == 12


# -- the file -----------------------------------------------------------------

def test_checkpoint_file_round_trip(engine, key, fill, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    fill(engine, 3)
    first = checkpoint(engine)
    append_checkpoint_file(path, first)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    fill(engine, 2)
    second = checkpoint(engine)
    append_checkpoint_file(str(path), second)
    assert list(read_checkpoints(path)) == [first, second]
    assert path.read_text().count("\n") == 2
    assert verify(engine, key, read_checkpoints(path)).ok


def test_checkpoint_file_keeps_existing_mode(tmp_path):
    path = tmp_path / "cp.jsonl"
    path.write_text("")
    os.chmod(path, 0o640)
    append_checkpoint_file(path, {"seq": 0})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_reading_a_damaged_checkpoint_file(tmp_path):
    path = tmp_path / "cp.jsonl"
    path.write_text('{"seq": 1}\n\n{"seq": 2, "trunc\n')
    reader = read_checkpoints(path)
    assert next(reader) == {"seq": 1}
    with pytest.raises(ValueError, match="line 3"):
        next(reader)
    with pytest.raises(FileNotFoundError):
        list(read_checkpoints(tmp_path / "absent.jsonl"))


# -- when to make one ---------------------------------------------------------

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "last_seq, last_at, head, expected",
    [
        (None, None, None, False),          # empty log
        (None, None, 1, True),              # never checkpointed
        (10, NOW - timedelta(minutes=5), 10, False),   # nothing new
        (10, NOW - timedelta(days=3), 10, False),      # nothing new, however old
        (10, NOW - timedelta(minutes=5), 11, False),   # a little new, recent
        (10, NOW - timedelta(minutes=5), 110, True),   # enough entries
        (10, NOW - timedelta(minutes=60), 11, True),   # old enough
        (10, NOW - timedelta(minutes=5), 9, False),    # log behind: verifier's business
    ],
)
def test_should_checkpoint(last_seq, last_at, head, expected):
    assert should_checkpoint(last_seq, last_at, head, NOW, 100, 60) is expected


def test_should_checkpoint_limits_can_be_disabled():
    old = NOW - timedelta(days=1)
    assert not should_checkpoint(1, old, 1000, NOW, None, None)
    assert should_checkpoint(1, old, 1000, NOW, 0, 60)
    assert should_checkpoint(1, NOW, 1000, NOW, 100, 0)
