"""Fixtures for the audit library's tests: bare SQLAlchemy engines, no Flask.

The audit package must work on any engine the app hands it, so the tests build
engines the way the app is required to (SQLite in WAL with ``BEGIN IMMEDIATE``
transactions; PostgreSQL in its default READ COMMITTED) and run every
database test on both. The PostgreSQL leg runs when
``CASEAPP_TEST_DATABASE_URL`` names a server; each test gets a schema of its
own that is dropped afterwards.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, text

from audit import append, drop_sql, install_sql, metadata

PG_URL = os.environ.get("CASEAPP_TEST_DATABASE_URL")

KEY = bytes(range(32))


def sqlite_engine(path):
    """A file SQLite engine set up as caseapp must set up its own: WAL, and
    every transaction opened with BEGIN IMMEDIATE (SQLAlchemy's documented
    pysqlite recipe), which serialises writers and so keeps the chain linear.
    """
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 60},
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN rule
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def install(engine):
    metadata.create_all(engine)
    with engine.begin() as conn:
        for stmt in install_sql(engine.dialect.name):
            conn.exec_driver_sql(stmt)


@pytest.fixture(autouse=True)
def _isolated():
    """Overrides the suite-wide fixture of the same name, which wraps each test
    in the Flask app's database: the audit library is tested on its own
    engines, without the app (and so without building it)."""
    yield


@pytest.fixture(
    # The PostgreSQL variants are deselected (not skipped) when no server is
    # configured: see pytest_collection_modifyitems in tests/conftest.py.
    params=["sqlite", "postgresql"]
)
def engine(request, tmp_path):
    """An empty audit_entries table with its triggers, on SQLite or PostgreSQL.

    A test that only makes sense on one database narrows it with
    ``@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)``.
    """
    if request.param == "sqlite":
        eng = sqlite_engine(tmp_path / "audit.db")
        try:
            install(eng)
            yield eng
        finally:
            eng.dispose()
        return

    schema = f"audit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        eng = create_engine(PG_URL, connect_args={"options": f"-c search_path={schema}"})
        try:
            install(eng)
            yield eng
        finally:
            eng.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def key():
    return KEY


@pytest.fixture
def fill(key):
    """fill(engine, n) appends n varied entries, one transaction each."""

    def _fill(eng, n, start=0):
        for i in range(start, start + n):
            with eng.begin() as conn:
                append(
                    conn,
                    key,
                    action=("case.view", "case.update", "auth.login")[i % 3],
                    outcome=("ok", "denied", "failed")[i % 3],
                    actor_type="user",
                    actor_id=f"user-{i % 5}",
                    actor_role="officer",
                    session_hash=f"{i:064x}",
                    client_addr="192.0.2.7",
                    object_type="case",
                    object_id=f"VN-2026-{i:06d}",
                    request_id=f"req-{i}",
                    unit_path=f"/1/{i % 3 + 6}/",
                    details={"i": i, "stage": "intake", "ghi_chú": "đã xem", "tags": [1, "a"]},
                )

    return _fill


@pytest.fixture
def attacker():
    """``with attacker(engine) as conn:`` -- someone with write access to the
    database: the triggers are dropped first, then whatever runs in the block
    commits (raw SQL or Core, as an attacker pleases)."""

    @contextmanager
    def _attack(eng):
        with eng.begin() as conn:
            for stmt in drop_sql(eng.dialect.name):
                conn.exec_driver_sql(stmt)
            yield conn

    return _attack
