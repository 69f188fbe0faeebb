"""benchmarks/units_pages.py, run as RESULTS.md says, at a tiny size: it makes
an instance, grows the tree of units, logs in as an admin and the demo
supervisor and prints the table. (No figure is checked: tests do not time
things; the run must work.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.no_db_isolation


def test_the_units_pages_benchmark_runs_and_prints_every_row(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "units_pages.py"), "--sizes", "30,60",
         "--repeat", "1"],
        env=env, capture_output=True, text=True, timeout=900, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    table = done.stdout
    for row in ("| units page |", "| units, a unit |", "| awareness |", "| schools without |"):
        assert row in table, table
    assert "30 units" in table and "60 units" in table
    assert "Traceback" not in done.stderr
