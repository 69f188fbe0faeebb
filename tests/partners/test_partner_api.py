"""The partner API: a token files reports into its unit and reads the stage of
its own, and nothing else; every call audited with the token's id."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

import audit
from caseapp import clock
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.partners.models import ApiToken

from .conftest import CHILD_NAME, NARRATIVE, bearer, intake_json

INTAKES = "/api/v1/partner/intakes"


def status_of(reference: str) -> str:
    return f"/api/v1/partner/cases/{reference}"


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def entries(**where) -> list:
    query = select(audit.audit_entries).order_by(audit.audit_entries.c.seq)
    for name, value in where.items():
        query = query.where(audit.audit_entries.c[name] == value)
    return list(db.session.execute(query))


def file(client, secret, body=None, **headers):
    return client.post(INTAKES, json=body or intake_json(), headers={**bearer(secret), **headers})


def test_a_token_files_a_report_into_its_unit_and_reads_its_stage(client, people, issue):
    token, secret = issue("XA")
    response = file(client, secret)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert set(response.json) == {"reference", "stage"} and response.json["stage"] == "intake"
    case = db.session.scalar(select(Case).where(Case.reference == response.json["reference"]))
    assert case.unit_id == people.commune.id and case.channel_code == "hotline_111"
    recorder = db.session.get(type(people.counselor), case.recorded_by_id)
    assert recorder.is_service and recorder.username == "partner:tong-dai-111.XA"

    status = client.get(status_of(case.reference), headers=bearer(secret))
    assert status.status_code == 200
    assert status.json == {"reference": case.reference, "stage": "intake",
                           "stage_label": status.json["stage_label"]}
    for answer in (response, status):
        text_ = answer.get_data(as_text=True)
        assert CHILD_NAME not in text_ and NARRATIVE not in text_
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_the_secret_is_stored_only_as_its_digest(issue):
    token, secret = issue()
    assert secret.startswith("cat_") and len(secret) >= 4 + 43  # 256 random bits
    row = db.session.execute(text("SELECT * FROM partner_tokens WHERE id = :id"),
                             {"id": token.id}).mappings().one()
    assert all(secret not in str(value) for value in row.values())
    assert all(secret[4:20] not in str(value) for value in row.values())


def test_a_token_cannot_file_into_or_read_another_unit(client, people, issue):
    _, secret = issue("XA")
    # The body has no unit: a unit sent anyway is refused, not followed.
    refused = file(client, secret, intake_json(unit="HUYEN2"))
    assert refused.status_code == 422 and "unit" in refused.json["fields"]
    _, other_secret = issue("HUYEN2", name="Tổng đài 111")
    filed = file(client, other_secret).json["reference"]
    answer = client.get(status_of(filed), headers=bearer(secret))
    unknown = client.get(status_of("HS-ZZZZZZZZ"), headers=bearer(secret))
    assert answer.status_code == unknown.status_code == 404
    assert answer.json == unknown.json


def test_a_token_cannot_read_a_case_it_did_not_file(client, people, issue, make_case):
    _, secret = issue("XA")
    staff_case = make_case(stage="intake")  # recorded by a counselor of XA
    assert staff_case.unit_id == people.commune.id
    assert client.get(status_of(staff_case.reference), headers=bearer(secret)).status_code == 404
    # Another partner in the same unit does not see this partner's cases.
    _, stranger = issue("XA", name="Nền tảng trường học")
    mine = file(client, secret).json["reference"]
    assert client.get(status_of(mine), headers=bearer(stranger)).status_code == 404
    # A second token of the same partner (rotation) does.
    _, rotated = issue("XA", name="Tổng đài 111")
    assert client.get(status_of(mine), headers=bearer(rotated)).status_code == 200


@pytest.mark.parametrize("how", ["revoked", "expired", "unknown", "missing", "basic"])
def test_a_bad_token_gets_401_on_every_route(client, people, issue, how):
    token, secret = issue()
    reference = file(client, secret).json["reference"]
    if how == "revoked":
        from caseapp.partners import service
        service.revoke_token("system", token)
        db.session.commit()
    elif how == "expired":
        clock.travel(__import__("datetime").timedelta(days=31))
    headers = {"revoked": bearer(secret), "expired": bearer(secret),
               "unknown": bearer("cat_" + "A" * 43), "missing": {},
               "basic": {"Authorization": f"Basic {secret}"}}[how]
    before = case_count()
    for answer in (client.post(INTAKES, json=intake_json(), headers=headers),
                   client.get(status_of(reference), headers=headers)):
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.mimetype == "application/problem+json"
        assert answer.json["type"] == "/api/v1/problems/not-logged-in"
    assert case_count() == before
    refused = entries(action="partner.refused")
    assert refused and json.loads(refused[-1].details)["reason"] == how.replace("basic",
                                                                                "missing")
    if how in ("revoked", "expired"):
        assert refused[-1].actor_type == "token" and refused[-1].actor_id == token.id


@pytest.mark.parametrize("scope", ["intake:create", "case:status"])
def test_each_scope_is_enforced_on_its_route(client, people, issue, scope):
    _, full = issue()
    reference = file(client, full).json["reference"]
    token, secret = issue(scopes=(scope,))
    before = case_count()
    filed = file(client, secret)
    read = client.get(status_of(reference), headers=bearer(secret))
    if scope == "intake:create":
        assert filed.status_code == 201 and read.status_code == 403
    else:
        assert filed.status_code == 403 and read.status_code == 200
        assert case_count() == before
    refused = entries(action="partner.refused", actor_id=token.id)
    assert json.loads(refused[-1].details)["reason"] == "scope"


def test_the_same_idempotency_key_files_one_case(client, people, issue):
    _, secret = issue()
    before = case_count()
    body = intake_json()
    first = file(client, secret, body, **{"Idempotency-Key": "call-2026-0001"})
    # The same body, its keys in another order: the same request.
    again = file(client, secret, dict(reversed(list(body.items()))),
                 **{"Idempotency-Key": "call-2026-0001"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers.get("Idempotent-Replayed") == "true"
    assert case_count() == before + 1
    changed = file(client, secret, {**body, "channel": "hotline_app"},
                   **{"Idempotency-Key": "call-2026-0001"})
    assert changed.status_code == 422
    assert changed.json["type"] == "/api/v1/problems/invalid-input"
    assert "Idempotency-Key" in changed.json["fields"]
    assert case_count() == before + 1
    # Another key files another case; a key is the partner's in its unit only.
    assert file(client, secret, **{"Idempotency-Key": "call-2026-0002"}).json["reference"] \
        != first.json["reference"]
    _, elsewhere = issue("HUYEN2")
    assert file(client, elsewhere, **{"Idempotency-Key": "call-2026-0001"}).json["reference"] \
        != first.json["reference"]


def test_an_idempotency_key_expires_and_a_refused_intake_keeps_no_key(client, people, issue):
    _, secret = issue()
    bad = file(client, secret, intake_json(harm_categories=[]), **{"Idempotency-Key": "k-1"})
    assert bad.status_code == 422
    first = file(client, secret, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    clock.travel(__import__("datetime").timedelta(hours=25))
    later = file(client, secret, **{"Idempotency-Key": "k-1"})
    assert later.status_code == 201 and later.json["reference"] != first.json["reference"]


@pytest.mark.parametrize("key", ["", "a" * 201, "tab\there", "khoá"])
def test_a_malformed_idempotency_key_is_refused(client, people, issue, key):
    _, secret = issue()
    before = case_count()
    answer = file(client, secret, **{"Idempotency-Key": key})
    assert answer.status_code in (400, 422) and case_count() == before


def test_calls_are_throttled_per_token(app, client, people, issue, monkeypatch):
    monkeypatch.setitem(app.config, "PARTNER_RATE_LIMIT", "3 per minute")
    _, secret = issue()
    _, other = issue(name="Nền tảng khác")
    reference = file(client, secret).json["reference"]
    answers = [client.get(status_of(reference), headers=bearer(secret)).status_code
               for _ in range(3)]  # the intake was the first call of three
    assert answers == [200, 200, 429]
    throttled = client.get(status_of(reference), headers=bearer(secret))
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json["type"] == "/api/v1/problems/too-many-requests"
    # Another token has its own allowance.
    assert client.get(status_of("HS-ZZZZZZZZ"), headers=bearer(other)).status_code == 404


def test_failed_tokens_are_throttled_per_address_and_their_audit_bounded(app, client, people,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "PARTNER_AUTH_FAILURES_PER_ADDRESS", "5 per minute")
    before = len(entries(action="partner.refused"))
    codes = [client.get(status_of("HS-ZZZZZZZZ"), headers=bearer(f"cat_{n:043d}")).status_code
             for n in range(30)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    blocked = client.get(status_of("HS-ZZZZZZZZ"), headers=bearer("cat_x"))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert len(entries(action="partner.refused")) - before == 5
    monkeypatch.setitem(app.config, "PARTNER_AUTH_FAILURES_PER_ADDRESS", "1000 per minute")
    monkeypatch.setitem(app.config, "PARTNER_REFUSALS_AUDITED", "3 per hour")
    for n in range(10):
        client.get(status_of("HS-ZZZZZZZZ"), headers=bearer(f"cat_{n:043d}"),
                   environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    assert len(entries(action="partner.refused")) - before <= 5 + 3


def test_a_session_cookie_opens_no_partner_route_and_a_token_no_session_route(
        client, people, issue, login):
    staff = login(people.counselor)
    assert staff.get("/api/v1/cases").status_code == 200
    answer = staff.post(INTAKES, json=intake_json())
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert staff.get(status_of("HS-ZZZZZZZZ")).status_code == 401
    assert "Set-Cookie" not in answer.headers
    _, secret = issue()
    anonymous = client.get("/api/v1/cases", headers=bearer(secret))
    assert anonymous.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_audit_entries_name_the_token_and_hold_no_child_data(client, people, issue):
    token, secret = issue()
    body = intake_json()
    reference = file(client, secret, body, **{"Idempotency-Key": "x-1"}).json["reference"]
    assert file(client, secret, body, **{"Idempotency-Key": "x-1"}).status_code == 201
    client.get(status_of(reference), headers=bearer(secret))
    client.get(status_of("HS-ZZZZZZZZ"), headers=bearer(secret))
    mine = entries(actor_id=token.id)
    actions = [row.action for row in mine]
    assert actions.count("partner.intake") == 2 and "partner.status" in actions
    assert all(row.actor_type == "token" for row in mine)
    created = entries(action="case.create", object_id=reference)[-1]
    assert json.loads(created.details)["token"] == token.id
    for row in entries():
        dumped = json.dumps(dict(row._mapping), default=str)
        assert CHILD_NAME not in dumped and NARRATIVE not in dumped and "x-1" not in dumped


def test_the_openapi_document_declares_the_token_routes(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["components"]["securitySchemes"]["partnerToken"]["scheme"] == "bearer"
    intake = document["paths"]["/partner/intakes"]["post"]
    assert intake["security"] == [{"partnerToken": []}]
    schema = document["components"]["schemas"]["PartnerIntakeIn"]
    assert "unit" not in schema["properties"]
    assert document["paths"]["/cases"]["get"]["security"] == [{"sessionCookie": []}]


def test_tokens_table_holds_issuer_and_revoker(people, issue):
    from caseapp.partners import service
    token, _ = issue()
    service.revoke_token(people.admin, token)
    db.session.commit()
    row = db.session.get(ApiToken, token.id)
    assert row.revoked_by_id == people.admin.id and row.revoked_at is not None
    assert row.created_by_id is None  # issued by the host's operator


@pytest.mark.parametrize("change", [
    "expires_at = '2099-01-01 00:00:00.000000'", "revoked_at = NULL",
    "scopes = 'intake:create case:status'", "unit_id = :other_unit"])
def test_a_token_row_changed_in_the_database_opens_nothing(client, people, issue, change):
    """Someone who can write the database but lacks the key file cannot stretch,
    revive, widen or move a token: its row MAC no longer matches (401)."""
    token, secret = issue("XA", scopes=("intake:create",))
    reference = file(client, secret).json["reference"]
    if change == "revoked_at = NULL":
        from caseapp.partners import service
        service.revoke_token("system", token)
        db.session.commit()
    db.session.execute(text(f"UPDATE partner_tokens SET {change} WHERE id = :id"),  # noqa: S608
                       {"id": token.id, "other_unit": people.other_district.id})
    db.session.commit()
    db.session.expire_all()
    before = case_count()
    assert file(client, secret).status_code == 401
    assert client.get(status_of(reference), headers=bearer(secret)).status_code == 401
    assert case_count() == before
