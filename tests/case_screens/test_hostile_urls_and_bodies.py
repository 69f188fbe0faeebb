"""Regression tests for the hostile review of the case workflow."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import audit_entries
from caseapp.extensions import db
from tests.conftest import Auth, csrf_token


def api_token(client) -> str:
    return client.get("/api/v1/me").json["csrf_token"]


def test_unknown_action_text_from_the_url_never_reaches_the_audit_log(app, make_user):
    outsider = make_user("officer")
    client = app.test_client()
    Auth(client).login(outsider)
    token = csrf_token(client, "/account")
    client.post("/cases/HS-ABCDEFGH/Nguyen-Thi-Secret", data={"csrf_token": token})
    rows = db.session.execute(select(audit_entries)).all()
    assert not any("Secret" in " ".join(str(v) for v in row) for row in rows)


@pytest.mark.parametrize("body", [[1, 2, 3], "just a string", 42])
def test_non_object_json_bodies_are_refused_not_500(app, make_user, body):
    officer = make_user("officer")
    client = app.test_client()
    Auth(client).login(officer)
    response = client.post("/api/v1/cases/HS-ABCDEFGH/closure-rejection", json=body,
                           headers={"X-CSRFToken": api_token(client)})
    assert response.status_code in (404, 422)


def test_far_past_intake_time_is_a_field_error_not_500(app, make_user, make_unit):
    counselor = make_user("counselor")
    client = app.test_client()
    Auth(client).login(counselor)
    response = client.post("/api/v1/cases", headers={"X-CSRFToken": api_token(client)}, json={
        "unit": counselor.user.unit.code, "received_at": "0001-01-01T00:00",
        "channel": "phone", "help_requested": True, "requested_by": "child",
        "harm_categories": ["cyberbullying"], "platforms": ["facebook"],
        "immediate_danger": False, "narrative": "Bị bắt nạt trên mạng.",
        "child": {"full_name": "Trẻ Thử Nghiệm", "date_of_birth": "2014-05-01",
                  "gender": "female"},
        "reporter": {"name": "Người Báo Tin", "relation": "mẹ", "phone": "0000111222"},
        "consent": {"child": True, "guardian": True}})
    assert response.status_code == 422
    assert "received_at" in response.json.get("fields", {})


@pytest.mark.parametrize("stage", ["assessment", "support", "referral"])
def test_supervisor_reads_case_detail_past_intake_without_child_data(make_case, people, login,
                                                                     stage):
    """Sealed records of an unassigned supervisor's case are skipped, not read (was a 500)."""
    case = make_case(stage)
    client = login(people.supervisor)
    response = client.get(f"/api/v1/cases/{case.reference}")
    assert response.status_code == 200
    body = response.json["case"]
    assert body["child"] is None and body["child_data_hidden"] is True
    assert all(t["note"] is None for t in body["transitions"])
