"""Role × route × case: a case outside the user's scope is a 404 on every route, audited."""
from __future__ import annotations

import pytest

from caseapp.cases.views import ACTIONS
from tests.cases.conftest import audit_count

from .conftest import api_token, token

OUTSIDERS = ["other_supervisor", "officer2", "counselor", "admin"]

WEB_ROUTES = [("GET", "/cases/{ref}")] + [
    ("POST", f"/cases/{{ref}}/{name}" + ("/x" if spec.item else ""))
    for name, spec in ACTIONS.items()] + [("POST", "/cases/{ref}/no-such-action")]

API_ROUTES = [
    ("GET", "/api/v1/cases/{ref}"),
    ("POST", "/api/v1/cases/{ref}/assign"),
    ("POST", "/api/v1/cases/{ref}/transition"),
    ("POST", "/api/v1/cases/{ref}/notes"),
    ("POST", "/api/v1/cases/{ref}/referrals"),
    ("POST", "/api/v1/cases/{ref}/referrals/x"),
    ("POST", "/api/v1/cases/{ref}/needs-assessments"),
    ("POST", "/api/v1/cases/{ref}/plans"),
    ("POST", "/api/v1/cases/{ref}/plans/x/approve"),
    ("POST", "/api/v1/cases/{ref}/support-actions"),
    ("POST", "/api/v1/cases/{ref}/closure-request"),
    ("POST", "/api/v1/cases/{ref}/closure-rejection"),
]


def call(client, method, url):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, json={"to": "closure", "text": "x"},
                           headers={"X-CSRFToken": api_token(client)})
    return client.post(url, data={"csrf_token": token(client, "/"), "note-text": "x"})


@pytest.mark.parametrize("method,route", WEB_ROUTES + API_ROUTES,
                         ids=[f"{m} {r}" for m, r in WEB_ROUTES + API_ROUTES])
@pytest.mark.parametrize("role", OUTSIDERS)
def test_out_of_scope_case_is_404(people, make_case, login, role, method, route):
    case = make_case("support", lead=people.officer)
    client = login(getattr(people, role))
    before = audit_count(action="case.denied", object_id=case.reference)
    response = call(client, method, route.format(ref=case.reference))
    assert response.status_code == 404
    if route.startswith("/api/"):
        assert response.is_json and response.json["status"] == 404
    assert audit_count(action="case.denied", object_id=case.reference) == before + 1


@pytest.mark.parametrize("role", OUTSIDERS)
def test_out_of_scope_case_is_not_listed(people, make_case, login, role):
    case = make_case("support", lead=people.officer)
    client = login(getattr(people, role))
    assert case.reference not in client.get("/cases").get_data(as_text=True)
    listed = client.get("/api/v1/cases").json["cases"]
    assert case.reference not in [c["reference"] for c in listed]


def test_unknown_reference_is_the_same_404(people, login):
    client = login(people.supervisor)
    assert client.get("/cases/HS-22222222").status_code == 404
    assert client.get("/api/v1/cases/HS-22222222").status_code == 404
    assert client.get("/cases/not-a-reference").status_code == 404


@pytest.mark.parametrize("path", ["/cases", "/cases/new", "/supervision", "/cases/HS-22222222"])
def test_anonymous_goes_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_api_is_401(client):
    assert client.get("/api/v1/cases").status_code == 401
