"""How fast are the case lists once a district holds many cases?

Makes a throw-away instance (keys, SQLite, migrations), fills it with
``caseapp demo-data`` (synthetic cases through the real services, audit
entries included), then times the scoped queries the screens use: "my cases"
(first page, overdue first), the overdue count, the supervisor's queue and the
handled share, for an officer and for a supervisor of the whole district.

    python benchmarks/case_queries.py               # 5,000 cases
    python benchmarks/case_queries.py --cases 20000
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from caseapp.admin import service as admin_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from caseapp import MIGRATIONS_DIR, clock, create_app
    from caseapp.accounts.service import find_user
    from caseapp.cases import queries
    from caseapp.cases.models import Case
    from caseapp.cli.cases import demo_data
    from caseapp.crypto import KeyRing
    from caseapp.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o700)
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "benchmark-" + "x" * 40,
                          "CASEAPP_KEYRING": KeyRing.generate(),
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db"},
                         env="testing")
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
            admin_service.create_unit("system", "HUYEN", "Huyện đoàn (benchmark)")
            db.session.commit()
            runner = app.test_cli_runner()
            t0 = time.perf_counter()
            result = runner.invoke(demo_data, ["--cases", str(args.cases)])
            elapsed = time.perf_counter() - t0
            assert result.exit_code == 0, result.output
            print(f"demo-data: {args.cases} cases in {elapsed:.1f} s "
                  f"({elapsed / args.cases * 1000:.2f} ms per case, every step audited)")
            db.session.remove()
            now = clock.now()
            supervisor, officer = find_user("demo.gs"), find_user("demo.cb1")
            for label, user in (("supervisor (whole district)", supervisor),
                                ("officer (assigned cases)", officer)):
                visible = db.session.scalar(select(func.count()).select_from(
                    queries.visible_cases(user).subquery()))
                page, _ = best_of(lambda u=user: db.session.scalars(
                    queries.my_cases(u, now=now).limit(50)).all())
                overdue_t, overdue = best_of(lambda u=user: db.session.scalar(
                    select(func.count()).select_from(queries.overdue_cases(u, now).subquery())))
                queue_t, queue = best_of(lambda u=user: db.session.scalar(
                    select(func.count()).select_from(queries.assignment_queue(u).subquery())))
                handled_t, handled = best_of(lambda u=user: db.session.scalar(
                    select(func.count()).select_from(queries.visible_cases(u).where(
                        queries.handled_clause()).subquery())))
                print(f"{label}: sees {visible} cases")
                print(f"  my cases, first 50, overdue first : {page * 1000:7.2f} ms")
                print(f"  overdue count ({overdue:5d})           : {overdue_t * 1000:7.2f} ms")
                print(f"  assignment queue ({queue:5d})        : {queue_t * 1000:7.2f} ms")
                print(f"  handled count ({handled:5d})           : {handled_t * 1000:7.2f} ms")
            plan = db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(queries.my_cases(supervisor, now=now).limit(50)
                                            .compile(compile_kwargs={"literal_binds": True})))
            print("query plan, supervisor's my cases:")
            for row in plan:
                print("   ", row[-1])
            total = db.session.scalar(select(func.count()).select_from(Case))
            print(f"{total} cases in the database")
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
