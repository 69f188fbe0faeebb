"""`caseapp demo-data --via bulk` run as an operator runs it, on a fresh instance:
the cases it writes in bulk are stored as the app stores them -- the audit
chain verifies, every row MAC holds, the child's name opens on the case page
for the officer on the case, "My cases" and the supervision queue list them --
and an interruption leaves whole batches only.
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

from tests.http_client import (
    CASEAPP,
    HttpSession,
    ServerProcess,
    free_port,
    run_caseapp,
)
from tests.integration.test_demo_data import database_state, start_env

pytestmark = pytest.mark.no_db_isolation

# A second process with the instance's keys opens one open case of demo.cb1 the
# way the case page does (the service checks the officer, unlocks, audits).
OPEN_ONE = """
import json
from sqlalchemy import select
from caseapp import create_app
from caseapp.accounts import service as accounts
from caseapp.cases import service
from caseapp.cases.models import Case
from caseapp.crypto import key_scope
from caseapp.crypto.row_integrity import is_intact
from caseapp.extensions import db

app = create_app()
with app.app_context():
    officer = accounts.find_user("demo.cb1")
    case = db.session.scalars(select(Case).where(Case.lead_officer_id == officer.id,
                                                 Case.stage != "closure")
                              .order_by(Case.reference)).first()
    with key_scope():
        service.open_child_data(officer, case)
        name = case.child_full_name
        mother = case.people[0].full_name
    db.session.rollback()
    print(json.dumps({"reference": case.reference, "name": name, "mother": mother,
                      "intact": is_intact(case), "key_version": case.data_key_version,
                      "references": sorted(db.session.scalars(select(Case.reference)))}))
