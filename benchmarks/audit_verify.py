"""How much does verifying the audit chain cost beyond reading it and hashing it?

Builds a SQLite audit log of N entries (the chain computed in Python with the
writer's own canonical encoding, bulk-inserted with executemany in large
transactions), then times, in the same process and over the same keyset-paged
reads:

  (a) a bare loop: one HMAC-SHA256 per row, chained, over the row's stored MAC
      text -- the unavoidable read + one keyed hash per entry, nothing else;
  (b) audit.verify_chain: link check, canonical re-encoding, HMAC, compare.

and prints both and their ratio (target: at most 3x).

    python benchmarks/audit_verify.py                 # 1,000,000 entries
    python benchmarks/audit_verify.py --entries 100000 --batch 5000
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event

from audit import audit_entries, canonical, install_sql, metadata, verify_chain
from audit.verify import iter_pages
from audit.writer import GENESIS_MAC, canonical_details

KEY = hashlib.sha256(b"benchmark key, not a real one").digest()
ACTIONS = ["auth.login", "case.view", "case.update", "case.transition", "case.export",
           "auth.login_failed", "case.view_denied", "keys.rotate"]
ROLES = ["counselor", "officer", "supervisor", "admin"]
STAGES = ["intake", "assessment", "support", "referral", "closure"]


def sqlite_engine(path):
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def synthetic_rows(n, rng):
    """Realistic-looking entries (no personal data: ids, codes, references)."""
    start = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
    prev = GENESIS_MAC
    for seq in range(1, n + 1):
        action = rng.choice(ACTIONS)
        user = rng.randrange(1, 400)
        unit = rng.randrange(1, 60)
        fields = {
            "seq": seq,
            "occurred_at": start + timedelta(seconds=seq * 7, microseconds=rng.randrange(10**6)),
            "actor_type": "user",
            "actor_id": str(user),
            "actor_role": ROLES[user % 4],
            "session_hash": hashlib.sha256(b"s%d" % (seq // 40)).hexdigest()[:32],
            "client_addr": f"10.{unit}.{user % 250}.{seq % 250}",
            "action": action,
            "object_type": "case" if action.startswith("case") else None,
            "object_id": f"VN-2026-{rng.randrange(1, 50000):06d}"
            if action.startswith("case") else None,
            "outcome": "ok" if "denied" not in action and "failed" not in action else "denied",
            "request_id": f"{seq:016x}",
            "unit_path": f"/1/{unit}/{unit * 7 % 13}/",
            "details": canonical_details(
                {"from": rng.choice(STAGES), "to": rng.choice(STAGES), "n": seq % 17}
                if action == "case.transition" else {"route": "/cases", "status": 200}
            ),
        }
        mac = hmac.digest(KEY, bytes.fromhex(prev) + canonical(fields), hashlib.sha256).hex()
        fields["prev_mac"] = prev
        fields["mac"] = prev = mac
        yield fields


def build(engine, n, chunk=50_000):
    metadata.create_all(engine)
    with engine.begin() as conn:
        for stmt in install_sql("sqlite"):
            conn.exec_driver_sql(stmt)
    rng = random.Random(2026)
    rows = synthetic_rows(n, rng)
    done = 0
    while done < n:
        batch = [next(rows) for _ in range(min(chunk, n - done))]
        with engine.begin() as conn:
            conn.execute(audit_entries.insert(), batch)
        done += len(batch)


def bare_hmac(conn, batch):
    """Same reads as the verifier, one chained HMAC-SHA256 per row."""
    digest, sha256 = hmac.digest, hashlib.sha256
    prev = bytes(32)
    count = 0
    for rows in iter_pages(conn, batch):
        for row in rows:
            prev = digest(KEY, prev + row[-1].encode(), sha256)
        count += len(rows)
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        path = os.path.join(tmp, "audit.db")
        engine = sqlite_engine(path)
        t0 = time.perf_counter()
        build(engine, args.entries)
        built = time.perf_counter() - t0
        size = os.path.getsize(path) + (os.path.getsize(path + "-wal")
                                        if os.path.exists(path + "-wal") else 0)
        print(f"built {args.entries:,} entries in {built:.1f} s "
              f"({size / 2**20:.0f} MiB on disk)")

        bare_times, verify_times = [], []
        for _ in range(args.repeat):
            with engine.connect() as conn:
                t0 = time.perf_counter()
                count = bare_hmac(conn, args.batch)
                bare_times.append(time.perf_counter() - t0)
            assert count == args.entries
            with engine.connect() as conn:
                t0 = time.perf_counter()
                result = verify_chain(conn, KEY, batch=args.batch)
                verify_times.append(time.perf_counter() - t0)
            assert result.ok and result.count == args.entries, result
        # memory: the verifier keeps one page of rows, whatever the log's size
        with engine.connect() as conn:
            tracemalloc.start()
            verify_chain(conn, KEY, batch=args.batch)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        engine.dispose()

    bare, verify = min(bare_times), min(verify_times)
    n = args.entries
    print(f"python {sys.version.split()[0]}, batch {args.batch}, best of {args.repeat}")
    print(f"(a) read + bare HMAC-SHA256: {bare:7.2f} s  {bare / n * 1e6:6.2f} us/entry")
    print(f"(b) verify_chain:            {verify:7.2f} s  {verify / n * 1e6:6.2f} us/entry")
    print(f"peak Python memory during verify_chain: {peak / 2**20:.1f} MiB")
    ratio = verify / bare
    print(f"ratio (b)/(a): {ratio:.2f}x  (target <= 3x: {'met' if ratio <= 3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
