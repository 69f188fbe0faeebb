"""What does recording an audit entry add to a write transaction on SQLite?

Times N transactions that each insert one small row, then N transactions that
insert the same row plus an audit.append (the app's pattern: the change and
its entry commit together), on a WAL SQLite file opened the way caseapp opens
it (BEGIN IMMEDIATE). Prints per-transaction cost and the ratio, once with
SQLite's default synchronous=FULL (a durable commit per transaction, what the
app gets unless it changes it) and once with synchronous=NORMAL (closer to the
CPU cost alone).

    python benchmarks/audit_entry_cost.py              # 2,000 transactions, best of 3
    python benchmarks/audit_entry_cost.py --transactions 5000
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event

from audit import append, install_sql, metadata, verify_chain

KEY = hashlib.sha256(b"benchmark key, not a real one").digest()

demo = MetaData()
notes = Table(
    "demo_notes", demo,
    Column("id", Integer, primary_key=True),
    Column("case_ref", String(32), nullable=False),
    Column("body", String(200), nullable=False),
)


def sqlite_engine(path, synchronous):
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def run(engine, n, with_audit, offset):
    t0 = time.perf_counter()
    for i in range(offset, offset + n):
        ref = f"VN-2026-{i:06d}"
        with engine.begin() as conn:
            conn.execute(notes.insert(), {"case_ref": ref, "body": "ciphertext placeholder " * 4})
            if with_audit:
                append(conn, KEY, action="case.note_added", actor_type="user",
                       actor_id=str(i % 300), actor_role="officer",
                       session_hash=f"{i // 20:032x}", client_addr="10.0.0.7",
                       object_type="case", object_id=ref, request_id=f"{i:016x}",
                       unit_path="/1/7/", details={"note": i, "kind": "follow_up"})
    return (time.perf_counter() - t0) / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many rounds")
    args = parser.parse_args(argv)
    n = args.transactions
    print(f"{n:,} transactions each, best of {args.repeat}, "
          f"SQLite {sqlite3.sqlite_version}, WAL, BEGIN IMMEDIATE")
    for synchronous in ("FULL", "NORMAL"):
        with tempfile.TemporaryDirectory(prefix="audit-cost-") as tmp:
            engine = sqlite_engine(os.path.join(tmp, "app.db"), synchronous)
            demo.create_all(engine)
            metadata.create_all(engine)
            with engine.begin() as conn:
                for stmt in install_sql("sqlite"):
                    conn.exec_driver_sql(stmt)
            run(engine, 50, True, 10**7)  # warm up: compiled-statement cache, page cache
            plain = audited = float("inf")
            for r in range(args.repeat):  # interleaved, best of each
                plain = min(plain, run(engine, n, False, 2 * r * n))
                audited = min(audited, run(engine, n, True, (2 * r + 1) * n))
            with engine.connect() as conn:
                assert verify_chain(conn, KEY).ok
            engine.dispose()
        label = f"synchronous={synchronous:6s}"
        print(f"{label} insert only:      {plain * 1e6:8.1f} us/transaction")
        print(f"{label} insert + audit:   {audited * 1e6:8.1f} us/transaction"
              f"  (+{(audited - plain) * 1e6:.1f} us, ratio {audited / plain:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
