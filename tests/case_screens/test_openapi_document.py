"""The OpenAPI document is the API: every route under /api/v1 in it and nothing
else, each operation with its security and the errors every route of its kind
answers; and what it says about security is what the app does."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from caseapp.api import openapi
from tests.case_screens.conftest import api_token
from tests.cases.conftest import audit_count
from tests.conftest import csrf_token

# Flask answers these by itself for every rule (HEAD as GET without a body,
# OPTIONS with the Allow header); no view of ours runs, so they are not
# operations of the document.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}
# A well-formed reference of no case, and a value for any other path parameter.
PLACEHOLDERS = {"reference": "HS-22222222"}
SCHEMES = {"sessionCookie", "csrfToken", "partnerToken"}
PROBLEM = "application/problem+json"


def flask_operations(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(openapi.API_PREFIX + "/"):
            continue
        path = openapi.openapi_path("", rule.rule).removeprefix(openapi.API_PREFIX)
        found |= {(path, method.lower()) for method in rule.methods - AUTOMATIC_METHODS}
    return found


def documented(document) -> dict[tuple[str, str], dict]:
    return {(path, method): operation for path, operations in document["paths"].items()
            for method, operation in operations.items()}


@pytest.fixture
def document(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    validate(answer.json)  # a valid OpenAPI 3.1 document
    return answer.json


def test_every_route_is_documented_and_nothing_else(app, document):
    routes, operations = flask_operations(app), set(documented(document))
    assert routes, "the API has routes"
    assert routes - operations == set(), "routes missing from the document"
    assert operations - routes == set(), "operations the app does not have"


def test_the_two_security_schemes(app, document):
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == SCHEMES
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey",
                                        "in": "cookie",
                                        "name": app.config["SESSION_COOKIE_NAME"]}
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "type": "apiKey", "in": "header",
                                    "name": "X-CSRFToken"}
    assert schemes["partnerToken"] == {**schemes["partnerToken"], "type": "http",
                                       "scheme": "bearer"}
    assert "security" not in document  # each operation says its own


def kind_of(operation) -> str:
    requirements = operation["security"]
    if requirements == []:
        return "none"
    assert len(requirements) == 1, requirements  # no alternatives: one way in
    names = set(requirements[0])
    assert names <= SCHEMES and all(v == [] for v in requirements[0].values())
    if names == {"partnerToken"}:
        return "token"
    assert "sessionCookie" in names and names <= {"sessionCookie", "csrfToken"}, names
    return "session"


def test_each_operation_declares_its_security_and_its_errors(document):
    for (path, method), operation in documented(document).items():
        where = f"{method.upper()} {path}"
        assert "security" in operation, where
        kind = kind_of(operation)
        writes = method != "get"
        if kind == "session":
            # The CSRF header exactly on the calls that change something.
            assert ("csrfToken" in operation["security"][0]) == writes, where
        expected = {"414", "503"}
        expected |= {"session": {"401", "403"}, "token": {"401", "403", "429"},
                     "none": set()}[kind]
        if writes:
            expected |= {"400", "413"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"415", "422"}
        responses = operation["responses"]
        assert expected <= set(responses), (where, expected - set(responses))
        errors = {code for code in responses if code >= "400"}
        assert "405" not in errors, where  # an operation that exists takes its method
        for code in errors - {"414"}:
            assert set(responses[code]["content"]) == {PROBLEM}, (where, code)
        # The one answer of the HTTP server in front of the app, before our code.
        assert set(responses["414"]["content"]) == {"text/html"}, where
        successes = {code for code in responses if code < "400"}
        assert len(successes) == 1, where
        if "requestBody" in operation:
            body = operation["requestBody"]
            assert set(body["content"]) == {"application/json"}


def test_route_refuses_an_unknown_security():
    from flask import Blueprint

    with pytest.raises(ValueError, match="security"):
        openapi.route(Blueprint("x", __name__), "/x", "GET", summary="x", security="cookie")


def concrete(path: str, **values: str) -> str:
    """The URL of ``path``: ``values`` for its parameters, else placeholders."""
    values = {**PLACEHOLDERS, **values}
    return re.sub(r"{([^}]+)}", lambda m: values.get(m.group(1), "x"),
                  openapi.API_PREFIX + path)


def test_what_the_document_says_of_security_is_what_the_app_does(app, document, people,
                                                                  login):
    """Without the cookie a session operation is a 401; with it but without the
    CSRF header a write is a 400; a public one answers anyone; a token one
    wants its token (401 without)."""
    stranger = app.test_client()
    # Someone who opened the login page: a CSRF token, no login.
    stranger_token = csrf_token(stranger, "/login")
    member = login(people.counselor)
    token = api_token(member)
    for (path, method), operation in documented(document).items():
        where, url, kind = f"{method.upper()} {path}", concrete(path), kind_of(operation)
        body = {} if "requestBody" in operation else None
        anonymous = stranger.open(url, method=method.upper(), json=body,
                                  headers={"X-CSRFToken": stranger_token})
        if kind == "none":
            assert anonymous.status_code < 400, where
            continue
        assert anonymous.status_code == 401, where
        assert anonymous.mimetype == PROBLEM, where
        if kind == "session" and method != "get":
            unprotected = member.open(url, method=method.upper(), json=body)
            assert unprotected.status_code == 400, where
            assert unprotected.mimetype == PROBLEM, where
            protected = member.open(url, method=method.upper(), json=body,
                                    headers={"X-CSRFToken": token})
            assert protected.status_code != 400, where  # the header was what it lacked


def test_a_path_value_outside_its_declared_pattern_names_nothing(people, login, make_case):
    """The screens take a reference as a person types it; the API only as its
    document declares it: anything else is the 404 of an unknown case, audited."""
    case = make_case("intake")
    client = login(people.supervisor)
    assert client.get(f"/api/v1/cases/{case.reference}").status_code == 200
    for written in (case.reference.lower(), f" {case.reference}", f"{case.reference}%0A"):
        before = audit_count(action="case.denied")
        answer = client.get(f"/api/v1/cases/{written}")
        assert answer.status_code == 404 and answer.mimetype == PROBLEM, written
        assert audit_count(action="case.denied") == before + 1, written


def test_the_older_shapes_the_app_takes_are_in_the_document(document, people, login):
    """Consent as booleans (older clients) and an offender account as its name
    alone are accepted: the document says so (a request it forbids must be refused,
    so one it describes as forbidden must not be taken either)."""
    from jsonschema import Draft202012Validator

    from tests.case_screens.test_api import intake_json

    intake = Draft202012Validator({"$ref": "#/components/schemas/IntakeIn",
                                   "components": document["components"]})
    body = intake_json(consent={"child": True, "guardian": False, "legal_ground": None},
                       offender_accounts=["ke.xau.123", {"handle": "x", "platform": "tiktok"}])
    assert list(intake.iter_errors(body)) == []
    client = login(people.counselor)
    answer = client.post("/api/v1/cases", json=body,
                         headers={"X-CSRFToken": api_token(client)})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    approve = document["paths"]["/cases/{reference}/plans/{plan_id}/approve"]["post"]
    assert approve["requestBody"]["required"] is True  # it names the version it approves


@pytest.mark.parametrize("wrong", ["[]", '"text"', "1", "null", "true", "{"])
def test_a_body_of_the_wrong_type_is_a_problem_on_every_route(app, document, people, login,
                                                               make_case, wrong):
    """A JSON body that is not an object (or not JSON) is refused with a 4xx
    problem document by every operation that takes a body, as the supervisor of
    a case that exists (so the routes reach their parsing)."""
    case = make_case("intake")
    client = login(people.supervisor)
    token = api_token(client)
    for (path, method), operation in documented(document).items():
        if "requestBody" not in operation or kind_of(operation) != "session":
            continue
        answer = client.open(concrete(path, reference=case.reference), method=method.upper(),
                             data=wrong,
                             headers={"X-CSRFToken": token,
                                      "Content-Type": "application/json"})
        where = f"{method.upper()} {path} with {wrong}"
        assert 400 <= answer.status_code < 500, (where, answer.status_code)
        assert answer.mimetype == PROBLEM, where
        assert answer.status_code in {int(c) for c in operation["responses"]}, where
