"""benchmarks/scale_curve.py, run as the README says, at a tiny size: it grows
an instance with `caseapp demo-data`, logs in as the demo staff, times every
screen and long command beside its baseline, and prints the table RESULTS.md
quotes. (No figure is checked: tests do not time things; the run must work.)"""
from __future__ import annotations

import pytest

from tests.benchmark_runs import run_benchmark

pytestmark = pytest.mark.no_db_isolation


def test_the_scale_curve_runs_and_prints_every_row(tmp_path):
    table = run_benchmark("scale_curve.py", "--sizes", "12,24", "--repeat", "1",
                          "--instance", str(tmp_path / "inst"), cwd=tmp_path)
    for row in ("| my cases |", "| case page |", "| intake |", "| supervision |",
                "| supervision vs its counts |", "| the least request |", "| audit verify |",
                "| keys rotate |",
                "| bare baselines |", "| seeding (demo-data) |"):
        assert row in table, table
    assert "12 cases" in table and "24 cases" in table
