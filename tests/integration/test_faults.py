"""Faults while people work: a worker of `caseapp serve` killed with SIGKILL
in the middle of intakes. Gunicorn starts another; the requests it was
serving fail (the client sees a dropped connection, never a 500); nothing is
half-written: every case answered 201 is there, every case has its
"case.create" entry and its harm kinds, and the audit chain verifies."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from tests.http_client import HttpSession, ServerProcess, clean_env, free_port, run_caseapp

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
                except OSError as exc:  # the worker died under this request
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
