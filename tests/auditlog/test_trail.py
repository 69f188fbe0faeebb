"""What the log holds: a case's trail, the unit of each entry, nothing secret,
and nothing for a change that did not happen."""
from __future__ import annotations

import hashlib

from caseapp.accounts.sessions import token_digest
from caseapp.admin import service as admin_service
from caseapp.auditlog import service
from caseapp.units import service as units
from tests.auditlog.conftest import entries
from tests.conftest import PASSWORD, Auth, csrf_token


def test_case_trail_lists_one_case_oldest_first(make_user, add_entry):
    officer = make_user("officer")
    add_entry("case.create", ref="VN-2026-000001", actor=officer.user)
    add_entry("case.view", ref="VN-2026-000002", actor=officer.user)
    add_entry("case.transition", ref="VN-2026-000001", actor=officer.user,
              details={"from": "intake", "to": "assessment"})
    add_entry("case.view", ref="VN-2026-000001")

    trail = service.case_trail("VN-2026-000001")
    assert [e.action for e in trail] == ["case.create", "case.transition", "case.view"]
    assert trail[0].actor_name == officer.username and trail[2].actor_type == "system"
    assert dict(trail[1].details_items) == {"from": "intake", "to": "assessment"}
    assert service.case_trail("VN-2026-000001", limit=2)[0].action == "case.transition"
    assert service.case_trail("VN-2026-999999") == []


def test_entries_about_an_account_belong_to_its_unit(client, make_user, make_unit):
    district = make_unit()
    commune = make_unit(parent=district)
    counselor = make_user("counselor", unit=commune)
    supervisor = make_user("supervisor", unit=district)
    client.post("/login", data={"csrf_token": csrf_token(client), "username": counselor.username,
                                "password": "not the password"})
    client.post("/login", data={"csrf_token": csrf_token(client), "username": "no.such.user",
                                "password": "not the password"})
    Auth(client).login(counselor)

    logins = entries(action="auth.login")
    assert [(e.outcome, e.actor_type, e.unit_path) for e in logins] == [
        ("failed", "anonymous", commune.path),
        ("failed", "anonymous", None),
        ("ok", "user", commune.path),
    ]
    seen = service.search(supervisor.user, service.AuditFilter(action="auth.login")).entries
    assert [e.outcome for e in seen] == ["ok", "failed"]  # not the unknown username


def test_no_password_typed_username_or_session_id_in_any_entry(app, client, make_user):
    counselor = make_user("counselor")
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    secrets = {"ghost.typed.name", "Ghost-Password-Typed-1", "Wrong-Password-Typed-2",
               counselor.username, PASSWORD, "New-Password-Chosen-3 long enough"}

    def remember_session():
        cookie = client.get_cookie(cookie_name)
        if cookie is not None:
            secrets.update({cookie.value, token_digest(cookie.value)})

    for username, password in (("ghost.typed.name", "Ghost-Password-Typed-1"),
                               (counselor.username, "Wrong-Password-Typed-2")):
        response = client.post("/login", data={"csrf_token": csrf_token(client),
                                                "username": username, "password": password})
        assert response.status_code == 401
        remember_session()
    Auth(client).login(counselor)
    remember_session()
    token = csrf_token(client, "/account")
    response = client.post("/account", data={
        "csrf_token": token, "current_password": PASSWORD,
        "new_password": "New-Password-Chosen-3 long enough",
        "confirm": "New-Password-Chosen-3 long enough"})
    assert response.status_code == 302
    remember_session()
    Auth(client).logout()

    rows = entries()
    actions = {e.action for e in rows}
    assert {"auth.login", "auth.password_change", "auth.logout"} <= actions
    blob = "\n".join("\t".join("" if v is None else str(v) for v in row) for row in rows)
    for secret in secrets:
        assert secret not in blob, secret
    # Session hashes are there, but cannot be joined to the session table.
    hashes = {e.session_hash for e in rows if e.session_hash}
    assert hashes and not hashes & {hashlib.sha256(s.encode()).hexdigest() for s in secrets}


def test_a_failing_change_leaves_no_entry(client, make_user, monkeypatch):
    admin = make_user("admin")
    Auth(client).login(admin)
    real_create = admin_service.create_unit

    def create_then_fail(*args, **kwargs):
        real_create(*args, **kwargs)  # writes the unit and its "unit.create" entry
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(admin_service, "create_unit", create_then_fail)
    token = csrf_token(client, "/admin/units/new")
    response = client.post("/admin/units/new", data={
        "csrf_token": token, "code": "FAILED1", "name": "Never saved",
        "parent": admin.user.unit.code, "school_type": ""})
    assert response.status_code == 500
    assert units.by_code("FAILED1") is None
    assert entries(action="unit.create", object_id="FAILED1") == []

    monkeypatch.setattr(admin_service, "create_unit", real_create)
    token = csrf_token(client, "/admin/units/new")
    client.post("/admin/units/new", data={
        "csrf_token": token, "code": "SAVED1", "name": "Saved", "parent": admin.user.unit.code,
        "school_type": ""})
    assert units.by_code("SAVED1") is not None
    assert len(entries(action="unit.create", object_id="SAVED1")) == 1


def test_a_system_entry_written_during_a_request_carries_nobodys_session(app, client, make_user):
    from sqlalchemy import select

    from audit.models import audit_entries
    from caseapp.auditing.writer import record
    from caseapp.extensions import db

    counselor = make_user("counselor")
    Auth(client).login(counselor)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        from flask import session

        session.token = "a-live-session-token"
        system_seq = record("audit.checkpoint", actor="system", details={"seq": 1})
        user_seq = record("auth.login", actor=counselor.user)
    rows = {row.seq: row for row in db.session.execute(select(audit_entries).where(
        audit_entries.c.seq.in_([system_seq, user_seq])))}
    assert rows[system_seq].session_hash is None and rows[system_seq].client_addr is None
    assert rows[user_seq].session_hash and rows[user_seq].client_addr == "10.1.2.3"
