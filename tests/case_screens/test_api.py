"""The JSON API: the whole lifecycle, errors, CSRF and the OpenAPI document."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from caseapp import clock
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.cases.conftest import CHILD_NAME, NARRATIVE, audit_count

from .conftest import api_token


def intake_json(**overrides):
    body = {
        "unit": "XA", "received_at": clock.now().isoformat(), "channel": "online_report",
        "help_requested": True, "requested_by": "child",
        "harm_categories": ["cyberbullying"], "platforms": ["tiktok"],
        "immediate_danger": True, "narrative": NARRATIVE,
        "child": {"full_name": CHILD_NAME, "date_of_birth": "2013-05-06", "gender": "male",
                  "address": "Xã Hiệp Hoà", "school": "THCS Lý Tự Trọng"},
        "reporter": {"name": "Trần Văn A", "relation": "bố", "phone": "0912 000 111"},
        "consent": {"child": True, "guardian": True, "legal_ground": None},
    }
    body.update(overrides)
    return body


# The routes whose change is made on a version of the case (the body names it).
VERSIONED = re.compile(r"^/cases/(HS-[^/]+)/(assign|transition|plans|plans/[^/]+/(approve|return)"
                       r"|closure-request|closure-rejection|transfer)$")


class Api:
    def __init__(self, client):
        self.client = client
        self.token = api_token(client)

    def get(self, path):
        return self.client.get("/api/v1" + path)

    def post(self, path, body=None, expect=200):
        """POST ``body``; on a route that takes the case's version and a body
        that names none, the version the caller reads first (as a client does)."""
        body = dict(body or {})
        versioned = VERSIONED.match(path)
        if versioned and "version" not in body:
            shown = self.get(f"/cases/{versioned.group(1)}")
            if shown.status_code == 200:
                body["version"] = shown.json["case"]["version"]
        response = self.client.post("/api/v1" + path, json=body,
                                    headers={"X-CSRFToken": self.token})
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.json


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_lifecycle_through_the_api(people, login):
    counselor, supervisor = Api(login(people.counselor)), Api(login(people.supervisor))
    officer = Api(login(people.officer))

    created = counselor.post("/cases", intake_json(), expect=201)
    ref = created["reference"]
    assert created["case"]["stage"] == "intake" and created["case"]["immediate_danger"]
    assert counselor.get(f"/cases/{ref}").json["case"]["child"]["full_name"] == CHILD_NAME

    hidden = supervisor.get(f"/cases/{ref}").json["case"]
    assert hidden["child"] is None and hidden["child_data_hidden"] is True
    assert CHILD_NAME not in supervisor.get(f"/cases/{ref}").get_data(as_text=True)
    listed = {c["reference"]: c for c in supervisor.get("/cases").json["cases"]}
    assert listed[ref]["child"] is None

    supervisor.post(f"/cases/{ref}/assign", {"lead_officer": people.officer.username,
                                              "assignees": [people.officer2.username]})
    mine = {c["reference"]: c for c in officer.get("/cases").json["cases"]}
    assert mine[ref]["child"]["full_name"] == CHILD_NAME

    officer.post(f"/cases/{ref}/support-actions", {"kind": "emergency",
                                                   "description": "Gọi điện cho gia đình"},
                 expect=201)
    officer.post(f"/cases/{ref}/transition", {
        "to": "assessment", "risk_level": "medium", "harm": "medium", "access": "low",
        "obstacles": "low", "notes": "Nguy cơ trung bình"})
    assert counselor.get(f"/cases/{ref}").status_code == 404
    # Support carries out an approved plan: refused before it.
    assert "plan" in officer.post(f"/cases/{ref}/transition", {"to": "support"},
                                  expect=422)["fields"]
    officer.post(f"/cases/{ref}/needs-assessments", {
        "notes": "Cần tư vấn", "condition": "Em lo lắng", "family": "Mẹ quan tâm",
        "service_needs": "Tư vấn tâm lý", "meeting_date": "2026-01-05",
        "meeting_participants": "Cán bộ, mẹ của em"}, expect=201)
    plan = officer.post(f"/cases/{ref}/plans", {
        "goals": "Em đi học lại", "items": [{"action": "Tư vấn", "who": "cb.minh",
                                             "start": "2030-12-01", "due": "2031-01-01",
                                             "cost": 300000}]}, expect=201)["plan"]
    returned = supervisor.post(f"/cases/{ref}/plans/{plan['id']}/return",
                               {"reason": "Thêm cơ sở cung cấp dịch vụ"})["plan"]
    assert returned["returned_at"]
    plan = officer.post(f"/cases/{ref}/plans", {
        "goals": "Em đi học lại", "items": [{"action": "Tư vấn", "who": "cb.minh",
                                             "provider": "Trung tâm CTXH"}]},
                        expect=201)["plan"]
    supervisor.post(f"/cases/{ref}/plans/{plan['id']}/approve")
    officer.post(f"/cases/{ref}/plans/decision", {
        "number": "21/QĐ-UBND", "signatory": "Chủ tịch UBND xã",
        "decided_on": clock.now().astimezone(VIETNAM).date().isoformat()},
        expect=201)
    officer.post(f"/cases/{ref}/transition", {"to": "support"})
    # Sharing on consent needs the consent for that agency first (422 without it).
    refused = officer.post(f"/cases/{ref}/transition", {
        "to": "referral", "agency": "school", "reason": "Nhà trường theo dõi",
        "sharing_basis": "consent"}, expect=422)
    assert "sharing_basis" in refused["fields"]
    for agency in ("school", "legal_aid"):
        officer.post(f"/cases/{ref}/sharing-consents", {
            "agency": agency, "basis": "consent", "child": True, "guardian": True}, expect=201)
    officer.post(f"/cases/{ref}/transition", {
        "to": "referral", "agency": "school", "reason": "Nhà trường theo dõi",
        "sharing_basis": "consent"})
    referral = officer.post(f"/cases/{ref}/referrals", {
        "agency": "legal_aid", "reason": "Tư vấn pháp lý", "sharing_basis": "consent"},
        expect=201)["referral"]
    officer.post(f"/cases/{ref}/referrals/{referral['id']}", {"status": "accepted"})
    officer.post(f"/cases/{ref}/notes", {"text": "Đã gặp phụ huynh"}, expect=201)
    officer.post(f"/cases/{ref}/transition", {"to": "support", "reason": "Đã xong"})
    officer.post(f"/cases/{ref}/closure-request", {
        "reason": "resolved", "outcome_summary": "An toàn", "review_harm": "low",
        "review_access": "low", "review_obstacles": "low", "review_self_protection": "high",
        "review_recovery": "high"})
    # Only a supervisor approves: the officer's attempt is refused (403, audited).
    officer.post(f"/cases/{ref}/transition", {"to": "closure"}, expect=403)
    closed = supervisor.post(f"/cases/{ref}/transition", {"to": "closure"})["case"]
    assert closed["stage"] == "closure" and closed["closure_reason"] == "resolved"
    reopened = supervisor.post(f"/cases/{ref}/transition", {"to": "assessment",
                                                            "reason": "new_incident"})["case"]
    assert reopened["stage"] == "assessment"

    detail = officer.get(f"/cases/{ref}").json["case"]
    assert [t["to"] for t in detail["transitions"]] == [
        "assessment", "support", "referral", "support", "closure", "assessment"]
    assert detail["notes"][0]["text"] == "Đã gặp phụ huynh"
    assert {r["agency"] for r in detail["referrals"]} == {"school", "legal_aid"}
    assert detail["plans"][0]["return_reason"] == "Thêm cơ sở cung cấp dịch vụ"
    assert detail["plans"][1]["approved_by"] == people.supervisor.username
    assert detail["plans"][1]["decision"]["number"] == "21/QĐ-UBND"
    assert not detail["plan_missing"] and not detail["decision_missing"]


def test_csrf_header_missing_is_400(people, login):
    client = login(people.counselor)
    before = case_count()
    response = client.post("/api/v1/cases", json=intake_json())
    assert response.status_code == 400 and response.is_json
    assert case_count() == before


def test_bad_input_is_422_and_nothing_is_written(people, login):
    api = Api(login(people.counselor))
    before = case_count(), audit_count(action="case.create")
    cases = [
        (intake_json(consent={"child": "maybe"}), "consent.child"),
        (intake_json(help_requested=None), "help_requested"),
        (intake_json(people=[{"relation": "uncle"}]), "people.0.relation"),
        (intake_json(received_at="yesterday"), "received_at"),
        (intake_json(harm_categories=[]), "harm_categories"),
        (intake_json(harm_categories=["nonsense"]), "harm_categories"),
        (intake_json(channel="pigeon"), "channel"),
        (intake_json(child={"full_name": "  "}), "child.full_name"),
        (intake_json(child={"full_name": "A", "date_of_birth": "2001-01-01"}),
         "child.date_of_birth"),
        (intake_json(child={"full_name": "A", "date_of_birth": "04/03/2012"}),
         "child.date_of_birth"),
        (intake_json(immediate_danger="yes"), "immediate_danger"),
        (intake_json(unit="NOPE"), "unit"),
        (intake_json(narrative=""), "narrative"),
    ]
    for body, field in cases:
        error = api.post("/cases", body, expect=422)
        assert error["status"] == 422 and field in error["fields"], (field, error)
    assert api.post("/cases", None, expect=422)["status"] == 422
    response = api.client.post("/api/v1/cases", data="not json",
                               headers={"X-CSRFToken": api.token,
                                        "Content-Type": "application/json"})
    assert response.status_code == 400  # malformed JSON; a well-formed but wrong body is 422
    assert (case_count(), audit_count(action="case.create")) == before


def test_transition_errors(people, login, make_case):
    case = make_case("intake", assigned=True)
    api = Api(login(people.officer))
    error = api.post(f"/cases/{case.reference}/transition", {"to": "assessment"},
                     expect=422)
    assert "harm" in error["fields"]
    assert api.post(f"/cases/{case.reference}/transition", {"to": "referral"},
                    expect=422)["fields"].get("stage")
    assert api.post(f"/cases/{case.reference}/transition",
                    {"to": "assessment", "risk_level": "high", "notes": "x", "version": 1},
                    expect=409)["status"] == 409
    db.session.refresh(case)
    assert case.stage == "intake"


def test_openapi_describes_every_api_route_from_the_declarations(app, client):
    """Generated from the routes' models: every API rule of the URL map is in it,
    with the problem-details errors, and it is a valid OpenAPI 3.1 document."""
    import re

    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json
    validate(document)
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path][method.lower()]
            if "{" in path:  # only a route naming something answers "not found"
                assert "404" in operation["responses"], (path, method)
                assert "application/problem+json" in operation["responses"]["404"]["content"]
    intake = document["components"]["schemas"]["IntakeIn"]
    assert set(intake["properties"]) >= {
        "unit", "received_at", "channel", "help_requested", "requested_by", "harm_categories",
        "platforms", "immediate_danger", "narrative", "child", "reporter", "consent"}
    assert intake["additionalProperties"] is False  # the declaration refuses unknown fields
