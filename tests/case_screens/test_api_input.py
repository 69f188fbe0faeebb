"""No input gives a 500: every API route against hostile JSON.

A lone UTF-16 surrogate in a text field, JSON nested a thousand levels deep,
NaN, numbers with hundreds of digits and values of the wrong type once
answered 500 on most write routes. They are refused at one place (the app's
JSON gate) with a 400 that names the field, and a property-based test throws
arbitrary JSON at every API route in the URL map.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from caseapp.cases.models import CaseNote
from caseapp.extensions import db
from tests.conftest import examples

from .conftest import api_token
from .test_api import intake_json


def api_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every API route, its variables filled in later."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return found


def fill(path: str, case) -> str:
    none = "00000000-0000-0000-0000-000000000000"
    plan = case.plans[0].id if getattr(case, "plans", None) else none
    referral = (case.referrals[0].id if getattr(case, "referrals", None)
                else "00000000-0000-0000-0000-000000000000")
    return (path.replace("<reference>", case.reference).replace("<plan_id>", plan)
            .replace("<referral_id>", referral))


@pytest.fixture
def officer_api(people, login, make_case):
    case = make_case("support")
    client = login(people.officer)
    return client, api_token(client), case


HOSTILE_BODIES = {
    "surrogate": '{"text": "\\ud800", "narrative": "\\udfff", "unit": "\\ud800"}',
    "surrogate-key": '{"\\ud800": 1}',
    "nul": '{"text": "a\\u0000b"}',
    "deep": "[" * 1000 + "]" * 1000,
    "deep-object": '{"a":' * 5000 + "1" + "}" * 5000,
    "nan": '{"version": NaN}',
    "infinity": '{"version": Infinity}',
    "huge-int": '{"version": ' + "9" * 5000 + "}",
    "big-int": '{"version": 123456789012345678901234567890}',
    "not-json": "{'text': 1}",
    "bad-utf8": b'{"text": "\xff\xfe"}',
    "array": "[1, 2, 3]",
    "string": '"hello"',
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
def test_hostile_json_is_a_4xx_on_every_api_route(app, officer_api, kind):
    client, token, case = officer_api
    for method, path in api_routes(app):
        if method == "GET":
            continue
        response = client.open(fill(path, case), method=method, data=HOSTILE_BODIES[kind],
                               content_type="application/json", headers={"X-CSRFToken": token})
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert response.is_json, (method, path)


def test_a_surrogate_in_a_note_names_the_field_and_writes_nothing(officer_api):
    client, token, case = officer_api
    before = db.session.query(CaseNote).count()
    response = client.post(f"/api/v1/cases/{case.reference}/notes",
                           data='{"text": "ghi chú \\ud800"}', content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400
    error = response.json
    assert set(error["fields"]) == {"text"}
    assert "không hợp lệ" in error["detail"] or "surrogate" in error["detail"]
    assert db.session.query(CaseNote).count() == before


def test_deep_nesting_in_intake_is_a_400_not_a_recursion_error(people, login):
    client = login(people.counselor)
    token = api_token(client)
    body = json.dumps(intake_json())[:-1] + ', "extra": ' + "[" * 2000 + "]" * 2000 + "}"
    response = client.post("/api/v1/cases", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.is_json


def test_api_answers_405_with_allow(people, login):
    client = login(people.counselor)
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.is_json


def test_a_body_that_is_not_json_is_415(officer_api):
    client, token, case = officer_api
    response = client.post(f"/api/v1/cases/{case.reference}/notes", data="text=hi",
                           content_type="text/plain", headers={"X-CSRFToken": token})
    assert response.status_code == 415 and response.is_json


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    # Every code point, lone surrogates and control characters included.
    | st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12)
# Bodies shaped like the API's (known keys) so the fuzz reaches past the first check.
KNOWN_KEYS = ["text", "narrative", "unit", "received_at", "channel", "child", "reporter",
              "consent", "version", "lead_officer_id", "to", "data", "agency", "reason",
              "goals", "items", "risk_level", "harm_categories", "platforms", "help_requested",
              "offender_accounts", "kind", "outcome", "status", "summary", "legal_ground",
              "assignees", "requested_by", "date_of_birth", "estimated_age"]
shaped = st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=8)


@settings(max_examples=examples(25, 150), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=st.one_of(shaped, json_values))
@example(payload={"text": "\ud800", "version": 1})
@example(payload={"narrative": "\udfff", "child": {"full_name": "\ud800"}})
def test_arbitrary_json_never_gives_a_server_error(app, officer_api, payload):
    """Each example goes to every write route of the API."""
    client, token, case = officer_api
    body = json.dumps(payload)  # ensure_ascii: surrogates travel as \\udxxx escapes
    for method, path in api_routes(app):
        if method == "GET":
            continue
        response = client.open(fill(path, case), method=method, data=body,
                               content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code < 500, (method, path, body[:200])
