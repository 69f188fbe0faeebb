"""Schemathesis against the running server's own OpenAPI document.

`caseapp serve` on a fresh instance (SQLite; on PostgreSQL when the suite runs
there: a database of its own, made and dropped by the test), one case recorded
through the API, and schemathesis run as each kind of caller (a counselor, the
officer leading the case, a supervisor: every operation; a partner's bearer
token: the /partner routes, on a case it filed) against /api/v1/openapi.json with these checks:

- not_a_server_error: no 5xx;
- response_schema_conformance: every answer fits the schema of its status;
- status_code_conformance: every status is one the operation documents;
- content_type_conformance: every answer has a documented content type;
- negative_data_rejection: a request the schema forbids (a wrong type, an
  unknown field, a value out of range, a repeated query parameter...) is
  refused with a 4xx.

Bounded by examples, not by time: ``--max-examples`` per operation and phase
(CASEAPP_FUZZ_EXAMPLES, 10 by default; ``--max-time`` would make schemathesis
keep generating until the time is spent), with CASEAPP_FUZZ_SECONDS as a
hard cap on each run. CASEAPP_FUZZ_SEED replays a run (each failure names its
seed). Two schemathesis workers, one per worker of the server: both serve, as
in production, and the run takes about half as long.

Every operation is tested; none is excluded. The case's reference is given to
schemathesis for every `{reference}` (else each call is a 404 and nothing
behind the scoped query is reached). In the officer's run the case also has a
drafted plan, a follow-up, a goal, a removal request and a person of the
family, made through the API first, whose ids are given for `{plan_id}`,
`{follow_up_id}`, `{goal_id}`, `{request_id}` and `{member_id}`; the plan is
then approved, support started and the case referred, so `{referral_id}`
names a referral of it. In the supervisor's run a second supervisor of the
unit has asked for the case to move to a unit below it, so `{transfer_id}`
names a transfer the fuzzed supervisor may accept or decline (a receiving
supervisor who did not ask for it).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from caseapp.cases.deadlines import VIETNAM
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
CHECKS = ("not_a_server_error,response_schema_conformance,status_code_conformance,"
          "content_type_conformance,negative_data_rejection")
EXAMPLES = os.environ.get("CASEAPP_FUZZ_EXAMPLES", "10")
SECONDS = int(os.environ.get("CASEAPP_FUZZ_SECONDS", "300"))
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
UNIT = "HUYEN"  # the unit `caseapp quickstart` makes
# What counts as refusing a request the schema forbids: schemathesis's list with
# 413 and 414 (a body or a URL too large: gunicorn answers 414 before the app for
# a request line over 4094 bytes, and the document says so) and without 5xx
# (a server error is never a refusal; not_a_server_error fails it anyway).
CONFIG = """[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 422, 428, 429]

"""
# The partner routes (token only) live under this path.
PARTNER_PATHS = "^/partner/"


class Instance:
    """A served instance made as a user makes one, with a case in it."""

    def __init__(self, folder, template, database_url: str | None):
        extra = {"CASEAPP_DATABASE_URL": database_url} if database_url else {}
        self.database_url = database_url
        self.env = clean_env(str(folder), **extra)
        if database_url:
            made = run_caseapp(["quickstart", "--no-serve"], self.env)
            assert made.returncode == 0, made.stderr
        else:
            shutil.copytree(template, folder)  # quickstart's instance, made once per worker
        self.port = free_port()
        self.server: ServerProcess | None = None

    def add_user(self, username: str, role: str) -> None:
        made = run_caseapp(["users", "create", username, "--role", role, "--unit", UNIT,
                            "--password-stdin", "--own-password"], self.env,
                           stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr

    def serve(self) -> None:
        self.server = ServerProcess(["serve", "--workers", "2", "--port", str(self.port)],
                                    self.env, self.port)
        self.server.wait_ready()

    def log_in(self, username: str) -> tuple[HttpSession, str]:
        person = HttpSession(self.port)
        assert logged_in(person.login(username, PASSWORD))
        return person, person.get("/api/v1/me").json()["csrf_token"]

    def count_cases(self) -> int:
        """Read from the database the instance is configured with (not the server)."""
        url = self.database_url or f"sqlite:///{self.env['CASEAPP_INSTANCE']}/caseapp.db"
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM cases")).scalar_one()
        finally:
            engine.dispose()


def vietnam_today():
    """Today where the app's users are: its dates (a decision's, a meeting's) are
    days in Vietnam. The machine's own date is a day behind from 17:00 UTC, and a
    decision dated then was refused as made before the plan's approval."""
    return datetime.now(VIETNAM).date()


