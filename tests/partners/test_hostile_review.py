"""The hostile review of the partner API (issue 18): each attack it showed, now
refused. Its proofs asserted the flaw; these assert the fix."""
from __future__ import annotations

import json

from sqlalchemy import func, select, text

import audit
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.partners import service
from caseapp.partners.models import IdempotencyKey

from .conftest import bearer, intake_json

INTAKES = "/api/v1/partner/intakes"


def status_of(reference):
    return f"/api/v1/partner/cases/{reference}"


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def refused_entries():
    return list(db.session.execute(select(audit.audit_entries).where(
        audit.audit_entries.c.action == "partner.refused")))


def test_two_partners_whose_names_shorten_alike_cannot_share_a_family(people, issue):
    issue("XA", name="Trung tâm Công tác xã hội tỉnh Hà Giang")
    for close in ("Trung tâm Công tác xã hội tỉnh Lào Cai", "trung tam cong tac xa hoi tinh"):
        try:
            issue("XA", name=close)
        except service.TokenError as error:
            assert error.field == "partner_name"
        else:
            raise AssertionError(f"{close!r} was given the Hà Giang centre's family")
        db.session.rollback()
    # The same partner again (a rotated token) and the same name in another unit are fine.
    again, _ = issue("XA", name="Trung tâm Công tác xã hội tỉnh Hà Giang")
    elsewhere, _ = issue("HUYEN2", name="Trung tâm Công tác xã hội tỉnh Lào Cai")
    assert again.family.endswith(".XA") and elsewhere.family.endswith(".HUYEN2")


def test_a_bad_token_flood_cannot_hide_a_partners_refusals(app, client, people, issue):
    _, secret = issue("XA", scopes=("intake:create",))
    app.config["PARTNER_REFUSALS_AUDITED"] = "20 per hour"
    for n in range(25):  # the budget of tokenless refusals used up
        client.get(status_of("X"), headers=bearer(f"cat_{n:043d}"),
                   environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
    before = len(refused_entries())
    for n in range(5):  # the partner probes references without the scope
        answer = client.get(status_of(f"HS-{n:08d}"), headers=bearer(secret))
        assert answer.status_code == 403
    assert len(refused_entries()) == before + 5


def test_a_deactivated_unit_takes_no_partner_intake(client, people, issue):
    _, secret = issue("XA")
    people.commune.is_active = False
    db.session.commit()
    before = case_count()
    answer = client.post(INTAKES, json=intake_json(), headers=bearer(secret))
    assert answer.status_code == 403 and answer.mimetype == "application/problem+json"
    assert case_count() == before
    assert json.loads(refused_entries()[-1].details)["reason"] == "unit_inactive"


def test_bad_tokens_from_an_address_do_not_lock_out_its_valid_token(app, client, people, issue):
    _, secret = issue("XA")
    app.config["PARTNER_AUTH_FAILURES_PER_ADDRESS"] = "5 per minute"
    shared = {"REMOTE_ADDR": "203.0.113.7"}  # a hotline's NAT
    answers = [client.get(status_of("X"), headers=bearer(f"cat_{n:043d}"), environ_base=shared)
               .status_code for n in range(8)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    valid = client.post(INTAKES, json=intake_json(), headers=bearer(secret), environ_base=shared)
    assert valid.status_code == 201


def test_a_partner_files_at_most_its_intake_allowance(app, client, people, issue):
    _, secret = issue("XA")
    _, rotated = issue("XA")  # the same partner's second token shares the allowance
    app.config["PARTNER_INTAKE_LIMIT"] = "3 per hour; 300 per day"
    codes = [client.post(INTAKES, json=intake_json(), headers=bearer(s)).status_code
             for s in (secret, rotated, secret, rotated)]
    assert codes == [201, 201, 201, 429]
    assert json.loads(refused_entries()[-1].details)["reason"] == "intake_limit"


def test_idempotency_keys_and_bodies_are_kept_as_keyed_digests(client, people, issue):
    import hashlib

    _, secret = issue("XA")
    key = "0912345678"  # a partner's call id may be a phone number
    assert client.post(INTAKES, json=intake_json(), headers={
        **bearer(secret), "Idempotency-Key": key}).status_code == 201
    row = db.session.execute(text("SELECT key_hash, body_hash FROM partner_idempotency_keys")
                             ).one()
    assert row.key_hash != hashlib.sha256(key.encode()).hexdigest()
    assert key not in row.key_hash


def test_a_forged_idempotency_row_does_not_swallow_a_report(client, people, issue, make_case):
    token, secret = issue("XA")
    body = intake_json()
    other = make_case()  # a database writer points the partner's next key at another case
    body_hash = service.keyed_digest("body", json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    key_hash = service.keyed_digest("idempotency-key", f"{token.family}\0call-42")
    db.session.add(IdempotencyKey(family=token.family, key_hash=key_hash, body_hash=body_hash,
                                  token_id=token.id, status=201, reference=other.reference,
                                  answered_stage="intake"))
    db.session.commit()
    answer = client.post(INTAKES, json=body,
                         headers={**bearer(secret), "Idempotency-Key": "call-42"})
    assert answer.status_code == 409 and other.reference not in answer.get_data(as_text=True)


def test_a_service_account_login_costs_what_any_other_does(app):
    """The password check of an account without a password runs the same
    argon2 work as an unknown name's (no timing tells a partner's unit)."""
    from unittest import mock

    from caseapp.accounts import passwords
    from caseapp.accounts.service_accounts import NO_PASSWORD

    with app.app_context():
        hasher = passwords.hasher()
        with mock.patch.object(hasher, "_run", wraps=hasher._run) as run:
            assert hasher.verify(NO_PASSWORD, "any password") is False
            assert hasher.verify(None, "any password") is False
        assert run.call_count == 2
