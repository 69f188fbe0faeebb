"""`caseapp demo-data` run as an operator runs it: progress on stderr with the
count and the time left, and an interruption (Ctrl-C) that leaves only whole
cases, a chain that verifies and valid row MACs; running it again adds the rest.
"""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from tests.http_client import CASEAPP, clean_env, run_caseapp
from tests.integration.conftest import ON_POSTGRESQL

pytestmark = pytest.mark.no_db_isolation

# Read by a second process with the instance's keys, as a screen reads the rows.
CHECK_ROWS = """
import json
from sqlalchemy import func, select
from caseapp import create_app
from caseapp.cases.models import Case, CasePerson
from caseapp.crypto.row_integrity import is_intact, sealed_models
from caseapp.extensions import db
import audit

app = create_app()
with app.app_context():
    broken = 0
    for model in sealed_models():
        for row in db.session.scalars(select(model)):
            broken += not is_intact(row)
    entries = audit.audit_entries
    print(json.dumps({
        "cases": db.session.scalar(select(func.count()).select_from(Case)),
        "people": db.session.scalar(select(func.count()).select_from(CasePerson)),
        "created": db.session.scalar(select(func.count()).select_from(entries)
                                     .where(entries.c.action == "case.create")),
        "stages": sorted(set(db.session.scalars(select(Case.stage)))),
        "broken": broken,
    }))
"""


def database_state(env: dict[str, str]) -> dict:
    import json

    done = subprocess.run([sys.executable, "-c", CHECK_ROWS], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_env(tmp_path, instance_template, database_url) -> dict[str, str]:
    import shutil

    extra = {"CASEAPP_DATABASE_URL": database_url} if database_url else {}
    env = clean_env(str(tmp_path / "inst"), **extra)
    if database_url:
        made = run_caseapp(["quickstart", "--no-serve"], env)
        assert made.returncode == 0, made.stderr
    else:
        shutil.copytree(instance_template, tmp_path / "inst")
    return env


def test_interrupted_seeding_keeps_whole_cases_and_a_rerun_adds_the_rest(
        tmp_path, instance_template, database_url):
    env = start_env(tmp_path, instance_template, database_url)
    wanted = 300
    log_path = tmp_path / "seed.log"
    with open(log_path, "w") as log:  # not a terminal: plain progress lines
        seeding = subprocess.Popen([CASEAPP, "demo-data", "--cases", str(wanted), "--batch",
                                    "25"], env=env, stdout=subprocess.PIPE, stderr=log,
                                   text=True)
        deadline = time.monotonic() + 240
        # Interrupt once the first tenth is committed and shown, mid-way through the rest.
        while "synthetic cases: 30/300" not in log_path.read_text():
            assert seeding.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        seeding.send_signal(signal.SIGINT)
        out, _ = seeding.communicate(timeout=120)
    shown = log_path.read_text()
    assert seeding.returncode == 128 + signal.SIGINT, shown
    assert "Traceback" not in shown
    told = re.search(r"interrupted: added (\d+) of 300 synthetic case\(s\), each one whole; "
                     r"run again with --cases (\d+) to add the rest", shown)
    assert told, shown
    added, rest = int(told.group(1)), int(told.group(2))
    assert 30 <= added < wanted and added + rest == wanted

    state = database_state(env)
    # Every case whole: its one person, its "case.create" entry; MACs valid.
    assert state["cases"] == state["people"] == state["created"] == added
    assert state["broken"] == 0
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    more = run_caseapp(["demo-data", "--cases", str(rest)], env, timeout=300)
    assert more.returncode == 0, more.stderr
    assert f"added {rest} synthetic case(s); {wanted} case(s) in the database" in more.stdout
    lines = more.stderr.splitlines()
    # A line per tenth, each with the count, the rate and the time left; the last the time taken.
    assert len(lines) >= 10
    for line in lines[:-1]:
        assert re.fullmatch(rf"synthetic cases: \d+/{rest} \(\d+%\), [\d.]+/s, time left "
                            r"(\d+s|\d+m \d\ds|\d+h \d\dm)", line), line
    assert re.fullmatch(rf"synthetic cases: {rest}/{rest} \(100%\), [\d.]+/s, took \S+( \S+)?",
                        lines[-1]), lines[-1]
    state = database_state(env)
    assert state["cases"] == state["people"] == state["created"] == wanted
    assert state["broken"] == 0
    assert {"intake", "assessment", "support", "closure"} <= set(state["stages"])
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.skipif(ON_POSTGRESQL, reason="the option's bound, the same on every database")
def test_demo_data_takes_two_million_and_refuses_more(tmp_path, instance_template):
    env = start_env(tmp_path, instance_template, None)
    refused = run_caseapp(["demo-data", "--cases", "2000001"], env)
    assert refused.returncode == 2 and "2000000" in refused.stderr
    helped = run_caseapp(["demo-data", "--help"], env)
    assert "2000000" in helped.stdout and "Ctrl-C" in helped.stdout