def intake() -> dict:
    return {"received_at": datetime.now().isoformat(timespec="minutes"),
            "channel": "online_report", "requested_by": "child", "help_requested": True,
            "harm_categories": ["cyberbullying"], "platforms": ["tiktok"],
            "narrative": "Bị bắt nạt trên mạng (dữ liệu thử, không phải trẻ thật)",
            "child": {"full_name": "Trẻ Thử Nghiệm", "estimated_age": 12}}


def record_case(person: HttpSession, path: str, body: dict, headers: dict[str, str]) -> str:
    answer = person.request("POST", path, body=json.dumps(body),
                            headers={"Content-Type": "application/json", **headers})
    assert answer.status == 201, answer.body
    return answer.json()["reference"]


def post_json(person: HttpSession, csrf: str, path: str, body: dict):
    return person.request("POST", path, body=json.dumps(body),
                          headers={"Content-Type": "application/json", "X-CSRFToken": csrf})


def case_parts(person: HttpSession, csrf: str, reference: str) -> dict[str, str]:
    """A follow-up, a goal, a harmful item and its removal request on the case,
    made by the officer leading it: their ids, by the path parameter that
    names them, so that those routes are fuzzed beyond "not found"."""
    today = vietnam_today()
    base = f"/api/v1/cases/{reference}"

    def version() -> int:
        return person.get(base).json()["case"]["version"]

    steps = [("transition", {"to": "assessment", "risk_level": "low", "harm": "low",
                             "access": "low", "obstacles": "low", "notes": "Thử"}),
             ("needs-assessments", {"notes": "Cần tư vấn", "condition": "Em lo lắng",
                                    "family": "Mẹ quan tâm", "service_needs": "Tư vấn",
                                    "meeting_date": today.isoformat(),
                                    "meeting_participants": "Cán bộ, mẹ của em"}),
             ("plans", {"goals": "Em đi học lại",
                        "items": [{"action": "Tư vấn", "who": "officer.fuzz",
                                   "provider": "Trung tâm CTXH"}]})]
    made = {}
    for path, body in steps:  # to a drafted plan: its goals are the plan's
        if path != "needs-assessments":  # a form of its own, not a change of the case's
            body = {**body, "version": version()}
        answer = post_json(person, csrf, f"{base}/{path}", body)
        assert answer.status in (200, 201), (path, answer.body)
    made["plan_id"] = answer.json()["plan"]["id"]
    answer = post_json(person, csrf, f"{base}/follow-ups", {
        "due_on": (today + timedelta(days=2)).isoformat(), "kind": "call",
        "assignee": "officer.fuzz"})
    assert answer.status == 201, answer.body
    made["follow_up_id"] = answer.json()["follow_up"]["id"]
    answer = post_json(person, csrf, f"{base}/goals", {"text": "Em an tâm đi học lại"})
    assert answer.status == 201, answer.body
    made["goal_id"] = answer.json()["goal"]["id"]
    answer = post_json(person, csrf, f"{base}/takedown/items", {
        "platform": "tiktok", "kind": "post", "link": "https://example.invalid/p/1"})
    assert answer.status == 201, answer.body
    item = answer.json()["takedown"]["item_id"]
    answer = post_json(person, csrf, f"{base}/takedown/requests", {
        "item_id": item, "channel": "platform_report", "sent_on": today.isoformat()})
    assert answer.status == 201, answer.body
    made["request_id"] = answer.json()["takedown"]["request_id"]
    answer = post_json(person, csrf, f"{base}/family", {"relation": "mother",
                                                        "full_name": "Người mẹ thử"})
    assert answer.status == 201, answer.body
    made["member_id"] = answer.json()["family_member"]["id"]
    return made


