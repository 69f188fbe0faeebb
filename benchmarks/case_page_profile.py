"""Where the case page's time goes: cProfile of GET /cases/<reference>.

Seeds ``--instance DIR`` with ``--cases`` demo cases as scale_curve.py does
(once: a later run reuses it; not an instance scale_curve.py has run on, whose
key rotation is not saved), logs in as the demo officer with the most open cases and as the demo
supervisor of the root unit, opens an open case of the officer's first page,
and prints, for each, the best-of time, the statements the request ran, the
bare replay of those statements plus the unlock/decryption (as scale_curve.py
measures it), and the top of a cProfile of ``--views`` page views.

    python benchmarks/case_page_profile.py --instance /tmp/casepage-sc
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale_curve as sc  # noqa: E402
from figures_at_scale import isolated_client_class  # noqa: E402


def cpu_best(fn, repeat: int) -> float:
    """The least CPU time of ``repeat`` runs (after a warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", required=True)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--views", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--who", default="officer,supervisor")
    parser.add_argument("--statements", action="store_true",
                        help="print the first line of each statement the page ran")
    args = parser.parse_args()

    env = sc.environment(args.instance, None)
    os.makedirs(args.instance, mode=0o700, exist_ok=True)
    if not os.path.exists(os.path.join(args.instance, "keys.json")):
        sc.caseapp(env, "quickstart", "--no-serve")
    os.environ.update(env)
    from caseapp import create_app
    from caseapp.extensions import db

    app = create_app()
    app.test_client_class = isolated_client_class()
    saved = Path(args.instance, "scale-curve-logins.json")
    kept = json.loads(saved.read_text()) if saved.exists() else {}
    password, _ = sc.grow(env, app, args.cases, kept.get("password"))
    secrets = kept.get("secrets", {})
    officer_name, supervisor_name = sc.people(app)
    clients = {"officer": sc.log_in(app, officer_name, password, secrets),
               "supervisor": sc.log_in(app, supervisor_name, password, secrets)}
    descriptor = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"password": password, "secrets": secrets}, out)
    reference = sc.open_case_of(clients["officer"])
    with app.app_context():
        recorder = sc.Recorder(db.engine)
        for who in args.who.split(","):
            client = clients[who]
            view = sc.page(client, f"/cases/{reference}")
            _, statements = recorder.record(view)
            t_page = sc.best_of(view, args.repeat)

            def bare(statements=statements):
                sc.replay(db.engine, statements)
                sc.unlock_and_read(app, reference)
            t_bare = sc.best_of(bare, args.repeat)
            # CPU time too: on a machine shared with other work, the wall clock
            # mostly measures the others (SQLite runs in this process).
            cpu_page, cpu_bare = cpu_best(view, args.repeat), cpu_best(bare, args.repeat)
            print(f"\n== {who}: {t_page * 1000:.1f} ms; bare {t_bare * 1000:.1f} ms "
                  f"({t_page / t_bare:.2f}x); CPU {cpu_page * 1000:.1f} ms; "
                  f"bare CPU {cpu_bare * 1000:.1f} ms ({cpu_page / cpu_bare:.2f}x); "
                  f"{len(statements)} statements")
            if args.statements:
                for statement, _parameters, _many in statements:
                    print("  " + " ".join(statement.split())[:int(os.environ.get("WIDTH", "160"))])
            if not args.views:
                continue
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.views):
                view()
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
        db.session.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
