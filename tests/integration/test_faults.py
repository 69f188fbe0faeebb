"""Faults while people work: a worker of `caseapp serve` killed with SIGKILL
in the middle of intakes. Gunicorn starts another; the requests it was
serving fail (the client sees a dropped connection, never a 500); nothing is
half-written: every case answered 201 is there, every case has its
"case.create" entry and its harm kinds, and the audit chain verifies."""
from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from tests.http_client import (
    HttpSession,
    ServerProcess,
    clean_env,
    free_port,
    logged_in,
    run_caseapp,
)

pytestmark = pytest.mark.no_db_isolation

PASSWORD = "mật khẩu dài của tư vấn viên ở huyện"


def workers_of(master: int) -> list[int]:
    with open(f"/proc/{master}/task/{master}/children") as f:
        return [int(pid) for pid in f.read().split()]


def intake(session: HttpSession, token: str, n: int):
    body = {
        "unit": "HUYEN", "received_at": datetime.now(UTC).isoformat(),
        "channel": "online_report", "help_requested": True, "requested_by": "child",
        "harm_categories": ["cyberbullying"], "platforms": ["tiktok"],
        "immediate_danger": False, "narrative": f"Bài kiểm thử số {n}",
        "child": {"full_name": f"Trẻ thử nghiệm {n}", "gender": "male"},
        "consent": {"child": True, "guardian": True, "legal_ground": None},
    }
    return session.request("POST", "/api/v1/cases", body=json.dumps(body),
                           headers={"Content-Type": "application/json", "X-CSRFToken": token})


