"""What the lists of units cost as a province's tree grows (issue 16: every
list paged, its page within 1.5x however big the database).

A throw-away instance as an operator makes it (``caseapp quickstart
--no-serve``, then ``caseapp demo-data --cases 20`` for the demo staff), then
the tree grown under the root unit to each size of ``--sizes`` (default 200
and 10,000 units: districts of 100 units each, two in five marked as schools,
a session recorded at one school in ten) through the services ``caseapp
units create`` and ``/awareness`` use. At each size, logged in through the
test client, after a warm-up, best of ``--repeat``:

  units page        GET /admin/units (an admin: the first page of the tree)
  units, a unit     GET /admin/units?at=<the newest district> (the page a change lands on)
  awareness         GET /awareness (the root's supervisor: sessions, the schools' counts
                    and the first 20 without a session)
  schools without   GET /awareness/schools (the root's supervisor: the first page)

each beside the SQL statements the request ran, replayed on a raw connection
(scale_curve.py's baseline), with the statement count, and each size's time
as a ratio to the first size's.

    python benchmarks/units_pages.py
    python benchmarks/units_pages.py --sizes 200,2000 --repeat 5 --clock cpu
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale_curve  # noqa: E402
from scale_curve import (  # noqa: E402
    Recorder,
    best_of,
    caseapp,
    environment,
    grow,
    isolated_client_class,
    log_in,
    page,
    replay,
)

ADMIN, PASSWORD = "bench.admin", "Mat-khau-rat-dai-cho-benchmark-2026!"
PER_DISTRICT = 100


def grow_tree(app, size: int) -> str:
    """Units under the root until ``size`` of them in all; the newest district's code."""
    from sqlalchemy import func, select

    from caseapp import clock
    from caseapp.accounts.service import find_user
    from caseapp.admin import service as admin_service
    from caseapp.awareness import service as awareness
    from caseapp.cases.deadlines import VIETNAM
    from caseapp.crypto import key_scope
    from caseapp.extensions import db
    from caseapp.units.models import Unit

    with app.app_context():
        supervisor = find_user("demo.gs")
        root = supervisor.unit.code
        have = db.session.scalar(select(func.count()).select_from(Unit))
        district, n = None, have
        today = clock.now().astimezone(VIETNAM).date()
        while n < size:
            if district is None or (n - have) % PER_DISTRICT == 0:
                district = admin_service.create_unit("system", f"BQ{n:06d}",
                                                     f"Huyện benchmark {n}", root).code
            else:
                school = (n % 5) in (1, 3)
                unit = admin_service.create_unit(
                    "system", f"BU{n:06d}", f"{'Trường' if school else 'Xã'} benchmark {n}",
                    district, "primary" if school else None)
                if school and n % 10 == 1:
                    with key_scope():
                        awareness.record_session(supervisor, unit, awareness.SessionData(
                            today - timedelta(days=1), ("children",), 40, "Benchmark"))
            n += 1
            if n % 500 == 0:
                db.session.commit()
        db.session.commit()
        newest = db.session.scalar(select(Unit.code).where(Unit.code.like("BQ%"))
                                   .order_by(Unit.code.desc()).limit(1))
        db.session.remove()
    return newest or root


def make_admin(app) -> None:
    from caseapp.accounts import service as accounts
    from caseapp.accounts.service import find_user
    from caseapp.admin import service as admin_service
    from caseapp.extensions import db

    with app.app_context():
        if find_user(ADMIN) is None:
            admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
                ADMIN, "admin", find_user("demo.gs").unit.code, PASSWORD,
                temporary_password=False))
            db.session.commit()
        db.session.remove()


def measure(app, admin, supervisor, district: str, repeat: int) -> dict:
    from caseapp.extensions import db

    results = {}
    with app.app_context():
        recorder = Recorder(db.engine)
        for name, client, path in (
                ("units page", admin, "/admin/units"),
                ("units, a unit", admin, f"/admin/units?at={district}"),
                ("awareness", supervisor, "/awareness"),
                ("schools without", supervisor, "/awareness/schools")):
            run = page(client, path)
            _, statements = recorder.record(run)
            t_page = best_of(run, repeat)
            t_bare = best_of(lambda s=statements: replay(db.engine, s), repeat)
            results[name] = (t_page, t_bare, len(statements), len(run().data))
        db.session.remove()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,10000")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.clock == "cpu":
        scale_curve.CLOCK = time.process_time
    with tempfile.TemporaryDirectory(prefix="bench-units-") as instance:
        env = environment(instance, None)
        caseapp(env, "quickstart", "--no-serve")
        os.environ.update(env)
        from caseapp import create_app

        app = create_app()
        app.test_client_class = isolated_client_class()
        password, _ = grow(env, app, 20, None)
        make_admin(app)
        secrets: dict = {}
        rows = {}
        for size in sizes:
            t0 = time.perf_counter()
            district = grow_tree(app, size)
            print(f"{size:,} units: made in {time.perf_counter() - t0:,.1f} s",
                  file=sys.stderr, flush=True)
            admin = log_in(app, ADMIN, PASSWORD, secrets)
            supervisor = log_in(app, "demo.gs", password, secrets)
            rows[size] = measure(app, admin, supervisor, district, args.repeat)
        first = sizes[0]
        print(f"units pages, best of {args.repeat} ({args.clock} clock), SQLite")
        print("| page | " + " | ".join(f"{s:,} units" for s in sizes)
              + f" | {sizes[-1]:,} / {first:,} |")
        print("|---|" + "---|" * (len(sizes) + 1))
        for name in rows[first]:
            cells = []
            for s in sizes:
                took, bare, statements, size = rows[s][name]
                cells.append(f"{took * 1000:.1f} ms ({took / bare:.1f}x its SQL; "
                             f"{statements} statements; {size / 1024:.0f} KB)")
            growth = rows[sizes[-1]][name][0] / rows[first][name][0]
            print(f"| {name} | " + " | ".join(cells) + f" | **{growth:.2f}x** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
