"""Tampering as someone with write access to the database would do it: drop the
triggers, then edit, delete, reorder or insert rows with SQL. The verifier must
fail at the right entry and say what it found. (A cut-off tail needs signed
checkpoints; see test_audit_checkpoint.py.)"""
from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import event, select, text, update

from audit import GENESIS_MAC, audit_entries, canonical, compute_mac, verify_chain

N = 20
ATTACKER_KEY = b"\xaa" * 32  # not the app's key


def verify(engine, key, **kw):
    with engine.connect() as conn:
        return verify_chain(conn, key, **kw)


def row(conn, seq):
    return conn.execute(select(audit_entries).where(audit_entries.c.seq == seq)).one()._asdict()


def renumber(conn, at_or_above, delta):
    """Shift seq of every row >= at_or_above by delta, in two steps so the
    primary key never collides halfway."""
    conn.execute(text("UPDATE audit_entries SET seq = seq + 1000000 WHERE seq >= :s"),
                 {"s": at_or_above})
    conn.execute(text("UPDATE audit_entries SET seq = seq - 1000000 + :d WHERE seq >= 1000000"),
                 {"d": delta})


@pytest.fixture
def chain(engine, key, fill):
    fill(engine, N)
    assert verify(engine, key).ok
    return engine


def assert_caught(engine, key, seq, *words, batch=5000):
    result = verify(engine, key, batch=batch)
    assert not result.ok
    assert result.first_bad_seq == seq, result.problem
    for w in words:
        assert w in result.problem, result.problem
    return result


# -- edited entries ---------------------------------------------------------

@pytest.mark.parametrize(
    "column, value",
    [
        ("object_id", "VN-2026-999999"),
        ("actor_id", None),
        ("outcome", "ok"),  # entry 9 was recorded as "failed"
        ("details", '{"i":8,"stage":"closure"}'),
        ("unit_path", "/1/"),
        ("action", "case.export"),
        ("occurred_at", "2020-01-01 00:00:00"),
        ("session_hash", "0" * 64),
    ],
)
def test_edited_entry(chain, key, attacker, column, value):
    with attacker(chain) as conn:
        conn.execute(text(f"UPDATE audit_entries SET {column} = :v WHERE seq = 9"), {"v": value})
    result = assert_caught(chain, key, 9, "Entry 9", "altered")
    assert result.count == 8 and result.head_seq == 8


@pytest.mark.parametrize("seq", [1, N])
def test_edited_first_and_last_entries(chain, key, attacker, seq):
    with attacker(chain) as conn:
        conn.execute(text("UPDATE audit_entries SET request_id = 'x' WHERE seq = :s"), {"s": seq})
    assert_caught(chain, key, seq, f"Entry {seq}", "altered")


def test_edited_entry_with_a_mac_recomputed_without_the_key(chain, key, attacker):
    with attacker(chain) as conn:
        r = row(conn, 9)
        r["object_id"] = "VN-2026-999999"
        forged = compute_mac(ATTACKER_KEY, r["prev_mac"], r)
        conn.execute(update(audit_entries).where(audit_entries.c.seq == 9)
                     .values(object_id=r["object_id"], mac=forged))
    assert_caught(chain, key, 9, "Entry 9", "altered")


# -- deleted entries --------------------------------------------------------

