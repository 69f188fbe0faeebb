"""What does an audit entry add to a whole request of the app?

Builds the real app (create_app, migrations, every hook: sessions, key scope,
security headers, the request's commit, the audit log's denial and checkpoint
hooks) on a SQLite file in a temporary instance folder, then times N requests
to two routes that differ only in the audit entry:

* ``/bench/plain``: rename a unit (one UPDATE), committed by the request;
* ``/bench/audited``: the same, plus ``record("unit.update", ...)``.

It also times ``/bench/audited`` with checkpoints every 100 entries, to show
what periodic signing costs when amortised over requests. Requests go through
Flask's test client (no sockets), so the figures are the app's own cost.

    python benchmarks/audit_request_cost.py               # 2,000 requests, best of 3
    python benchmarks/audit_request_cost.py --requests 5000
    CASEAPP_BENCH_DATABASE_URL=postgresql+psycopg://... python benchmarks/audit_request_cost.py
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import text

from caseapp import MIGRATIONS_DIR, create_app
from caseapp.admin import service as admin_service
from caseapp.auditing.writer import record
from caseapp.crypto.keyring import KeyRing
from caseapp.extensions import db
from caseapp.units import service as units


def build_app(instance: str, url: str | None):
    app = create_app({
        "INSTANCE_PATH": instance,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CASEAPP_KEYRING": KeyRing.generate(),
        "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance}/bench.db",
        "AUDIT_CHECKPOINT_EVERY_ENTRIES": 0,
        "AUDIT_CHECKPOINT_EVERY_MINUTES": 0,
    }, env="development")
    counter = iter(range(10**9))

    def plain():
        unit = units.by_code("BENCH")
        unit.name = f"Bench unit {next(counter)}"
        db.session.flush()
        return "ok"

    def audited():
        unit = units.by_code("BENCH")
        unit.name = f"Bench unit {next(counter)}"
        db.session.flush()
        record("unit.update", actor="system", object_type="unit", object_id=unit.code,
               unit_path=unit.path, details={"field": "name"})
        return "ok"

    app.add_url_rule("/bench/plain", "bench_plain", plain)
    app.add_url_rule("/bench/audited", "bench_audited", audited)
    with app.app_context():
        if url:
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade(directory=MIGRATIONS_DIR)
        admin_service.create_unit("system", "BENCH", "Bench unit")
        db.session.commit()
    return app


def run(client, path: str, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - t0) / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many rounds")
    args = parser.parse_args(argv)
    url = os.environ.get("CASEAPP_BENCH_DATABASE_URL")
    n = args.requests
    with tempfile.TemporaryDirectory(prefix="audit-request-") as instance:
        app = build_app(instance, url)
        with app.app_context():
            dialect = db.engine.dialect.name
        client = app.test_client()
        run(client, "/bench/audited", 50)  # warm up: templates, statement caches, the start entry
        run(client, "/bench/plain", 50)
        plain = audited = checkpointed = float("inf")
        for _ in range(args.repeat):  # interleaved, best of each
            plain = min(plain, run(client, "/bench/plain", n))
            audited = min(audited, run(client, "/bench/audited", n))
        app.config["AUDIT_CHECKPOINT_EVERY_ENTRIES"] = 100
        for _ in range(args.repeat):
            checkpointed = min(checkpointed, run(client, "/bench/audited", n))
        checkpoints = Path(instance, "audit-checkpoints.jsonl").read_text().count("\n")
        with app.app_context():
            db.engine.dispose()
    print(f"{n:,} requests each, best of {args.repeat}, {dialect}")
    print(f"request, one UPDATE:                   {plain * 1e6:8.1f} us")
    print(f"request, one UPDATE + audit entry:     {audited * 1e6:8.1f} us"
          f"  (+{(audited - plain) * 1e6:.1f} us, ratio {audited / plain:.2f}x)")
    print(f"  + checkpoint every 100 entries:      {checkpointed * 1e6:8.1f} us"
          f"  (+{(checkpointed - audited) * 1e6:.1f} us; {checkpoints} checkpoints signed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
