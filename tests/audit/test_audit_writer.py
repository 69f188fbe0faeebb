"""The writer against real databases: the chain it builds, the transaction it
shares with the caller, the triggers that guard it, and concurrent writers."""
from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, exc, func, select, text

from audit import (
    GENESIS_MAC,
    append,
    audit_entries,
    compute_mac,
    in_unit_subtree,
    verify_chain,
)
from audit.writer import PG_ADVISORY_LOCK_KEY


def entries(eng):
    with eng.connect() as conn:
        return [r._asdict() for r in conn.execute(select(audit_entries).order_by("seq"))]


def test_round_trip(engine, key, fill):
    fill(engine, 12)
    with engine.connect() as conn:
        result = verify_chain(conn, key)
    rows = entries(engine)
    assert result.ok, result.problem
    assert result.count == 12
    assert result.head_seq == 12
    assert result.head_mac == rows[-1]["mac"]
    assert result.first_bad_seq is None and result.problem is None
    assert [r["seq"] for r in rows] == list(range(1, 13))
    assert rows[0]["prev_mac"] == GENESIS_MAC
    for prev, row in itertools.pairwise(rows):
        assert row["prev_mac"] == prev["mac"]


def test_empty_log_verifies(engine, key):
    with engine.connect() as conn:
        result = verify_chain(conn, key)
    assert result.ok and result.count == 0 and result.head_seq is None


def test_stored_row_matches_compute_mac(engine, key):
    at = datetime(2026, 3, 1, 15, 4, 5, 123456, tzinfo=timezone(timedelta(hours=7)))
    with engine.begin() as conn:
        seq = append(
            conn, key, action="case.transition", actor_type="user", actor_id="42",
            actor_role="supervisor", object_type="case", object_id="VN-2026-000001",
            unit_path="/1/7/", details={"from": "intake", "to": "assessment"},
            occurred_at=at,
        )
    assert seq == 1
    row = entries(engine)[0]
    assert row["details"] == '{"from":"intake","to":"assessment"}'
    assert row["occurred_at"].replace(tzinfo=None) == datetime(2026, 3, 1, 8, 4, 5, 123456)
    fields = {k: v for k, v in row.items() if k not in ("mac", "prev_mac")}
    fields["occurred_at"] = at  # the writer's own view: any zone, same instant
    assert compute_mac(key, GENESIS_MAC, fields) == row["mac"]


def test_wrong_key_is_caught_at_the_first_entry(engine, key, fill):
    fill(engine, 3)
    with engine.connect() as conn:
        result = verify_chain(conn, bytes(32))
    assert not result.ok
    assert result.first_bad_seq == 1
    assert "altered" in result.problem


def test_rollback_leaves_no_entry(engine, key, fill):
    meta = MetaData()
    cases = Table("demo_cases", meta, Column("id", Integer, primary_key=True),
                  Column("stage", String(16)))
    meta.create_all(engine)
    fill(engine, 2)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), engine.begin() as conn:
        conn.execute(cases.insert(), {"id": 1, "stage": "intake"})
        assert append(conn, key, action="case.create", object_id="VN-1") == 3
        raise Boom

    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 0
        assert conn.execute(select(func.max(audit_entries.c.seq))).scalar() == 2

    # the next entry takes the number the rolled-back one had: no gap
    with engine.begin() as conn:
        conn.execute(cases.insert(), {"id": 1, "stage": "intake"})
        assert append(conn, key, action="case.create", object_id="VN-1") == 3
    with engine.connect() as conn:
        result = verify_chain(conn, key)
    assert result.ok and result.count == 3
    meta.drop_all(engine)


def test_append_refuses_to_run_outside_a_transaction(engine, key):
    with engine.connect() as conn:
        with pytest.raises(RuntimeError, match="transaction"):
            append(conn, key, action="auth.login")
        assert not conn.in_transaction()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": ""},
        {"action": "x" * 65},
        {"action": "a", "outcome": "maybe"},
        {"action": "a", "actor_type": "robot"},
        {"action": "a", "object_id": "x" * 65},
        {"action": "a", "session_hash": "raw-session-Token"},
        {"action": "a", "actor_id": "bad\x00id"},
        {"action": "a", "actor_id": 7.5},
        {"action": "a", "actor_id": True},
        {"action": "a", "occurred_at": datetime(2026, 1, 1)},  # naive
        {"action": "a", "details": {"nested": {"x": 1}}},
    ],
)
def test_append_rejects_bad_input(engine, key, kwargs):
    with engine.begin() as conn, pytest.raises(ValueError):
        append(conn, key, **kwargs)
    assert entries(engine) == []