def test_deleted_entry(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 9"))
    result = assert_caught(chain, key, 9, "Entry 9 is missing")
    assert result.count == 8


def test_deleted_range(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq BETWEEN 9 AND 11"))
    assert_caught(chain, key, 9, "Entries 9 to 11 are missing")


def test_deleted_entry_with_the_rest_renumbered(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 9"))
        renumber(conn, 10, -1)
    assert_caught(chain, key, 9, "Entry 9 does not link to entry 8")


def test_cut_off_start(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq <= 3"))
    result = assert_caught(chain, key, 1, "starts at seq 4", "entries 1 to 3", "cut off")
    assert result.count == 0 and result.head_seq is None


def test_cut_off_start_renumbered_from_one(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq <= 3"))
        renumber(conn, 4, -3)
    assert_caught(chain, key, 1, "Entry 1 does not start from the genesis value")


def test_first_entry_relinked_away_from_genesis(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("UPDATE audit_entries SET prev_mac = :m WHERE seq = 1"),
                     {"m": "ab" * 32})
    assert_caught(chain, key, 1, "genesis")


# -- swapped entries --------------------------------------------------------

def _swap(conn, a, b, columns):
    ra, rb = row(conn, a), row(conn, b)
    conn.execute(update(audit_entries).where(audit_entries.c.seq == a)
                 .values({c: rb[c] for c in columns}))
    conn.execute(update(audit_entries).where(audit_entries.c.seq == b)
                 .values({c: ra[c] for c in columns}))


ALL_BUT_SEQ = [c.name for c in audit_entries.c if c.name != "seq"]
CONTENT = [c for c in ALL_BUT_SEQ if c not in ("mac", "prev_mac")]


def test_swapped_entries_seq_kept_everything_else_swapped(chain, key, attacker):
    with attacker(chain) as conn:
        _swap(conn, 6, 13, ALL_BUT_SEQ)
    assert_caught(chain, key, 6, "Entry 6")


def test_swapped_entries_content_only(chain, key, attacker):
    with attacker(chain) as conn:
        _swap(conn, 6, 13, CONTENT)
    assert_caught(chain, key, 6, "Entry 6", "altered")


def test_swapped_entries_with_their_seqs(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("UPDATE audit_entries SET seq = -6 WHERE seq = 6"))
        conn.execute(text("UPDATE audit_entries SET seq = 6 WHERE seq = 13"))
        conn.execute(text("UPDATE audit_entries SET seq = 13 WHERE seq = -6"))
    assert_caught(chain, key, 6, "Entry 6")


def test_swapped_neighbours(chain, key, attacker):
    with attacker(chain) as conn:
        _swap(conn, 10, 11, CONTENT)
    assert_caught(chain, key, 10, "Entry 10", "altered")


# -- inserted entries -------------------------------------------------------

def _forged(conn, seq, prev_mac, mac_key=ATTACKER_KEY):
    template = row(conn, 2)
    fields = {k: v for k, v in template.items() if k not in ("mac", "prev_mac")}
    fields.update(seq=seq, action="case.export", object_id="VN-2026-000777")
    fields["prev_mac"] = prev_mac
    fields["mac"] = compute_mac(mac_key, prev_mac, fields)
    return fields


def test_forged_entry_appended_at_the_head(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(audit_entries.insert(), _forged(conn, N + 1, row(conn, N)["mac"]))
    result = assert_caught(chain, key, N + 1, f"Entry {N + 1}", "altered")
    assert result.count == N and result.head_seq == N


def test_forged_entry_inserted_with_the_rest_renumbered(chain, key, attacker):
    with attacker(chain) as conn:
        prev = row(conn, 8)["mac"]
        renumber(conn, 9, +1)
        conn.execute(audit_entries.insert(), _forged(conn, 9, prev))
    assert_caught(chain, key, 9, "Entry 9", "altered")


def test_forged_entry_with_a_random_mac_relinks_the_next(chain, key, attacker):
    """Even a forgery that also rewrites the next entry's prev_mac to point at
    itself is caught at the forgery."""
    with attacker(chain) as conn:
        prev = row(conn, 8)["mac"]
        renumber(conn, 9, +1)
        forged = _forged(conn, 9, prev)
        conn.execute(audit_entries.insert(), forged)
        conn.execute(text("UPDATE audit_entries SET prev_mac = :m WHERE seq = 10"),
                     {"m": forged["mac"]})
    assert_caught(chain, key, 9, "Entry 9", "altered")


# -- streaming ----------------------------------------------------------------

@pytest.mark.parametrize("batch", [1, 7, N - 1, N, N + 1, 5000])
def test_streams_in_pages(chain, key, batch):
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM audit_entries" in statement:
            statements.append(statement)

    event.listen(chain, "before_cursor_execute", count)
    try:
        result = verify(chain, key, batch=batch)
    finally:
        event.remove(chain, "before_cursor_execute", count)
    assert result.ok and result.count == N and result.head_seq == N
    assert all("LIMIT" in s.upper() for s in statements)
    full_pages = N // batch
    # a short page ends the walk; an exactly full last page needs one empty read
    assert len(statements) == full_pages + 1


@pytest.mark.parametrize("bad", [7, 8, 14, 15])
def test_faults_on_page_boundaries(chain, key, attacker, bad):
    with attacker(chain) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": bad})
    assert_caught(chain, key, bad, f"Entry {bad} is missing", batch=7)


@pytest.mark.parametrize("bad", [7, 8, 14, 15])
def test_edits_on_page_boundaries(chain, key, attacker, bad):
    with attacker(chain) as conn:
        conn.execute(text("UPDATE audit_entries SET request_id = 'x' WHERE seq = :s"),
                     {"s": bad})
    assert_caught(chain, key, bad, f"Entry {bad}", "altered", batch=7)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # only SQLite allows it
def test_a_value_of_an_impossible_type_is_reported_not_raised(chain, key, attacker):
    with attacker(chain) as conn:
        conn.execute(text("UPDATE audit_entries SET occurred_at = 'yesterday', "
                          "details = x'00ff' WHERE seq = 5"))
    assert_caught(chain, key, 5, "Entry 5")


def test_mac_is_over_prev_and_canonical(chain, key):
    """The stored MAC is exactly HMAC(key, prev || canonical) -- an outside
    verifier can recompute it from the documented format alone."""
    with chain.connect() as conn:
        r = row(conn, 1)
    body = canonical({k: v for k, v in r.items()})
    assert r["prev_mac"] == GENESIS_MAC
    assert r["mac"] == hmac.new(key, bytes(32) + body, hashlib.sha256).hexdigest()
