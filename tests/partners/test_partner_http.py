"""The partner API over HTTP against `caseapp serve`, with a token issued by the
real `caseapp tokens issue` (its secret alone on its last line)."""
from __future__ import annotations

import json

import pytest

from tests.http_client import HttpSession, ServerProcess, clean_env, free_port, run_caseapp

from .conftest import intake_json

pytestmark = pytest.mark.no_db_isolation


def test_a_partner_files_and_follows_a_report_through_caseapp_serve(fresh_instance):
    env = clean_env(str(fresh_instance))
    issued = run_caseapp(["tokens", "issue", "--unit", "HUYEN", "--scope", "intake:create",
                          "--scope", "case:status", "--name", "Tổng đài 111", "--days", "7"],
                         env)
    assert issued.returncode == 0, issued.stderr
    secret = issued.stdout.strip().splitlines()[-1]
    token_id = issued.stdout.split()[2]
    port = free_port()
    server = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    try:
        server.wait_ready()
        partner = HttpSession(port)
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json",
                   "Idempotency-Key": "call-0001"}
        body = json.dumps(intake_json())
        first = partner.request("POST", "/api/v1/partner/intakes", headers=headers, body=body)
        assert first.status == 201, first.body
        again = partner.request("POST", "/api/v1/partner/intakes", headers=headers, body=body)
        assert again.status == 201 and again.json() == first.json()
        assert "Set-Cookie" not in first.headers and not partner.cookies
        reference = first.json()["reference"]
        status = partner.request("GET", f"/api/v1/partner/cases/{reference}",
                                 headers={"Authorization": f"Bearer {secret}"})
        assert status.status == 200 and status.json()["stage"] == "intake"
        # The token opens no staff route.
        staff = partner.request("GET", "/api/v1/cases",
                                headers={"Authorization": f"Bearer {secret}"})
        assert staff.status == 401

        revoked = run_caseapp(["tokens", "revoke", token_id], env)
        assert revoked.returncode == 0, revoked.stderr
        refused = partner.request("GET", f"/api/v1/partner/cases/{reference}",
                                  headers={"Authorization": f"Bearer {secret}"})
        assert refused.status == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert refused.headers["Content-Type"].startswith("application/problem+json")
    finally:
        server.stop()
