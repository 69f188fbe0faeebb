"""configure_sqlite_engine: pragmas, BEGIN IMMEDIATE, savepoints, read-only option."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from caseapp.crypto import READ_ONLY_OPTIONS, configure_sqlite_engine

from .conftest import sqlite_engine


def test_pragmas(tmp_path):
    engine = sqlite_engine(tmp_path / "a.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert configure_sqlite_engine(engine) is engine  # idempotent
    engine.dispose()


def test_other_databases_are_left_alone():
    engine = create_engine("postgresql+psycopg://u@localhost/db")
    assert configure_sqlite_engine(engine) is engine  # no listeners, no connection


def test_savepoints_work(tmp_path):
    engine = sqlite_engine(tmp_path / "b.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        nested = conn.begin_nested()
        conn.execute(text("INSERT INTO t VALUES (2)"))
        nested.rollback()
        conn.execute(text("INSERT INTO t VALUES (3)"))
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT x FROM t ORDER BY x"))] == [1, 3]
    engine.dispose()


def test_writers_serialise_and_readers_can_opt_out(tmp_path):
    engine = sqlite_engine(tmp_path / "c.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    holder = engine.connect()
    holder.begin()  # BEGIN IMMEDIATE: holds the write lock from the start
    order = []

    def second_writer():
        with engine.connect() as conn, conn.begin():  # waits in the busy handler for the lock
            order.append("second got the lock")

    t = threading.Thread(target=second_writer)
    t.start()
    time.sleep(0.3)
    # a read-only connection does not queue behind the writer
    with engine.connect().execution_options(**READ_ONLY_OPTIONS) as reader, reader.begin():
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 1
    order.append("first released")
    holder.rollback()
    holder.close()
    t.join()
    assert order == ["first released", "second got the lock"]
    engine.dispose()


def test_bad_begin_mode(tmp_path):
    engine = sqlite_engine(tmp_path / "d.db")
    conn = engine.connect().execution_options(sqlite_begin="NOW; DROP")
    with pytest.raises(ValueError):
        conn.execute(text("SELECT 1"))
    conn.close()
    engine.dispose()