def test_integer_ids_are_stored_as_strings(engine, key):
    with engine.begin() as conn:
        append(conn, key, action="case.view", actor_type="user", actor_id=42,
               object_type="case", object_id=7)
    row = entries(engine)[0]
    assert (row["actor_id"], row["object_id"]) == ("42", "7")
    with engine.connect() as conn:
        assert verify_chain(conn, key).ok


def test_append_rejects_a_short_key(engine):
    with engine.begin() as conn, pytest.raises(ValueError, match="at least 32 bytes"):
        append(conn, b"short", action="auth.login")


INSERT_ROW = (
    "INSERT INTO audit_entries (seq, occurred_at, actor_type, action, outcome, details, "
    "prev_mac, mac) VALUES ({seq}, CURRENT_TIMESTAMP, 'system', 'x', 'ok', '{{}}', 'a', 'b')"
)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET outcome = 'ok' WHERE seq = 2",
        "UPDATE audit_entries SET details = '{}'",
        "DELETE FROM audit_entries WHERE seq = 3",
        "DELETE FROM audit_entries",
        INSERT_ROW.format(seq=2),
        INSERT_ROW.format(seq=9),
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all", "insert-existing-seq",
         "insert-past-head"],
)
def test_triggers_refuse_rewrites(engine, key, fill, statement):
    fill(engine, 4)
    before = entries(engine)
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert entries(engine) == before


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_sqlite_insert_or_replace_is_refused(engine, key, fill):
    fill(engine, 3)
    before = entries(engine)
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO audit_entries SELECT * FROM audit_entries WHERE seq = 2"
        )
    assert entries(engine) == before


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_postgresql_truncate_is_refused(engine, key, fill):
    fill(engine, 3)
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_entries"))
    assert len(entries(engine)) == 3


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_postgresql_takes_the_advisory_lock(engine, key):
    with engine.begin() as conn:
        append(conn, key, action="auth.login")
        held = conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                 "AND pid = pg_backend_pid() "
                 "AND ((classid::bigint << 32) | objid::bigint) = :k"),
            {"k": PG_ADVISORY_LOCK_KEY},
        ).scalar()
    assert held == 1


def test_concurrent_writers_keep_one_gapless_chain(engine, key):
    threads, per_thread = 8, 50
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    returned: list[int] = []
    lock = threading.Lock()

    def worker(t):
        try:
            barrier.wait()
            for i in range(per_thread):
                with engine.begin() as conn:
                    seq = append(conn, key, action="case.view", actor_type="user",
                                 actor_id=f"t{t}", details={"t": t, "i": i})
                with lock:
                    returned.append(seq)
        except Exception as e:  # noqa: BLE001 - reported below, not lost in the thread
            with lock:
                errors.append(e)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    total = threads * per_thread
    assert sorted(returned) == list(range(1, total + 1))
    rows = entries(engine)
    assert [r["seq"] for r in rows] == list(range(1, total + 1))
    assert len({r["prev_mac"] for r in rows}) == total  # no two entries share a parent
    for t in range(threads):
        mine = [r for r in rows if r["actor_id"] == f"t{t}"]
        assert [r["details"] for r in mine] == [
            f'{{"i":{i},"t":{t}}}' for i in range(per_thread)
        ]
    with engine.connect() as conn:
        result = verify_chain(conn, key, batch=37)
    assert result.ok, result.problem
    assert result.count == total and result.head_seq == total


def test_unit_subtree_filter(engine, key):
    paths = ["/1/", "/1/7/", "/1/7/12/", "/1/70/", "/1/8/", None, "/1/7_x/"]
    for p in paths:
        with engine.begin() as conn:
            append(conn, key, action="case.view", unit_path=p)
    with engine.connect() as conn:
        got = conn.execute(
            select(audit_entries.c.unit_path).where(in_unit_subtree("/1/7/")).order_by("seq")
        ).scalars().all()
    assert got == ["/1/7/", "/1/7/12/"]
