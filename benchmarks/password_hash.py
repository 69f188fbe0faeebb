"""What one login's password check costs: argon2id at the app's settings, wall and CPU time.

    python benchmarks/password_hash.py [--repeat 5]

Times ``PasswordHasher.verify`` at ``config/defaults.py``'s ARGON2_* (the
hash the login makes), beside the same with one lane (parallelism 1) as the
baseline, best of ``--repeat`` after a warm-up. The CPU time is what a burst
of logins queues for on a machine's cores; the wall time is what one login
alone waits.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher  # noqa: E402

from config import defaults  # noqa: E402


def best(hasher: PasswordHasher, repeat: int) -> tuple[float, float]:
    stored = hasher.hash("a password of some length")
    hasher.verify(stored, "a password of some length")  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        hasher.verify(stored, "a password of some length")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    t, m, p = (defaults.ARGON2_TIME_COST, defaults.ARGON2_MEMORY_COST_KIB,
               defaults.ARGON2_PARALLELISM)
    base_wall, base_cpu = best(PasswordHasher(time_cost=t, memory_cost=m, parallelism=1),
                               args.repeat)
    wall, cpu = best(PasswordHasher(time_cost=t, memory_cost=m, parallelism=p), args.repeat)
    print(f"argon2id t={t}, m={m} KiB, best of {args.repeat}")
    print(f"p={p} (the app's): wall {wall * 1000:.0f} ms ({wall / base_wall:.2f}x), "
          f"CPU {cpu * 1000:.0f} ms ({cpu / base_cpu:.2f}x)")
    print(f"p=1 (baseline):    wall {base_wall * 1000:.0f} ms, CPU {base_cpu * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