def refer(person: HttpSession, csrf: str, supervisor: HttpSession, supervisor_csrf: str,
          reference: str, plan_id: str) -> str:
    """The drafted plan approved and decided, support started, the case referred:
    the id of a referral of the case."""
    base = f"/api/v1/cases/{reference}"
    today = vietnam_today().isoformat()
    steps = [(supervisor, supervisor_csrf, f"{base}/plans/{plan_id}/approve", {}),
             (person, csrf, f"{base}/plans/decision", {
                 "number": "21/QĐ-UBND", "signatory": "Chủ tịch UBND xã", "decided_on": today}),
             (person, csrf, f"{base}/transition", {"to": "support"}),
             (person, csrf, f"{base}/transition", {
                 "to": "referral", "agency": "school", "reason": "Nhà trường theo dõi",
                 "sharing_basis": "legal_duty"}),
             (person, csrf, f"{base}/referrals", {
                 "agency": "legal_aid", "reason": "Tư vấn pháp lý",
                 "sharing_basis": "legal_duty"})]
    for who, token, path, body in steps:
        if path.endswith(("/approve", "/transition")):  # made on the version read first
            body = {**body, "version": who.get(base).json()["case"]["version"]}
        answer = post_json(who, token, path, body)
        assert answer.status in (200, 201), (path, answer.body)
    return answer.json()["referral"]["id"]


def ask_transfer(supervisor: HttpSession, csrf: str, reference: str, to_unit: str) -> str:
    version = supervisor.get(f"/api/v1/cases/{reference}").json()["case"]["version"]
    answer = post_json(supervisor, csrf, f"/api/v1/cases/{reference}/transfer", {
        "to_unit": to_unit, "reason_code": "handed_down", "reason": "Xã theo dõi gần hơn",
        "version": version})
    assert answer.status == 201, answer.body
    return answer.json()["transfer"]["id"]


def schemathesis(port: int, folder, headers: dict[str, str], reference: str | None,
                 *extra: str, parts: dict[str, str] | None = None) -> str:
    """Run schemathesis; its output when every check passed, else a failed test."""
    assert shutil.which(SCHEMATHESIS), "schemathesis is a test dependency"
    config = folder / "schemathesis.toml"
    given = {"reference": reference, **(parts or {})} if reference else {}
    config.write_text(CONFIG + ("[parameters]\n" if given else "") + "".join(
        f'"path.{name}" = "{value}"\n' for name, value in given.items()))
    seed = os.environ.get("CASEAPP_FUZZ_SEED") or str(random.getrandbits(64))
    command = [SCHEMATHESIS, "--config-file", str(config), "run",
               f"http://127.0.0.1:{port}/api/v1/openapi.json", "--checks", CHECKS,
               "--max-examples", EXAMPLES, "--seed", seed, "--workers", "2",
               "--generation-database", "none", "--request-timeout", "30",
               # The caller's credentials are the headers below, not generated ones.
               "--generation-with-security-parameters", "false",
               "--suppress-health-check", "all", *extra]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    started = time.monotonic()
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS,
                             cwd=str(folder), env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"schemathesis ran past CASEAPP_FUZZ_SECONDS={SECONDS} (seed {seed})")
    took = time.monotonic() - started
    output = run.stdout
    (folder / "schemathesis.out").write_text(output + run.stderr)
    failures = output.partition("= FAILURES =")[2] or output[-4000:]
    assert run.returncode == 0, (
        f"schemathesis found violations (replay with CASEAPP_FUZZ_SEED={seed}):\n"
        f"{failures[:12000]}\n{run.stderr[-2000:]}")
    summary = output.partition("SUMMARY")[2]
    assert "Failures" not in summary and "Errors" not in summary, output[-4000:]
    print(f"schemathesis ({' '.join(extra) or 'all operations'}): "
          f"{summary.split('Test cases:')[-1].strip().splitlines()[0]} in {took:.0f} s, "
          f"seed {seed}")
    return output


