"""How long the README's test command takes (the SQLite suite), against its budget.

Run from the repository root: python benchmarks/suite_time.py [extra pytest args]
Prints the wall time, the result line, and the ratio to the 180-second budget
the layering issue set for a quiet 2-core machine (CI's `.ci/run` runs the
long property-based settings and PostgreSQL on top of this).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

BUDGET_SECONDS = 180


def main() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CASEAPP_TEST_DATABASE_URL", "CASEAPP_TEST_LONG")}
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          *sys.argv[1:]], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    summary = next((line for line in reversed(run.stdout.splitlines())
                    if re.search(r"\d+ (passed|failed)", line)), "(no summary)")
    print(f"suite: {summary}")
    print(f"wall time: {elapsed:.1f} s on {os.cpu_count()} CPUs; "
          f"{elapsed / BUDGET_SECONDS:.2f}x the {BUDGET_SECONDS} s budget")
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
