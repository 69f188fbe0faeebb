"""How fast does `caseapp demo-data` seed, and does it slow down as cases pile up?

Makes a fresh instance the README's way (`caseapp quickstart --no-serve`) in a
temporary folder, then runs `caseapp demo-data` as an operator would, growing
the database to each size in turn (10,000 then 100,000 adds 90,000 to the
first 10,000), and prints for each step the cases added, the seconds and the
cases a second, then the time of `caseapp audit verify` over the result.

    python benchmarks/seed_rate.py                       # SQLite, 1,000 and 10,000
    python benchmarks/seed_rate.py --sizes 10000 100000
    python benchmarks/seed_rate.py --database-url postgresql+psycopg://postgres@127.0.0.1:55432/EMPTY_DB

The PostgreSQL database must exist and be empty. Nothing is kept: the
instance folder is removed at the end (--keep to look at it).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

CASEAPP = os.path.join(os.path.dirname(sys.executable), "caseapp")


def run(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([CASEAPP, *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"caseapp {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="seed-rate-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env["CASEAPP_INSTANCE"] = os.path.join(folder, "inst")
    if args.database_url:
        env["CASEAPP_DATABASE_URL"] = args.database_url
    database = "PostgreSQL" if args.database_url else "SQLite"
    try:
        run(["quickstart", "--no-serve"], env)
        have = 0
        print(f"{database}, batch {args.batch}")
        print(f"{'to size':>10} {'added':>10} {'seconds':>10} {'cases/s':>10}")
        for size in sorted(args.sizes):
            if size <= have:
                continue
            seconds, _ = run(["demo-data", "--cases", str(size - have), "--batch",
                              str(args.batch)], env)
            print(f"{size:>10} {size - have:>10} {seconds:>10.1f} {(size - have) / seconds:>10.1f}",
                  flush=True)
            have = size
        seconds, verified = run(["audit", "verify"], env)
        print(f"audit verify over {have} cases: {seconds:.1f} s; {verified.stdout.strip()[:60]}")
    finally:
        if args.keep:
            print(f"instance kept in {env['CASEAPP_INSTANCE']}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