def test_a_worker_killed_mid_intake_leaves_nothing_half_written(tmp_path, instance_template,
                                                               database_url):
    import shutil

    folder = str(tmp_path / "inst")
    extra = {"CASEAPP_DATABASE_URL": database_url} if database_url else {}
    env = clean_env(folder, CASEAPP_INTAKE_LIMIT_PER_HOUR="100000",
                    CASEAPP_INTAKE_LIMIT_PER_DAY="100000", **extra)
    if database_url:
        assert run_caseapp(["quickstart", "--no-serve"], env).returncode == 0
    else:
        shutil.copytree(instance_template, folder)
    made = run_caseapp(["users", "create", "tuvan.loi", "--role", "counselor", "--unit",
                        "HUYEN", "--password-stdin", "--own-password"], env,
                       stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr

    port = free_port()
    server = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    created: list[str] = []
    answers: list[int] = []
    dropped: list[str] = []
    stop = threading.Event()
    try:
        server.wait_ready()
        counselor = HttpSession(port)
        counselor.login("tuvan.loi", PASSWORD)
        token = counselor.get("/api/v1/me").json()["csrf_token"]

        def keep_recording(offset: int) -> None:
            n = offset
            while not stop.is_set():
                n += 2
                try:
                    answer = intake(counselor, token, n)
                # The worker died under this request (before or while answering:
                # a body cut short is http.client's IncompleteRead).
                except (OSError, http.client.HTTPException) as exc:
                    dropped.append(type(exc).__name__)
                    continue
                answers.append(answer.status)
                if answer.status == 201:
                    created.append(answer.json()["reference"])

        threads = [threading.Thread(target=keep_recording, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        killed = 0
        for _ in range(3):
            time.sleep(2.5)
            for pid in workers_of(server.process.pid)[:1]:
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(2.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop.set()
        server.stop()

    assert killed == 3
    assert created, answers
    assert set(answers) <= {201, 502, 503}, answers  # never a 500
    url = database_url or f"sqlite:///{folder}/caseapp.db"
    engine = create_engine(url)
    with engine.connect() as db:
        stored = set(db.execute(text("SELECT reference FROM cases")).scalars())
        without_harm = db.execute(text(
            "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM "
            "case_harm_categories h WHERE h.case_id = c.id)")).scalar_one()
        entries = db.execute(text("SELECT count(*) FROM audit_entries WHERE action = "
                                  "'case.create' AND outcome = 'ok'")).scalar_one()
    engine.dispose()
    assert set(created) <= stored  # every case answered 201 is there
    assert without_harm == 0  # none half-written
    assert entries == len(stored)  # every case has its entry, no entry without its case
    verified = run_caseapp(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


# --- PostgreSQL restarted under the app ---------------------------------------------------------

RETRY_TITLE = "Chưa lưu được: hãy thử lại"  # "Not saved: try again", in the default language


def postgresql_binaries() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(path.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL's server programs are needed (apt-get install postgresql): "
                    "this test restarts a PostgreSQL of its own")
    return os.path.dirname(found[-1])


class Cluster:
    """A throw-away PostgreSQL cluster on loopback that the test may stop and start."""

    def __init__(self, folder: str, port: int):
        self.bin = postgresql_binaries()
        self.data = os.path.join(folder, "data")
        self.port = port
        self.as_postgres = os.geteuid() == 0  # CI runs as root: the server runs as postgres
        os.makedirs(self.data, mode=0o700)
        if self.as_postgres:
            shutil.chown(folder, "postgres")
            shutil.chown(self.data, "postgres")
        self.run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def run(self, program: str, *args: str) -> None:
        command = [os.path.join(self.bin, program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{program}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.data, "log"), "-w", "-o",
                 f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off",
                 "start")

    def stop(self, mode: str) -> None:
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/caseapp"


@pytest.fixture
def restartable_postgresql():
    # Not under pytest's tmp_path: its folders are private to the user running the tests,
    # and the server runs as postgres.
    folder = tempfile.mkdtemp(prefix="caseapp-faults-pg-")
    os.chmod(folder, 0o755)
    cluster = Cluster(folder, free_port())
    cluster.start()
    try:
        cluster.run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                    "caseapp")
        yield cluster
    finally:
        with contextlib.suppress(AssertionError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def is_clean_retry(answer, api: bool) -> bool:
    """A 503 that says nothing was saved and when to try again (never a crash page)."""
    if answer.status != 503 or answer.headers.get("Retry-After") != "30":
        return False
    if api:
        return answer.json()["title"] == RETRY_TITLE
    return RETRY_TITLE in answer.body


def test_postgresql_restarted_mid_run_fails_cleanly_and_the_app_recovers(
        tmp_path, restartable_postgresql):
    cluster = restartable_postgresql
    folder = str(tmp_path / "inst")
    env = clean_env(folder, CASEAPP_DATABASE_URL=cluster.url,
                    CASEAPP_INTAKE_LIMIT_PER_HOUR="100000", CASEAPP_INTAKE_LIMIT_PER_DAY="100000")
    assert run_caseapp(["quickstart", "--no-serve"], env).returncode == 0
    made = run_caseapp(["users", "create", "tuvan.pg", "--role", "counselor", "--unit",
                        "HUYEN", "--password-stdin", "--own-password"], env,
                       stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr

    port = free_port()
    server = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    created: list[str] = []
    answers: list[tuple[str, int]] = []
    unclean: list[str] = []
    stop = threading.Event()
    try:
        server.wait_ready()
        workers_before = sorted(workers_of(server.process.pid))
        counselor = HttpSession(port)
        assert logged_in(counselor.login("tuvan.pg", PASSWORD))
        token = counselor.get("/api/v1/me").json()["csrf_token"]

        def keep_recording(offset: int) -> None:
            n = offset
            while not stop.is_set():
                n += 2
                try:
                    answer = intake(counselor, token, n)
                # A dropped connection (or a body cut short): not a clean answer.
                except (OSError, http.client.HTTPException) as exc:
                    unclean.append(f"intake: {type(exc).__name__}")
                    continue
                answers.append(("intake", answer.status))
                if answer.status == 201:
                    created.append(answer.json()["reference"])
                elif not is_clean_retry(answer, api=True):
                    unclean.append(f"intake: {answer.status} {answer.body[:200]}")
                time.sleep(0.05)

        def keep_reading() -> None:
            while not stop.is_set():
                try:
                    answer = counselor.get("/cases")
                except OSError as exc:
                    unclean.append(f"my cases: {type(exc).__name__}")
                    continue
                answers.append(("my cases", answer.status))
                if answer.status != 200 and not is_clean_retry(answer, api=False):
                    unclean.append(f"my cases: {answer.status} {answer.body[:200]}")
                time.sleep(0.1)

        threads = [threading.Thread(target=keep_recording, args=(i,)) for i in range(2)]
        threads.append(threading.Thread(target=keep_reading))
        for thread in threads:
            thread.start()
        time.sleep(3)
        before_outage = len(created)
        # Down for a few seconds (connections cut mid-request), then a fast restart:
        # both leave the workers' pooled connections dead.
        cluster.stop("immediate")
        time.sleep(3)
        cluster.start()
        time.sleep(2)
        cluster.stop("fast")
        cluster.start()
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

        # The same server, the same workers, answers again: five intakes in a row.
        after = [intake(counselor, token, 10_000 + n) for n in range(5)]
        assert [a.status for a in after] == [201] * 5, [a.body[:200] for a in after]
        created.extend(a.json()["reference"] for a in after)
        assert server.process.poll() is None
        assert sorted(workers_of(server.process.pid)) == workers_before
    finally:
        stop.set()
        server.stop()

    assert unclean == []  # every answer a success or a clean "try again", never a 500
    assert before_outage > 0
    assert ("intake", 503) in answers  # the outage was seen, and answered cleanly
    engine = create_engine(cluster.url)
    with engine.connect() as db:
        stored = set(db.execute(text("SELECT reference FROM cases")).scalars())
        without_harm = db.execute(text(
            "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM "
            "case_harm_categories h WHERE h.case_id = c.id)")).scalar_one()
        entries = db.execute(text("SELECT count(*) FROM audit_entries WHERE action = "
                                  "'case.create' AND outcome = 'ok'")).scalar_one()
    engine.dispose()
    assert set(created) <= stored  # every case answered 201 is there
    assert without_harm == 0  # none half-written
    assert entries == len(stored)  # every case has its entry, no entry without its case
    verified = run_caseapp(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
