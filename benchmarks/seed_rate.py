"""How fast does `caseapp demo-data` seed, and does it slow down as cases pile up?

Makes a fresh instance the README's way (`caseapp quickstart --no-serve`) in a
temporary folder, then runs `caseapp demo-data` as an operator would, growing
the database to each size in turn (10,000 then 100,000 adds 90,000 to the
first 10,000), and prints for each step the cases added, the seconds and the
cases a second, then the time of `caseapp audit verify` over the result.

    python benchmarks/seed_rate.py                       # SQLite, 1,000 and 10,000
    python benchmarks/seed_rate.py --sizes 10000 100000
    python benchmarks/seed_rate.py --database-url postgresql+psycopg://postgres@127.0.0.1:55432/EMPTY_DB
    python benchmarks/seed_rate.py --sizes 200000 --compare-indexes [--database-url ...]

The PostgreSQL database must exist and be empty. Nothing is kept: the
instance folder is removed at the end (--keep to look at it).

``--compare-indexes`` seeds two fresh instances the same way, the baseline
with ``--keep-indexes`` (every index kept up row by row) and then with
``--defer-indexes`` (the loaded tables' non-unique indexes dropped and built
at the end), and prints the second against the baseline: wall seconds and
the CPU seconds of the command and its worker processes, of the command's
own process alone (the one writer), and on a local PostgreSQL server of its
processes for that database (:class:`ProcessCPU`). With a
database URL the database is emptied (its public schema dropped) before each
instance.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

CASEAPP = os.path.join(os.path.dirname(sys.executable), "caseapp")


def run(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    seconds, _cpu, done = run_timed(args, env)
    return seconds, done


def run_timed(args: list[str], env: dict[str, str], sampled=None):
    """(wall seconds, CPU seconds of the command and the processes it waited for, result);
    ``sampled``: a :class:`ProcessCPU` told the command's process id."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = subprocess.Popen([CASEAPP, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    if sampled is not None:
        sampled.pids.add(command.pid)
    out, err = command.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.CompletedProcess(command.args, command.returncode, out, err)
    if done.returncode != 0:
        sys.exit(f"caseapp {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done


class ProcessCPU:
    """CPU seconds of some processes, sampled from /proc twice a second while
    a command runs: each process's last sample before it exits is counted
    (up to half a second of it may be missed). The processes: those in
    ``pids`` (the command itself, its own CPU: the one writer, not its
    worker processes) and, with ``database``, a local PostgreSQL server's
    processes for that database (its backends, and the parallel workers of
    an index build)."""

    def __init__(self, database: str | None = None):
        import threading

        self.pids: set[int] = set()
        self.needle = f" {database} " if database else None
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        while not self.stop.wait(0.5):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if int(pid) not in self.pids:
                        if self.needle is None:
                            continue
                        with open(f"/proc/{pid}/cmdline", "rb") as f:
                            command = f.read().decode(errors="replace")
                        if not command.startswith("postgres: ") or not (
                                self.needle in command or "parallel worker" in command):
                            continue
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join()
        return False

    @property
    def command_seconds(self) -> float:
        return sum(cpu for pid, cpu in self.seen.items() if pid in self.pids)

    @property
    def server_seconds(self) -> float:
        return sum(cpu for pid, cpu in self.seen.items() if pid not in self.pids)


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def empty_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def compare_indexes(args) -> None:
    """The same run with the indexes kept (baseline) and deferred."""
    size = max(args.sizes)
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{database}, {size} cases into a fresh instance, default batch and workers")
    server = args.database_url.rsplit("/", 1)[1] if args.database_url else None
    print(f"{'indexes':>8} {'seconds':>9} {'CPU s':>8} {'writer':>8} {'server':>8} "
          f"{'cases/s':>8}  load (start; end)")
    seen = {}
    for mode in ("keep", "defer"):
        folder = tempfile.mkdtemp(prefix=f"seed-rate-{mode}-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
        env["CASEAPP_INSTANCE"] = os.path.join(folder, "inst")
        if args.database_url:
            empty_database(args.database_url)
            env["CASEAPP_DATABASE_URL"] = args.database_url
        try:
            run(["quickstart", "--no-serve"], env)
            at_start = load()
            with ProcessCPU(server) as sampled:
                seconds, cpu, done = run_timed(["demo-data", "--cases", str(size),
                                                f"--{mode}-indexes"], env, sampled)
            writer, in_server = sampled.command_seconds, sampled.server_seconds
            seen[mode] = (seconds, cpu, writer, in_server)
            print(f"{mode:>8} {seconds:>9.1f} {cpu:>8.1f} {writer:>8.1f} {in_server:>8.1f} "
                  f"{size / seconds:>8.1f}  {at_start}; {load()}", flush=True)
            for line in done.stderr.splitlines():
                if line.startswith("rebuilding indexes:") and "took" in line:
                    print(f"{'':>8} {line}")
            if args.verify:
                seconds, verified = run(["audit", "verify"], env)
                print(f"{'':>8} audit verify: {seconds:.1f} s; {verified.stdout.strip()[:60]}",
                      flush=True)
        finally:
            if args.keep:
                print(f"instance kept in {env['CASEAPP_INSTANCE']}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
    (wall, cpu, writer, in_server), (base_wall, base_cpu, base_writer, base_server) = \
        seen["defer"], seen["keep"]
    print(f"deferred indexes against kept: wall {wall / base_wall:.2f}x, "
          f"CPU {cpu / base_cpu:.2f}x, the writer's CPU {writer / base_writer:.2f}x" + (
              f", server CPU {in_server / base_server:.2f}x, CPU with the server's "
              f"{(cpu + in_server) / (base_cpu + base_server):.2f}x" if base_server else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--compare-indexes", action="store_true")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="with --compare-indexes: no audit verify after each run")
    args = parser.parse_args()
    if args.compare_indexes:
        compare_indexes(args)
        return

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
