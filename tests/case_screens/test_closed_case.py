"""A closed case is closed: case work on it is refused on every write route.

The routes come from the app's URL map (web and API), so a new write route is
covered without anyone adding it here. What legitimately arrives after
closure stays possible: a referral's late outcome, data-subject requests and
their answers, reopening by a supervisor.
"""
from __future__ import annotations

import pytest

from caseapp.cases.views import ACTIONS, AFTER_CLOSURE_ACTIONS
from caseapp.extensions import db
from tests.cases.conftest import audit_count

from .conftest import act, api_token, token

# Routes that stay open after closure, each for its own reason (see the module docs).
AFTER_CLOSURE_ROUTES = {
    "/api/v1/cases/<reference>/referrals/<referral_id>",   # an agency's late answer
    "/api/v1/cases/<reference>/plans/decision",            # the commune's decision, late
    "/cases/<reference>/data-requests",                    # the child's rights do not close
    "/cases/<reference>/data-requests/answer",
    "/cases/<reference>/data-requests/lift",
    "/cases/<reference>/sharing-consents/withdraw",        # withdrawing consent is a right
    "/cases/<reference>/matches/<match_id>/link",          # supervisors' metadata only
    "/cases/<reference>/matches/<match_id>/dismiss",
    "/break-glass/<reference>",                            # refused on closed cases by its own rule
}


def write_routes(app) -> list[str]:
    """Every POST route naming a case, with the web actions expanded."""
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or "<reference>" not in rule.rule:
            continue
        if rule.rule in AFTER_CLOSURE_ROUTES:
            continue
        if rule.endpoint == "cases.case_action":
            for name, spec in ACTIONS.items():
                if name in AFTER_CLOSURE_ACTIONS or spec.item != ("<item>" in rule.rule):
                    continue
                found.append(rule.rule.replace("<action>", name).replace("<item>", "x"))
        else:
            found.append(rule.rule)
    return sorted(found)


def test_every_write_route_is_in_the_matrix(app):
    """The list below is what the parametrised test covers; a new route lands in it."""
    routes = write_routes(app)
    assert "/cases/<reference>/note" in routes and "/api/v1/cases/<reference>/notes" in routes
    assert "/cases/<reference>/evidence" in routes
    assert "/cases/<reference>/evidence/custody" in routes
    assert len(routes) >= 29


@pytest.fixture
def closed(people, make_case):
    return make_case("closure", via="referral")


def post(client, route: str, case):
    url = route.replace("<reference>", case.reference).replace("<plan_id>", "x") \
        .replace("<referral_id>", "x")
    if url.startswith("/api/"):
        # A well-formed body for the move; other routes refuse before reading theirs.
        body = {"to": "support", "version": case.version_id} if url.endswith("/transition") \
            else {"text": "ghi chú"}
        return client.post(url, json=body, headers={"X-CSRFToken": api_token(client)})
    return client.post(url, data={"note-text": "ghi chú sau khi đóng"},
                       headers={"X-CSRFToken": token(client, "/cases")})


def test_closed_case_refuses_every_write_route_to_its_lead_officer(app, people, login, closed):
    client = login(people.officer)
    version = closed.version_id
    for route in write_routes(app):
        denials = audit_count(action="case.denied", object_id=closed.reference)
        response = post(client, route, closed)
        assert response.status_code == 403, route
        body = response.json["detail"] if response.is_json else \
            response.get_data(as_text=True)
        assert "đã đóng" in body, route  # the message says why
        assert audit_count(action="case.denied", object_id=closed.reference) == denials + 1
        db.session.refresh(closed)
        assert closed.version_id == version and closed.stage == "closure", route


def test_closed_case_refuses_its_supervisor_too(app, people, login, closed):
    client = login(people.supervisor)
    for route in ("/api/v1/cases/<reference>/assign", "/cases/<reference>/assign",
                  "/cases/<reference>/harm_categories", "/api/v1/cases/<reference>/transition"):
        assert post(client, route, closed).status_code == 403, route


def test_late_referral_outcome_is_still_recorded(people, login, closed):
    client = login(people.officer)
    referral = closed.referrals[0]
    assert referral.status == "sent"
    response = act(client, closed.reference, "referral_status", referral.id,
                   status="accepted", outcome="Cơ quan trả lời muộn")
    assert response.status_code == 302
    db.session.refresh(referral)
    assert referral.status == "accepted"


def test_reopened_case_takes_work_again(people, login, closed):
    supervisor = login(people.supervisor)
    response = act(supervisor, closed.reference, "reopen", reason="new_information",
                   note="Gia đình báo có tin nhắn mới")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    officer = login(people.officer)
    assert act(officer, closed.reference, "note", text="Làm việc lại").status_code == 302


def test_a_closed_case_no_longer_shows_danger_as_current(people, login, make_case):
    """"Immediate danger" is a state of the open case; once closed, the badge goes
    (the assessment still records that there was danger)."""
    open_case = make_case("assessment", immediate_danger=True)
    closed = make_case("closure", via="assessment", immediate_danger=True)
    db.session.commit()
    supervisor = login(people.supervisor)
    assert 'class="badge danger"' in supervisor.get(
        f"/cases/{open_case.reference}").get_data(as_text=True)
    assert 'class="badge danger"' not in supervisor.get(
        f"/cases/{closed.reference}").get_data(as_text=True)
    listing = supervisor.get("/cases?closed=1").get_data(as_text=True)
    row = listing.split(closed.reference, 1)[1].split("</td>", 1)[0] if \
        closed.reference in listing else ""
    assert 'badge danger' not in row
