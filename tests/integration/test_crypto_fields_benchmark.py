"""benchmarks/crypto_fields.py runs as RESULTS.md says and prints both shapes'
tables (no figure is checked: tests do not time things)."""
from __future__ import annotations

import re

from tests.benchmark_runs import run_benchmark

WORKLOADS = ("per-request write", "per-request read", "bulk write", "bulk read",
             "per-request total", "bulk total")


def test_the_encryption_benchmark_prints_the_bare_and_the_case_shape(tmp_path):
    out = run_benchmark("crypto_fields.py", "--cases", "20", "--repeat", "1", cwd=tmp_path)
    bare, case = out.split("bare shape", 1)[1].split("case shape", 1)
    assert "no index on the plain side" in bare
    # The case shape carries the cases table's own indexes, copied from the model.
    copied = re.search(r"^ \((\d+) indexes of the cases table on both sides\)", case, re.M)
    assert copied and int(copied.group(1)) >= 10, case
    for table in (bare, case):
        for workload in WORKLOADS:
            assert re.search(rf"^{workload} +[\d.]+ +[\d.]+ +[\d.]+x .* [\d.]+x$", table,
                             re.M), (workload, table)
