"""`caseapp demo-data` at scale drops the non-unique indexes of the case tables
it loads and builds them again at the end: afterwards the database has exactly
the indexes it had, also after an error in the middle of the load; a run killed
before it built them again is repaired by the next run, and Ctrl-C builds them
before the command stops; uniqueness (references,
keys) holds all along; the audit chain verifies.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.http_client import CASEAPP, run_caseapp
from tests.integration.test_demo_data import database_state, start_env

pytestmark = pytest.mark.no_db_isolation

# The indexes of the loaded tables as the database reports them (SQLAlchemy's inspector).
INDEXES = """
import json
from sqlalchemy import inspect
from caseapp import create_app
from caseapp.cli.demo_bulk import loaded_tables
from caseapp.extensions import db

app = create_app()
with app.app_context():
    inspector = inspect(db.engine)
    print(json.dumps({table.name: sorted(inspector.get_indexes(table.name),
                                         key=lambda found: found["name"])
                      for table in loaded_tables()}, default=str, sort_keys=True))
"""

# demo-data as the command line runs it, its writer failing after the rows of
# its third batch are in (before the commit); what the database holds at that
# moment is written to the file named in argv[1].
FAIL_THIRD_BATCH = """
import json, sys
from sqlalchemy import inspect
from caseapp.cli import demo_bulk, main

real = demo_bulk.BulkWriter.insert
calls = []
seen_path = sys.argv[1]

def insert_then_fail(self, connection, rng, batch):
    counts = real(self, connection, rng, batch)
    calls.append(1)
    if len(calls) == 3:
        inspector = inspect(connection)
        seen = {t.name: {i["name"]: i["unique"] for i in inspector.get_indexes(t.name)}
                for t in demo_bulk.loaded_tables()}
        with open(seen_path, "w") as out:
            json.dump(seen, out)
        raise RuntimeError("the disk is full")
    return counts

demo_bulk.BulkWriter.insert = insert_then_fail
sys.argv = ["caseapp", "demo-data", "--cases", "500", "--via", "bulk", "--batch", "100",
            "--workers", "0", "--defer-indexes"]
main()
"""

# Drops the named indexes, as a run killed (SIGKILL, power cut) after dropping them leaves them.
DROP = """
import sys
from sqlalchemy import text
from caseapp import create_app
from caseapp.extensions import db

app = create_app()
with app.app_context(), db.engine.begin() as connection:
    for name in sys.argv[1:]:
        connection.execute(text(f'DROP INDEX "{name}"'))
"""


def python(script: str, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=300)


def indexes(env) -> dict:
    done = python(INDEXES, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def non_unique(found: dict) -> list[str]:
    return sorted(i["name"] for listed in found.values() for i in listed if not i["unique"])


def rebuilt(stderr: str) -> list[tuple[int, int]]:
    return [(int(k), int(n)) for k, n in
            re.findall(r"^rebuilding indexes: (\d+)/(\d+) \(\d+%\)", stderr, re.M)]


def test_a_run_with_deferred_indexes_leaves_the_indexes_it_found(
        tmp_path, instance_template, database_url):
    env = start_env(tmp_path, instance_template, database_url)
    before = indexes(env)
    deferred = non_unique(before)
    assert "ix_cases_open_lead_order" in deferred and "ix_audit_entries_object_id" in deferred
    seeded = run_caseapp(["demo-data", "--cases", "300", "--via", "bulk", "--batch", "100",
                          "--workers", "0", "--defer-indexes"], env, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    assert "added 300 synthetic case(s); 300 case(s) in the database" in seeded.stdout
    shown = rebuilt(seeded.stderr)
    assert shown[0] == (0, len(deferred)) and shown[-1] == (len(deferred), len(deferred))
    # The cases' count came to its end before the indexes were built.
    assert seeded.stderr.index("synthetic cases: 300/300") < seeded.stderr.index(
        "rebuilding indexes: 0/")
    assert indexes(env) == before
    state = database_state(env)
    assert state["cases"] == state["people"] == state["created"] == 300
    assert state["broken"] == 0
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A small run (under the threshold, no flag) leaves them alone.
    again = run_caseapp(["demo-data", "--cases", "40", "--via", "bulk", "--workers", "0"], env,
                        timeout=300)
    assert again.returncode == 0, again.stderr
    assert "rebuilding indexes" not in again.stderr
    assert indexes(env) == before


def test_an_error_mid_load_keeps_whole_batches_and_restores_the_indexes(
        tmp_path, instance_template, database_url):
    env = start_env(tmp_path, instance_template, database_url)
    before = indexes(env)
    seen_path = tmp_path / "during.json"
    failed = python(FAIL_THIRD_BATCH, env, str(seen_path))
    assert failed.returncode != 0
    assert "RuntimeError: the disk is full" in failed.stderr
    # During the load: the non-unique indexes were gone, the unique ones there.
    during = json.loads(seen_path.read_text())
    unique = sorted(i["name"] for listed in before.values() for i in listed if i["unique"])
    assert sorted(name for listed in during.values() for name, is_unique in listed.items()
                  if is_unique) == unique
    assert not [name for listed in during.values() for name, is_unique in listed.items()
                if not is_unique]
    # Afterwards: every index back as it was, the two whole batches kept, the third gone.
    n = len(non_unique(before))
    assert rebuilt(failed.stderr)[-1] == (n, n), failed.stderr
    assert indexes(env) == before
    state = database_state(env)
    assert state["cases"] == state["people"] == state["created"] == 200
    assert state["broken"] == 0
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_next_run_builds_the_indexes_a_killed_run_left_dropped(
        tmp_path, instance_template, database_url):
    env = start_env(tmp_path, instance_template, database_url)
    before = indexes(env)
    gone = ["ix_cases_open_lead_order", "ix_case_people_case_id", "ix_audit_entries_action"]
    assert set(gone) <= set(non_unique(before))
    dropped = python(DROP, env, *gone)
    assert dropped.returncode == 0, dropped.stderr
    assert set(non_unique(indexes(env))) == set(non_unique(before)) - set(gone)

    seeded = run_caseapp(["demo-data", "--cases", "3"], env, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    assert ("3 index(es) of the case tables missing (a run stopped before building them "
            "again): building them first") in seeded.stderr
    assert rebuilt(seeded.stderr)[-1] == (3, 3)
    assert indexes(env) == before
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_ctrl_c_in_a_deferred_load_builds_the_indexes_before_it_stops(
        tmp_path, instance_template, database_url):
    env = start_env(tmp_path, instance_template, database_url)
    before = indexes(env)
    log_path = tmp_path / "seed.log"
    with open(log_path, "w") as log:
        seeding = subprocess.Popen([CASEAPP, "demo-data", "--cases", "3000", "--via", "bulk",
                                    "--batch", "100", "--workers", "0", "--defer-indexes"],
                                   env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                                   start_new_session=True)
        deadline = time.monotonic() + 240
        while "synthetic cases: 300/3000" not in log_path.read_text():
            assert seeding.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        os.killpg(seeding.pid, signal.SIGINT)
        seeding.communicate(timeout=120)
    shown = log_path.read_text()
    assert seeding.returncode == 128 + signal.SIGINT, shown
    assert "Traceback" not in shown
    added = int(re.search(r"interrupted: added (\d+) of 3000", shown).group(1))
    assert 300 <= added < 3000 and added % 100 == 0
    n = len(non_unique(before))
    assert rebuilt(shown)[-1] == (n, n), shown
    assert indexes(env) == before
    state = database_state(env)
    assert state["cases"] == state["people"] == state["created"] == added
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
