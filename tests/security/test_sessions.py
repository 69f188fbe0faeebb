"""Server-side sessions: timeouts, fixation, revocation, cookie flags."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from caseapp.accounts import service
from caseapp.accounts.models import UserSession
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from tests.conftest import Auth, csrf_token


def cookie_value(client, name="caseapp"):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_idle_timeout_ends_the_session(client, auth, make_user, travel):
    counselor = make_user("counselor")
    auth.login(counselor)
    travel(minutes=14)
    assert client.get("/").status_code == 200
    travel(minutes=14)  # active 14 minutes ago: still inside the idle window
    assert client.get("/").status_code == 200
    travel(minutes=16)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Phiên làm việc đã kết thúc" in page


def test_absolute_lifetime_ends_an_active_session(client, auth, make_user, travel):
    counselor = make_user("counselor")
    auth.login(counselor)
    for _ in range(47):  # 47 × 10 min = 7 h 50 min of steady use
        travel(minutes=10)
        assert client.get("/").status_code == 200
    travel(minutes=11)
    assert client.get("/").status_code == 302


def test_session_expiry_is_audited(client, auth, make_user, travel):
    from audit.models import audit_entries

    counselor = make_user("counselor")
    auth.login(counselor)
    travel(minutes=20)
    client.get("/")
    rows = db.session.execute(select(audit_entries).where(
        audit_entries.c.action == "auth.session_expired")).all()
    assert [r.actor_id for r in rows] == [counselor.user.id]


def test_login_issues_a_new_session_id(client, auth, make_user):
    counselor = make_user("counselor")
    csrf_token(client, "/login")
    before = cookie_value(client)
    assert before
    auth.login(counselor)
    after = cookie_value(client)
    assert after and after != before
    # The pre-login id is dead: a fixated cookie gives the attacker nothing.
    attacker = client.application.test_client()
    attacker.set_cookie("caseapp", before)
    assert attacker.get("/").status_code == 302


def test_database_holds_only_a_digest_of_the_token(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    token = cookie_value(client)
    from caseapp.accounts.sessions import token_digest

    ids = db.session.scalars(select(UserSession.id)).all()
    assert token not in ids
    assert hashlib.sha256(token.encode()).hexdigest() not in ids  # keyed, not a bare hash
    assert token_digest(token) in ids


def test_logout_revokes_the_session(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    token = cookie_value(client)
    auth.logout()
    replay = client.application.test_client()
    replay.set_cookie("caseapp", token)
    assert replay.get("/").status_code == 302


def test_password_change_ends_other_sessions(app, make_user):
    counselor = make_user("counselor")
    phone, laptop = app.test_client(), app.test_client()
    Auth(phone).login(counselor)
    Auth(laptop).login(counselor)
    old_laptop_token = cookie_value(laptop)
    token = csrf_token(laptop, "/account")
    new = "a brand new passphrase for me"
    response = laptop.post("/account", data={"csrf_token": token, "current_password":
                                             counselor.password, "new_password": new,
                                             "confirm": new})
    assert response.status_code == 302
    assert phone.get("/").status_code == 302          # other session ended
    assert laptop.get("/").status_code == 200         # this one continues...
    assert cookie_value(laptop) != old_laptop_token  # ...under a new id


def test_admin_revokes_all_sessions_of_a_user(app, make_user):
    counselor = make_user("counselor")
    admin = make_user("admin")
    user_client, admin_client = app.test_client(), app.test_client()
    Auth(user_client).login(counselor)
    Auth(admin_client).login(admin)
    token = csrf_token(admin_client, f"/admin/users/{counselor.user.id}")
    admin_client.post(f"/admin/users/{counselor.user.id}/revoke", data={"csrf_token": token})
    assert user_client.get("/").status_code == 302


def test_disabling_a_user_ends_their_sessions_at_once(app, make_user, runner):
    counselor = make_user("counselor")
    user_client = app.test_client()
    Auth(user_client).login(counselor)
    result = runner.invoke(args=["users", "disable", counselor.username])
    assert result.exit_code == 0, result.output
    assert user_client.get("/").status_code == 302
    assert db.session.scalars(select(UserSession).where(
        UserSession.user_id == counselor.user.id)).all() == []


def test_role_change_ends_sessions(app, make_user):
    counselor = make_user("counselor")
    user_client = app.test_client()
    Auth(user_client).login(counselor)
    admin_service.update_user(service.SYSTEM, counselor.user, role="officer",
                        unit_code=counselor.user.unit.code, display_name="")
    db.session.commit()
    assert user_client.get("/").status_code == 302


def test_cookie_flags_in_testing(client):
    response = client.get("/login")
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header
    assert "Expires" not in header and "Max-Age" not in header


@pytest.mark.no_db_isolation
def test_production_cookie_is_secure_and_host_prefixed(app, tmp_path):
    from flask_migrate import upgrade

    from caseapp import MIGRATIONS_DIR, create_app
    from tests.conftest import KEYRING

    # A database of its own: this app's requests commit (a start-up entry, a
    # checkpoint) outside the suite's rolled-back transaction, and in the shared
    # database they would make another test's log disagree with its checkpoints.
    prod = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "p" * 48,
                       "CASEAPP_KEYRING": KEYRING,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}"},
                      env="production")
    with prod.app_context():
        upgrade(directory=MIGRATIONS_DIR)
    client = prod.test_client()
    response = client.get("/login", base_url="https://localhost")
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-caseapp=")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Domain" not in header and "Path=/" in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    with prod.app_context():
        db.session.execute(db.delete(UserSession))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_remember_me_is_off(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    assert client.get_cookie("remember_token") is None


def test_a_session_row_inserted_into_the_database_is_refused(app, client, make_user):
    """An insider who can write the sessions table cannot mint a session: the
    row id is a keyed HMAC of the cookie token."""
    import hashlib

    from caseapp import clock

    officer = make_user("officer")
    token = "insider-chosen-token-0123456789"
    now = clock.now()
    from datetime import timedelta

    db.session.add(UserSession(id=hashlib.sha256(token.encode()).hexdigest(),
                               user_id=officer.user.id, created_at=now, last_seen_at=now,
                               expires_at=now + timedelta(hours=1),
                               data=f'{{"_user_id":"{officer.user.id}","_fresh":true}}'))
    db.session.commit()
    client.set_cookie("caseapp", token)
    assert client.get("/").status_code == 302


def test_editing_a_session_row_in_the_database_ends_it(app, make_user):
    """A counselor's own session row rewritten to name an officer is refused."""
    counselor = make_user("counselor")
    officer = make_user("officer")
    browser = app.test_client()
    Auth(browser).login(counselor)
    row = db.session.scalars(select(UserSession).where(
        UserSession.user_id == counselor.user.id)).one()
    row.data = row.data.replace(counselor.user.id, officer.user.id)
    row.user_id = officer.user.id
    db.session.commit()
    assert browser.get("/").status_code == 302


def test_logout_issues_a_new_anonymous_session_id(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    before = cookie_value(client)
    auth.logout()
    assert cookie_value(client) != before


def test_https_login_works_with_the_referrer_policy(app, make_user):
    """Flask-WTF checks the Referer over HTTPS; the policy must let our own pages send it."""
    counselor = make_user("counselor")
    browser = app.test_client()
    base = "https://localhost"
    page = browser.get("/login", base_url=base)
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = csrf_token(browser, "/login")
    response = browser.post("/login", base_url=base, headers={"Referer": base + "/login"},
                            data={"csrf_token": token, "username": counselor.username,
                                  "password": counselor.password})
    assert response.status_code == 302