@pytest.fixture
def instance(tmp_path, instance_template, database_url):
    made = Instance(tmp_path / "inst", instance_template, database_url)
    yield made
    if made.server is not None:
        made.server.stop()
        log = made.server.log()
        at = log.find("Traceback")
        assert at < 0, log[max(0, at - 300):at + 3000]


@pytest.mark.parametrize("role", ["counselor", "officer", "supervisor"])
def test_schemathesis_finds_no_violation_as_staff(instance, tmp_path, role):
    """The routes answer each role differently (a supervisor assigns and
    approves, sees no child data; a counselor records and reads the cases they
    recorded; the officer the case is assigned to works it: notes, stages,
    plans, people): each caller is fuzzed."""
    instance.add_user("tuvan.fuzz", "counselor")
    if role != "counselor":
        instance.add_user(f"{role}.fuzz", role)
    if role in ("officer", "supervisor"):
        instance.add_user("giamsat.fuzz", "supervisor")
    if role == "supervisor":  # a unit below, to move the case to
        made = run_caseapp(["units", "create", "XAFUZZ", "Đoàn xã thử", "--parent", UNIT],
                           instance.env)
        assert made.returncode == 0, made.stderr
    instance.serve()
    recorder, recorder_csrf = instance.log_in("tuvan.fuzz")
    reference = record_case(recorder, "/api/v1/cases", {"unit": UNIT, **intake()},
                            {"X-CSRFToken": recorder_csrf})
    if role == "officer":  # the officer leads the case: every route of it is theirs
        supervisor, supervisor_csrf = instance.log_in("giamsat.fuzz")
        version = supervisor.get(f"/api/v1/cases/{reference}").json()["case"]["version"]
        assigned = post_json(supervisor, supervisor_csrf, f"/api/v1/cases/{reference}/assign",
                             {"lead_officer": "officer.fuzz", "version": version})
        assert assigned.status == 200, assigned.body
    person, csrf = (recorder, recorder_csrf) if role == "counselor" \
        else instance.log_in(f"{role}.fuzz")
    parts = None
    if role == "officer":
        parts = case_parts(person, csrf, reference)
        parts["referral_id"] = refer(person, csrf, supervisor, supervisor_csrf, reference,
                                     parts["plan_id"])
    elif role == "supervisor":  # asked by another supervisor: this one may decide it
        asker, asker_csrf = instance.log_in("giamsat.fuzz")
        parts = {"transfer_id": ask_transfer(asker, asker_csrf, reference, "XAFUZZ")}
        assert person.get(f"/api/v1/transfers/{parts['transfer_id']}").status == 200
    cookie = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
    output = schemathesis(instance.port, tmp_path, {"Cookie": cookie, "X-CSRFToken": csrf},
                          reference, parts=parts)
    assert "Tested: " in output
    # The session stayed valid throughout (a logout would make every answer a 401).
    assert person.get("/api/v1/me").status == 200
    # The server wrote to the database this instance is configured with
    # (PostgreSQL when the suite runs there): the case recorded above, and those
    # schemathesis recorded.
    assert instance.count_cases() >= 1


def test_schemathesis_finds_no_violation_with_a_partner_token(instance, tmp_path):
    """The partner routes, with a token of the unit (Authorization: Bearer)."""
    issued = run_caseapp(["tokens", "issue", "--unit", UNIT, "--scope", "intake:create",
                          "--scope", "case:status", "--name", "fuzz", "--days", "1"],
                         instance.env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]  # the secret, alone on the last line
    instance.serve()
    bearer = {"Authorization": f"Bearer {token}"}
    # A case this partner filed: the one whose stage the token may read.
    reference = record_case(HttpSession(instance.port), "/api/v1/partner/intakes", intake(),
                            bearer)
    schemathesis(instance.port, tmp_path, bearer, reference,
                 "--include-path-regex", PARTNER_PATHS)
