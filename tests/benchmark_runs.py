"""Running a benchmark script as RESULTS.md says, at a tiny size: the tests
that prove a script still works (no figure is checked: tests do not time
things)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *args: str, cwd: Path) -> str:
    """``benchmarks/<script>`` run with ``args`` in a fresh process, outside any
    test instance (no CASEAPP_ variable passed on); its table (stdout), once it
    has exited 0 without a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          env=env, capture_output=True, text=True, timeout=900, cwd=str(cwd))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "Traceback" not in done.stderr
    return done.stdout
