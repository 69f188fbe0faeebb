"""benchmarks/units_pages.py, run as RESULTS.md says, at a tiny size: it makes
an instance, grows the tree of units, logs in as an admin and the demo
supervisor and prints the table. (No figure is checked: tests do not time
things; the run must work.)"""
from __future__ import annotations

import pytest

from tests.benchmark_runs import run_benchmark

pytestmark = pytest.mark.no_db_isolation


def test_the_units_pages_benchmark_runs_and_prints_every_row(tmp_path):
    table = run_benchmark("units_pages.py", "--sizes", "30,60", "--repeat", "1", cwd=tmp_path)
    for row in ("| units page |", "| units, a unit |", "| awareness |", "| schools without |"):
        assert row in table, table
    assert "30 units" in table and "60 units" in table
