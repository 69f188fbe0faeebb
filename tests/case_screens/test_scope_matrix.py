"""Role × route × case: a case outside the user's scope is a 404 on every route, audited."""
from __future__ import annotations

import re

import pytest

from caseapp.cases.views import ACTIONS
from caseapp.extensions import db
from tests.cases.conftest import audit_count

from .conftest import api_token, token

OUTSIDERS = ["other_supervisor", "officer2", "counselor", "admin"]


def case_routes() -> list[tuple[str, str]]:
    """Every route of the app that names a case (web and API), from its URL map, with
    the case page's actions expanded: a new route is in the matrix without anyone
    adding it here."""
    from caseapp import create_app
    from tests.conftest import settings_for_tests

    app = create_app(settings_for_tests("/nonexistent-for-routes"), env="testing")
    found = []
    for rule in app.url_map.iter_rules():
        if "<reference>" not in rule.rule:
            continue
        if rule.rule.startswith("/api/v1/partner/"):
            continue  # a bearer token's, not a session's (tests/partners: its own 404s)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = re.sub(r"<(?:[^:>]+:)?(?!reference)([^>]+)>", "x", rule.rule)
            url = url.replace("<reference>", "{ref}")
            if rule.endpoint == "cases.case_action":
                for name, spec in ACTIONS.items():
                    if spec.item == ("<item>" in rule.rule):
                        found.append((method, rule.rule.replace("<reference>", "{ref}")
                                      .replace("<action>", name).replace("<item>", "x")))
                found.append((method, "/cases/{ref}/no-such-action"))
            else:
                found.append((method, url))
    return sorted(set(found))


ROUTES = case_routes()


def call(client, method, url):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, json={"to": "closure", "text": "x"},
                           headers={"X-CSRFToken": api_token(client)})
    return client.post(url, data={"csrf_token": token(client, "/"), "note-text": "x"})


def test_the_matrix_covers_the_known_routes():
    assert ("GET", "/cases/{ref}") in ROUTES and ("GET", "/api/v1/cases/{ref}") in ROUTES
    assert ("POST", "/cases/{ref}/evidence") in ROUTES
    assert ("GET", "/cases/{ref}/print/x") in ROUTES
    # The family section's routes (issue 17), web and API.
    for method, route in (("POST", "/cases/{ref}/family"), ("POST", "/cases/{ref}/family/x"),
                          ("POST", "/cases/{ref}/family/remove"),
                          ("POST", "/cases/{ref}/family/household"),
                          ("GET", "/api/v1/cases/{ref}/family"),
                          ("POST", "/api/v1/cases/{ref}/family"),
                          ("POST", "/api/v1/cases/{ref}/family/household")):
        assert (method, route) in ROUTES, route
    assert ("POST", "/cases/{ref}/transfer") in ROUTES
    assert ("POST", "/cases/{ref}/transfer/cancel") in ROUTES
    assert ("GET", "/api/v1/cases/{ref}/transfer") in ROUTES
    assert ("POST", "/api/v1/cases/{ref}/transfer") in ROUTES
    assert ("POST", "/api/v1/cases/{ref}/transfer/cancel") in ROUTES
    # Follow-ups and the plan's goals (issue 17), on the screens and the API.
    for method, route in (("POST", "/cases/{ref}/follow-ups"),
                          ("POST", "/cases/{ref}/follow-ups/result"),
                          ("POST", "/cases/{ref}/goals"),
                          ("POST", "/cases/{ref}/goals/progress"),
                          ("GET", "/api/v1/cases/{ref}/follow-ups"),
                          ("POST", "/api/v1/cases/{ref}/follow-ups"),
                          ("POST", "/api/v1/cases/{ref}/follow-ups/x/result"),
                          ("POST", "/api/v1/cases/{ref}/goals"),
                          ("POST", "/api/v1/cases/{ref}/goals/x/progress")):
        assert (method, route) in ROUTES, route
    # Taking harmful content down (issue 17): the section's forms and the API.
    assert {("POST", "/cases/{ref}/takedown/items"), ("POST", "/cases/{ref}/takedown/requests"),
            ("POST", "/cases/{ref}/takedown/outcome"), ("GET", "/api/v1/cases/{ref}/takedown"),
            ("POST", "/api/v1/cases/{ref}/takedown/items"),
            ("POST", "/api/v1/cases/{ref}/takedown/requests"),
            ("POST", "/api/v1/cases/{ref}/takedown/requests/x/outcome")} <= set(ROUTES)
    assert len(ROUTES) > 40


