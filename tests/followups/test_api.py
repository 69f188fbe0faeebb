"""Follow-ups and goals on the JSON API: declared in the OpenAPI document, the
same checks as the screens, the words only for the people on the case."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from caseapp import clock
from caseapp.extensions import db
from caseapp.followups.models import FollowUp
from tests.case_screens.conftest import api_token

GOAL = "Em Lan đi học đều trở lại trường Kim Đồng"


def test_the_routes_are_declared(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/cases/{reference}/follow-ups"])
    assert "post" in paths["/cases/{reference}/goals"]
    assert "post" in paths["/cases/{reference}/follow-ups/{follow_up_id}/result"]
    assert "post" in paths["/cases/{reference}/goals/{goal_id}/progress"]


def test_plan_settle_and_list_through_the_api(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    headers = {"X-CSRFToken": api_token(officer)}
    base = f"/api/v1/cases/{case.reference}"
    day = (clock.local_today() + timedelta(days=2)).isoformat()
    made = officer.post(f"{base}/follow-ups", headers=headers, json={
        "due_on": day, "kind": "call", "assignee": people.officer.username})
    assert made.status_code == 201, made.json
    follow_up = made.json["follow_up"]["id"]
    goal = officer.post(f"{base}/goals", headers=headers, json={"text": GOAL})
    assert goal.status_code == 201
    goal_id = goal.json["goal"]["id"]
    assert officer.post(f"{base}/goals/{goal_id}/progress", headers=headers, json={
        "status": "in_progress", "note": "Em đi học 3 buổi"}).status_code == 201
    assert officer.post(f"{base}/follow-ups/{follow_up}/result", headers=headers, json={
        "result": "done", "outcome": "Em ổn"}).status_code == 200
    listed = officer.get(f"{base}/follow-ups").json
    assert listed["follow_ups"][0]["state"] == "done" and listed["follow_ups"][0]["outcome"]
    assert listed["goals"][0]["text"] == GOAL and listed["goals"][0]["status"] == "in_progress"
    # A supervisor sees the metadata, not the words.
    seen = login(people.supervisor).get(f"{base}/follow-ups").json
    assert seen["goals"][0]["status"] == "in_progress" and "text" not in seen["goals"][0]
    assert "outcome" not in seen["follow_ups"][0]


def test_bad_input_is_refused_and_changes_nothing(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    headers = {"X-CSRFToken": api_token(officer)}
    url = f"/api/v1/cases/{case.reference}/follow-ups"
    outsider = people.other_officer.username
    for body in ({"due_on": "2027-02-31", "kind": "call", "assignee": "cb.minh"},
                 {"due_on": "1990-01-01", "kind": "call", "assignee": people.officer.username},
                 {"due_on": "2027-01-01", "kind": "visit", "assignee": people.officer.username},
                 {"due_on": "2027-01-01", "kind": "call", "assignee": outsider},
                 {"due_on": "2027-01-01", "kind": "call", "assignee": "x", "extra": 1}):
        response = officer.post(url, headers=headers, json=body)
        assert response.status_code == 422, body
    # Without the CSRF header.
    assert officer.post(url, json={"due_on": "2027-01-01", "kind": "call",
                                   "assignee": people.officer.username}).status_code in (400, 403)
    # A supervisor of the unit may not record: 403.
    supervisor = login(people.supervisor)
    assert supervisor.post(url, headers={"X-CSRFToken": api_token(supervisor)}, json={
        "due_on": "2027-01-01", "kind": "call",
        "assignee": people.officer.username}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0
