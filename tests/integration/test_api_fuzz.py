"""Schemathesis against the running server's own OpenAPI document: no 5xx.

Bounded in time (CASEAPP_FUZZ_SECONDS, 10 s by default; CI gives it more),
as a logged-in counselor who has recorded one case, on `caseapp serve`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.http_client import (
    HttpSession,
    ServerProcess,
    clean_env,
    free_port,
    logged_in,
    run_caseapp,
)

pytestmark = pytest.mark.no_db_isolation

PASSWORD = "một câu mật khẩu dài để thử nghiệm"


def test_schemathesis_finds_no_server_error(fresh_instance, tmp_path):
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    assert shutil.which(schemathesis), "schemathesis is a test dependency"
    env = clean_env(str(fresh_instance))
    made = run_caseapp(["users", "create", "tuvan.fuzz", "--role", "counselor", "--unit",
                        "HUYEN", "--password-stdin", "--own-password"], env,
                       stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    port = free_port()
    server = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    try:
        server.wait_ready()
        person = HttpSession(port)
        assert logged_in(person.login("tuvan.fuzz", PASSWORD))
        token = person.get("/api/v1/me").json()["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
        seconds = os.environ.get("CASEAPP_FUZZ_SECONDS", "10")
        run = subprocess.run(
            [schemathesis, "run", f"http://127.0.0.1:{port}/api/v1/openapi.json",
             "--checks", "not_a_server_error", "--max-time", seconds, "--workers", "1",
             "--header", f"Cookie: {cookie}", "--header", f"X-CSRFToken: {token}",
             "--suppress-health-check", "all"],
            capture_output=True, text=True, timeout=int(seconds) + 240,
            cwd=str(tmp_path), env={**os.environ, "NO_COLOR": "1"})
        tail = run.stdout[-3000:]
        assert run.returncode == 0, tail
        summary = tail.split("SUMMARY")[-1]
        # Warnings (a counselor gets 403 from /figures, made for supervisors) are not
        # failures; a server error would be listed under "Failures".
        assert " passed" in tail and "Failures" not in summary and "❌" not in summary, tail
        # The session stayed valid throughout (a logout would make every answer a 401).
        assert person.get("/api/v1/me").status == 200
    finally:
        server.stop()
    assert "Traceback" not in server.log()