@pytest.mark.parametrize("method,route", ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
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


@pytest.mark.parametrize("section", ["family"])
@pytest.mark.parametrize("role", OUTSIDERS)
def test_out_of_scope_section_page_is_404(people, make_case, login, role, section):
    """A known section's page (the matrix's generic one names no section)."""
    case = make_case("support", lead=people.officer)
    client = login(getattr(people, role))
    before = audit_count(action="case.denied", object_id=case.reference)
    assert client.get(f"/cases/{case.reference}/sections/{section}").status_code == 404
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


def object_routes() -> list[str]:
    """Routes that name another kind of object (an access, an account, a change)."""
    from caseapp import create_app
    from tests.conftest import settings_for_tests

    app = create_app(settings_for_tests("/nonexistent-for-routes"), env="testing")
    return sorted({f"{sorted(r.methods - {'HEAD', 'OPTIONS'})[0]} {r.rule}"
                   for r in app.url_map.iter_rules()
                   if "<" in r.rule and "<reference>" not in r.rule
                   and r.endpoint != "static" and not r.rule.startswith("/api/v1/openapi")})


OBJECT_ROUTES = object_routes()


@pytest.fixture
def foreign_objects(people, make_case):
    """One object of each kind that belongs to someone else."""
    from caseapp.admin import changes
    from caseapp.admin import service as admin_service
    from caseapp.break_glass import service as break_glass
    from caseapp.transfers import service as transfers

    case = make_case("support", lead=people.officer)
    access = break_glass.break_glass(people.supervisor, case, "Trẻ gặp nguy hiểm, không liên lạc "
                                                             "được cán bộ phụ trách")
    made = admin_service.create_user(people.admin, admin_service.NewUser(
        "tvv.moi", "counselor", "XA", "sông dài núi xa mây trắng bay"))
    change = changes.pending_of(made)[0]
    # A transfer between units none of the tested roles supervises (XA to HUYEN:
    # decided by the district's and the province's supervisors).
    moving = make_case("support", lead=people.officer)
    transfer = transfers.request_transfer(people.supervisor, moving, transfers.TransferData(
        "HUYEN", "child_moved", "Gia đình chuyển lên thị trấn huyện"))
    db.session.commit()
    return {"transfer_id": transfer.id, "access_id": access.id, "user_id": people.officer.id,
            "change_id": change.id,
            "action": "disable", "decision": "confirm", "match_id": "x", "attachment_id": "x",
            "form": "01", "item": "x", "filename": "x"}


@pytest.mark.parametrize("route", OBJECT_ROUTES)
@pytest.mark.parametrize("role", ["officer2", "counselor", "other_supervisor"])
def test_someone_elses_object_is_never_opened(people, login, foreign_objects, role, route):
    """An officer, a counselor and a supervisor of another unit, on an access, an
    account or an account change that is not theirs: refused (403 or 404), nothing
    changed, never a server error."""
    method, rule = route.split(" ", 1)
    url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: foreign_objects.get(m.group(1), "x"), rule)
    client = login(getattr(people, role))
    response = call(client, method, url)
    assert response.status_code in (400, 403, 404), (url, response.status_code)
    db.session.expire_all()
    assert people.officer.is_enabled
    if "<transfer_id>" in rule:
        from caseapp.transfers.models import CaseTransfer

        transfer = db.session.get(CaseTransfer, foreign_objects["transfer_id"])
        assert transfer.status == "pending" and transfer.case.unit.code == "XA"