"""


def open_one(env) -> dict:
    done = subprocess.run([sys.executable, "-c", OPEN_ONE], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_bulk_cases_verify_open_for_their_officer_and_are_listed(
        tmp_path, instance_template, database_url):
    env = start_env(tmp_path, instance_template, database_url)
    seeded = run_caseapp(["demo-data", "--cases", "300", "--via", "bulk", "--batch", "50"],
                         env, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    assert "added 300 synthetic case(s); 300 case(s) in the database" in seeded.stdout
    password = re.search(r"password \(shown once\): (\S+)", seeded.stdout).group(1)
    lines = seeded.stderr.splitlines()
    assert re.fullmatch(r"synthetic cases: 300/300 \(100%\), [\d.]+/s, took \S+( \S+)?",
                        lines[-1]), seeded.stderr
    for line in lines[:-1]:
        assert re.fullmatch(r"synthetic cases: \d+/300 \(\d+%\), [\d.]+/s, time left \S+",
                            line), line

    state = database_state(env)
    assert state["cases"] == state["people"] == state["created"] == 300
    assert state["broken"] == 0
    assert {"assessment", "support", "closure"} <= set(state["stages"])
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # Both long phases say how far they got: the chain, then the sealed rows.
    assert re.search(r"^checking entries: \d+", verified.stderr, re.M), verified.stderr
    walked = re.findall(r"^checking sealed rows: (\d+)/(\d+) \((\d+)%\)", verified.stderr, re.M)
    assert walked and walked[-1][0] == walked[-1][1] and int(walked[-1][1]) > 300, verified.stderr

    # A larger run adds a commune and its officer, who shares the demo password.
    more = run_caseapp(["demo-data", "--cases", "4001", "--via", "bulk"], env, timeout=600)
    assert more.returncode == 0, more.stderr
    assert "created demo staff demo.cb003; they share the password of the other demo staff" \
        in more.stdout and "shown once" not in more.stdout
    assert "4301 case(s) in the database" in more.stdout

    one = open_one(env)
    assert one["intact"] and one["key_version"] == 1
    assert len(one["name"].split()) == 3 and len(one["mother"].split()) == 3

    port = free_port()
    server = ServerProcess(["serve", "--workers", "1", "--port", str(port)], env, port)
    try:
        server.wait_ready()
        officer = HttpSession(port)
        assert officer.login("demo.cb1", password).status in (200, 302)
        page = officer.get(f"/cases/{one['reference']}")
        assert page.status == 200, page.status
        assert one["name"] in page.body and one["mother"] in page.body
        mine = officer.get("/cases")
        assert mine.status == 200 and one["reference"] in mine.body
        newcomer = HttpSession(port)
        assert newcomer.login("demo.cb003", password).status in (200, 302)
        theirs = newcomer.get("/cases")
        assert theirs.status == 200
        assert [ref for ref in one["references"] if ref in theirs.body]
        supervisor = HttpSession(port)
        assert supervisor.login("demo.gs", password).status in (200, 302)
        queue = supervisor.get("/supervision")
        assert queue.status == 200
        listed = [ref for ref in one["references"] if ref in queue.body]
        assert listed, "the supervision queue lists none of the seeded cases"
    finally:
        server.stop()
    # The reads above were audited, and the chain still verifies.
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_bulk_seeding_keeps_whole_batches(tmp_path, instance_template,
                                                      database_url, how):
    env = start_env(tmp_path, instance_template, database_url)
    wanted, batch = 20_000, 200
    log_path = tmp_path / "seed.log"
    with open(log_path, "w") as log:
        # Its own process group, as a terminal's foreground job: Ctrl-C reaches
        # the command and its worker processes alike.
        seeding = subprocess.Popen([CASEAPP, "demo-data", "--cases", str(wanted), "--via",
                                    "bulk", "--batch", str(batch), "--workers", "2"], env=env,
                                   stdout=subprocess.PIPE, stderr=log, text=True,
                                   start_new_session=True)
        deadline = time.monotonic() + 240
        while "synthetic cases: 2000/20000" not in log_path.read_text():
            assert seeding.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        if how == "ctrl-c":
            os.killpg(seeding.pid, signal.SIGINT)
        else:
            seeding.send_signal(signal.SIGTERM)
        seeding.communicate(timeout=120)
    shown = log_path.read_text()
    number = signal.SIGINT if how == "ctrl-c" else signal.SIGTERM
    assert seeding.returncode == 128 + number, shown
    assert "Traceback" not in shown
    told = re.search(r"interrupted: added (\d+) of 20000 synthetic case\(s\), each one whole; "
                     r"run again with --cases (\d+) to add the rest", shown)
    assert told, shown
    added = int(told.group(1))
    assert 2000 <= added < wanted and added % batch == 0
    assert int(told.group(2)) == wanted - added
    # The worker processes stopped with the command: nothing is left in its group.
    with pytest.raises(ProcessLookupError):
        os.killpg(seeding.pid, 0)
    state = database_state(env)
    assert state["cases"] == state["people"] == state["created"] == added
    assert state["broken"] == 0
    verified = run_caseapp(["audit", "verify"], env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.fixture
def second_database_url(database_url):
    """Another database of its own on PostgreSQL (None on SQLite)."""
    if database_url is None:
        yield None
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(database_url)
    name = f"caseapp_inst_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_worker_processes_make_the_cases_one_process_makes(
        tmp_path, instance_template, database_url, second_database_url):
    """The same seed makes the same synthetic cases with or without worker
    processes: the same references, the same child data once opened, and
    in both a chain that verifies and row MACs that hold."""
    seen = []
    for name, url, workers in (("alone", database_url, "0"),
                               ("pool", second_database_url, "2")):
        env = start_env(tmp_path / name, instance_template, url)
        seeded = run_caseapp(["demo-data", "--cases", "700", "--via", "bulk", "--batch", "60",
                              "--seed", "7", "--workers", workers], env, timeout=300)
        assert seeded.returncode == 0, seeded.stderr
        assert "added 700 synthetic case(s); 700 case(s) in the database" in seeded.stdout
        verified = run_caseapp(["audit", "verify"], env, timeout=300)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        state = database_state(env)
        assert state["cases"] == state["people"] == state["created"] == 700
        assert state["broken"] == 0
        seen.append((open_one(env), state))
    (alone, alone_state), (pooled, pooled_state) = seen
    assert len(set(alone["references"])) == 700
    assert pooled["references"] == alone["references"]
    assert (pooled["reference"], pooled["name"], pooled["mother"]) == \
        (alone["reference"], alone["name"], alone["mother"])
    assert pooled_state["stages"] == alone_state["stages"]
