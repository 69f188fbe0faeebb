"""benchmarks/password_hash.py runs as its docstring says and prints both timings."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_password_hash_benchmark_prints_the_apps_setting_beside_one_lane():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "password_hash.py"),
                           "--repeat", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"^p=\d+ \(the app's\): wall \d+ ms \([\d.]+x\), CPU \d+ ms \([\d.]+x\)$",
                     done.stdout, re.M), done.stdout
    assert re.search(r"^p=1 \(baseline\): +wall \d+ ms, CPU \d+ ms$", done.stdout, re.M)
