"""Logging in: password, second factor, throttling and lockout as a user sees them."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select, update

from caseapp.accounts import passwords, service, throttle
from caseapp.accounts.models import LoginThrottle, User
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from tests.conftest import PASSWORD, csrf_token


def post_login(client, username, password):
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                       "password": password})


def test_counselor_logs_in_and_sees_home_in_vietnamese(client, auth, make_user):
    counselor = make_user("counselor")
    response = auth.login(counselor, follow=False)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Xin chào" in page
    assert 'lang="vi"' in page


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    counselor = make_user("counselor")
    wrong = post_login(client, counselor.username, "not the password at all")
    unknown = post_login(client, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    text_wrong = wrong.get_data(as_text=True)
    text_unknown = unknown.get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu" in text_wrong
    assert text_wrong.replace(counselor.username, "") .count("Sai tên") == \
        text_unknown.count("Sai tên")


def test_unknown_user_costs_one_argon2_verification_like_a_real_one(app, client, make_user,
                                                                      monkeypatch):
    counselor = make_user("counselor")
    hasher = app.extensions["caseapp_hasher"]
    calls = []
    real_verify = passwords.Hasher.verify

    def spy(self, stored, password):
        calls.append(stored is None)
        return real_verify(self, stored, password)

    monkeypatch.setattr(passwords.Hasher, "verify", spy)
    post_login(client, counselor.username, "wrong wrong wrong")
    post_login(client, "ghost-user", "wrong wrong wrong")
    assert calls == [False, True]
    assert hasher._dummy is not None and hasher._dummy.startswith("$argon2id$")


def test_the_unknown_users_hash_has_the_real_parameters_and_costs_one_run(app, client,
                                                                          monkeypatch):
    from argon2 import PasswordHasher, extract_parameters

    hasher = app.extensions["caseapp_hasher"]
    real = hasher._hasher
    # an attacker timing logins sees one argon2 run with the real cost, also on
    # the first unknown username a worker meets (no hash made at that moment)
    assert extract_parameters(hasher._dummy) == extract_parameters(real.hash("x"))
    runs = []
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)
        monkeypatch.setattr(
            PasswordHasher, name,
            lambda self, *a, _n=name, _o=original: (runs.append(_n), _o(self, *a))[1])
    first = post_login(client, "ghost-user-one", "wrong wrong wrong")
    second = post_login(client, "ghost-user-two", "wrong wrong wrong")
    assert first.status_code == second.status_code == 401
    assert runs == ["verify", "verify"]


def test_known_and_unknown_usernames_send_the_same_statements(app, client, make_user):
    from sqlalchemy import event

    counselor = make_user("counselor")
    csrf_token(client)  # the form's token first: its session write is not the login's

    def statements(username):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            answer = client.post("/login", data={"csrf_token": csrf_token(client),
                                                 "username": username,
                                                 "password": "wrong wrong wrong"})
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert answer.status_code == 401
        # the test's savepoints are numbered on; their order is what counts
        return [re.sub(r"sa_savepoint_\d+", "sp", statement) for statement in seen]

    statements(counselor.username)  # a first failure of each name opens its throttle rows
    statements("ghost-user")
    assert statements(counselor.username) == statements("ghost-user")


def test_disabled_user_cannot_log_in_even_with_the_right_password(client, make_user):
    counselor = make_user("counselor")
    admin_service.set_enabled(service.SYSTEM, counselor.user, False)
    db.session.commit()
    assert post_login(client, counselor.username, PASSWORD).status_code == 401


def test_officer_needs_the_second_factor(client, auth, make_user):
    officer = make_user("officer")
    first = post_login(client, officer.username, PASSWORD)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/code")
    # Not logged in yet: the home page still sends to the login.
    assert client.get("/").status_code == 302
    token = csrf_token(client, "/login/code")
    bad = client.post("/login/code", data={"csrf_token": token, "code": "000000"})
    assert "Mã không đúng" in bad.get_data(as_text=True)
    token = csrf_token(client, "/login/code")
    good = client.post("/login/code", data={"csrf_token": token, "code": officer.code()})
    assert good.status_code == 302
    assert client.get("/").status_code == 200


def test_a_totp_code_is_accepted_once(client, auth, make_user):
    officer = make_user("officer")
    code = officer.code()
    assert auth.login(officer, code=code, follow=False).status_code == 302
    auth.logout()
    response = auth.login(officer, code=code, follow=False)
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_recovery_code_logs_in_once(app, client, auth, make_user):
    officer = make_user("officer")
    codes = service.regenerate_recovery_codes(officer.user, officer.password)
    db.session.commit()
    assert auth.login(officer, code=codes[0], follow=False).status_code == 302
    auth.logout()
    assert auth.login(officer, code=codes[0], follow=False).status_code == 200
    assert auth.login(officer, code=codes[1].upper(), follow=False).status_code == 302


def test_first_login_of_an_officer_enrols_totp(client, make_user):
    import pyotp

    officer = make_user("officer", totp=False)
    response = post_login(client, officer.username, PASSWORD)
    assert response.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "/login/enrol/qr.svg" in page
    qr = client.get("/login/enrol/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    db.session.refresh(officer.user)
    from caseapp import permissions
    from caseapp.crypto import unlock

    unlock(officer.user, grant=permissions.grant_own_second_factor(officer.user))
    secret = officer.user.totp_secret
    assert secret and secret in page
    token = csrf_token(client, "/login/enrol")
    done = client.post("/login/enrol", data={"csrf_token": token, "code": "123456"})
    assert "Mã không đúng" in done.get_data(as_text=True)
    token = csrf_token(client, "/login/enrol")
    done = client.post("/login/enrol", data={"csrf_token": token,
                                             "code": pyotp.TOTP(secret).now()})
    codes_page = done.get_data(as_text=True)
    assert done.status_code == 200 and codes_page.count("<code>") == 10
    # Logged in now, and the codes were never stored where a later page could show them.
    assert client.get("/").status_code == 200
    from caseapp.accounts.models import UserSession

    codes = re.findall(r"<code>([a-z0-9-]+)</code>", codes_page)
    stored = " ".join(r.data for r in db.session.query(UserSession).all())
    assert codes and not any(code in stored for code in codes)


def test_enrolment_page_needs_the_password_step_first(client):
    assert client.get("/login/enrol").headers["Location"].endswith("/login")
    assert client.get("/login/enrol/qr.svg").headers["Location"].endswith("/login")
    assert client.get("/login/code").headers["Location"].endswith("/login")


def test_second_step_expires(client, make_user, travel):
    officer = make_user("officer")
    post_login(client, officer.username, PASSWORD)
    travel(minutes=6)
    assert client.get("/login/code").headers["Location"].endswith("/login")


def _throttle_row(username: str) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, throttle.account_key(username))


@pytest.mark.parametrize("exists", [True, False], ids=["real-account", "unknown-account"])
def test_five_failures_block_with_a_doubling_delay(client, make_user, travel, exists):
    username = make_user("counselor").username if exists else "no-such-person"
    for _ in range(5):
        assert post_login(client, username, "wrong password here").status_code == 401
    blocked = post_login(client, username, PASSWORD)
    assert blocked.status_code == 429
    assert "Thử lại sau" in blocked.get_data(as_text=True)
    first_delay = _throttle_row(username).blocked_until - _throttle_row(username).last_failure_at
    travel(seconds=first_delay.total_seconds() + 1)
    assert post_login(client, username, "wrong password here").status_code == 401
    row = _throttle_row(username)
    assert row.blocked_until - row.last_failure_at == first_delay * 2
    travel(minutes=16)
    final = post_login(client, username, PASSWORD)
    assert final.status_code == (302 if exists else 401)


def test_delay_is_capped_at_fifteen_minutes(app, make_user, travel):
    with app.test_request_context():
        key = throttle.account_key("someone")
        for _ in range(20):
            row = throttle.record_failure(key, after=5, hard_lock_after=100)
        assert (row.blocked_until - row.last_failure_at).total_seconds() == 900


def test_hard_lock_at_100_failures_until_an_admin_lifts_it(client, auth, make_user, travel):
    counselor = make_user("counselor")
    for _ in range(100):
        post_login(client, counselor.username, "wrong password here")
        travel(minutes=16)
    row = _throttle_row(counselor.username)
    assert row.hard_locked and row.failures == 100
    locked = post_login(client, counselor.username, PASSWORD)
    assert "quản trị viên" in locked.get_data(as_text=True)
    travel(hours=48)
    assert post_login(client, counselor.username, PASSWORD).status_code != 302

    admin = make_user("admin")
    admin_client = client.application.test_client()
    from tests.conftest import Auth

    Auth(admin_client).login(admin)
    token = csrf_token(admin_client, f"/admin/users/{counselor.user.id}")
    admin_client.post(f"/admin/users/{counselor.user.id}/unlock", data={"csrf_token": token})
    assert _throttle_row(counselor.username) is None
    assert post_login(client, counselor.username, PASSWORD).status_code == 302


def test_failures_from_one_address_are_throttled_across_usernames(client):
    for i in range(20):
        post_login(client, f"guess{i}", "wrong password here")
    response = post_login(client, "another-guess", "wrong password here")
    assert response.status_code == 429


def test_rehash_on_login_when_parameters_change(app, client, make_user):
    counselor = make_user("counselor")
    old_hash = counselor.user.password_hash
    assert "m=19456,t=2" in old_hash
    original = app.extensions["caseapp_hasher"]
    app.extensions["caseapp_hasher"] = passwords.Hasher(3, 19456, 1, 2, 5,
                                                        pepper=original._pepper)
    try:
        assert post_login(client, counselor.username, PASSWORD).status_code == 302
    finally:
        app.extensions["caseapp_hasher"] = original
    db.session.refresh(counselor.user)
    assert counselor.user.password_hash != old_hash
    assert "m=19456,t=3" in counselor.user.password_hash


@contextmanager
def watching_hasher(app, on_verify=lambda: None, on_hash=lambda: None):
    """The app's hasher in the test parameters' successor (t=3: every test
    user's hash is old), calling ``on_verify`` after each verification and
    ``on_hash`` before each new hash; yields the passwords hashed anew."""
    original = app.extensions["caseapp_hasher"]
    hashed = []

    class Watching(passwords.Hasher):
        def verify(self, stored_hash, password):
            ok = super().verify(stored_hash, password)
            on_verify()
            return ok

        def hash(self, password):
            on_hash()
            hashed.append(password)
            return super().hash(password)

    app.extensions["caseapp_hasher"] = Watching(3, 19456, 1, 2, 5, pepper=original._pepper)
    try:
        yield hashed
    finally:
        app.extensions["caseapp_hasher"] = original


def test_a_rehash_at_login_is_made_with_no_transaction_open(app, client, make_user):
    """The new hash (a second argon2 run) is made with no transaction open.
    Made inside one, it held SQLite's write lock (every POST's transaction
    takes it at BEGIN) for the length of a hash: the first logins after
    ARGON2_* changed queued every worker's writes behind one another (a median
    login of 11 s in issue 16's load run)."""
    counselor = make_user("counselor")
    seen = []

    def watch(step):
        return lambda: seen.append((step, db.session().in_transaction()))

    username, user_id = counselor.username, counselor.user.id
    with watching_hasher(app, on_verify=watch("verify"), on_hash=watch("hash")):
        assert post_login(client, username, PASSWORD).status_code == 302
    assert seen == [("verify", False), ("hash", False)]
    db.session.expire_all()
    assert "m=19456,t=3" in db.session.get(User, user_id).password_hash


def test_a_disabled_accounts_right_password_costs_no_second_hash(app, client, make_user):
    """The new hash is made only for an account that may log in: its time would
    tell an attacker they had guessed a disabled account's password."""
    counselor = make_user("counselor")
    admin_service.set_enabled(service.SYSTEM, counselor.user, False)
    db.session.commit()
    with watching_hasher(app) as hashed:
        assert post_login(client, counselor.username, PASSWORD).status_code == 401
    assert hashed == []


def others_fail_meanwhile(app, key):
    after = app.config["LOGIN_THROTTLE_AFTER"]
    for _ in range(after):
        throttle.record_failure(key, after=after)


def locked_meanwhile(_app, key):
    assert throttle.record_failure(key, after=10_000, hard_lock_after=1).hard_locked


@pytest.mark.parametrize(("meanwhile", "status"), [(others_fail_meanwhile, 429),
                                                   (locked_meanwhile, 401)])
def test_a_right_password_refused_after_its_check_costs_no_second_hash(
        app, client, make_user, meanwhile, status):
    """Guesses hashed side by side: the others' failures (or a lock) land while
    this one is verified, so it is refused like any guess. Had it paid for a
    second hash, its time would tell the right one (hostile review)."""
    counselor = make_user("counselor")
    key = throttle.account_key(counselor.username)

    def land():
        meanwhile(app, key)
        db.session.commit()

    with watching_hasher(app, on_verify=land) as hashed:
        assert post_login(client, counselor.username, PASSWORD).status_code == status
    assert hashed == []


def test_a_password_set_during_the_rehash_is_not_overwritten(app, client, make_user):
    """An admin's reset committed while the old password is hashed again: the
    new hash of the old password is not stored over it."""
    counselor = make_user("counselor")
    user_id = counselor.user.id
    reset = passwords.hasher().hash("the admin's new password 42")

    def admin_resets_meanwhile():
        db.session.execute(update(User).where(User.id == user_id).values(password_hash=reset))
        db.session.commit()

    with watching_hasher(app, on_hash=admin_resets_meanwhile) as hashed:
        post_login(client, counselor.username, PASSWORD)
    assert len(hashed) == 1
    db.session.expire_all()
    assert db.session.get(User, user_id).password_hash == reset


def test_login_attempts_are_audited_without_passwords(client, auth, make_user):
    from audit.models import audit_entries

    counselor = make_user("counselor")
    post_login(client, counselor.username, "secret-guess-123456")
    auth.login(counselor)
    rows = db.session.execute(select(audit_entries).where(
        audit_entries.c.action == "auth.login")).all()
    outcomes = [(r.outcome, r.actor_id) for r in rows]
    assert ("failed", None) in outcomes or any(o == "failed" for o, _ in outcomes)
    assert ("ok", counselor.user.id) in outcomes
    blob = " ".join(str(tuple(r)) for r in rows)
    assert "secret-guess" not in blob and PASSWORD not in blob


def test_rate_limiter_answers_429_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    codes = [post_login(client, f"guess{i}", "wrong password here").status_code
             for i in range(3)]
    assert codes == [401, 401, 429]
    page = post_login(client, "guess", "wrong password here").get_data(as_text=True)
    assert "Quá nhiều yêu cầu" in page


def test_totp_secret_is_encrypted_in_the_database(app, make_user):
    from sqlalchemy import text

    officer = make_user("officer")
    raw = db.session.execute(text("SELECT totp_secret FROM users WHERE id = :id"),
                             {"id": officer.user.id}).scalar_one()
    assert raw and officer.totp_secret.encode() not in bytes(raw)


def test_totp_secret_cannot_be_read_without_a_grant(app, make_user):
    from caseapp.crypto import AccessNotGranted, key_scope

    officer = make_user("officer")
    with key_scope(), pytest.raises(AccessNotGranted):  # a fresh scope: nothing unlocked
        _ = officer.user.totp_secret


def test_a_password_hash_written_into_the_database_does_not_verify(app, client, make_user):
    """An insider with write access sets a hash of a password they know:
    without the pepper (in the key file) it does not log them in."""
    from argon2 import PasswordHasher

    counselor = make_user("counselor")
    counselor.user.password_hash = PasswordHasher(time_cost=2, memory_cost=19456,
                                                  parallelism=1).hash("insider knows this one")
    db.session.commit()
    assert post_login(client, counselor.username, "insider knows this one").status_code == 401


def test_password_reset_voids_a_half_done_login(app, client, make_user):
    officer = make_user("officer", totp=False)
    response = post_login(client, officer.username, PASSWORD)
    assert response.headers["Location"].endswith("/login/enrol")
    admin_service.set_password(service.SYSTEM, officer.user, "a completely new passphrase")
    db.session.commit()
    assert client.get("/login/enrol").headers["Location"].endswith("/login")


def test_each_password_login_gets_a_fresh_enrolment_secret(app, make_user):
    """Someone who saw the QR code with a phished password learns nothing
    that still works once the owner logs in."""
    from caseapp.accounts.models import User

    officer = make_user("officer", totp=False)
    attacker, owner = app.test_client(), app.test_client()
    post_login(attacker, officer.username, PASSWORD)
    seen = re.search(r'class="secret">([A-Z2-7]+)<', attacker.get("/login/enrol").get_data(
        as_text=True)).group(1)
    post_login(owner, officer.username, PASSWORD)
    page = owner.get("/login/enrol").get_data(as_text=True)
    assert seen not in page
    import pyotp

    token = csrf_token(attacker, "/login/enrol")
    late = attacker.post("/login/enrol", data={"csrf_token": token,
                                               "code": pyotp.TOTP(seen).now()})
    assert "Mã không đúng" in late.get_data(as_text=True)
    assert db.session.get(User, officer.user.id).totp_enabled_at is None


def test_regenerating_recovery_codes_needs_the_password(client, auth, make_user):
    officer = make_user("officer")
    auth.login(officer)
    page = client.get("/account").get_data(as_text=True)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and 'for="codes-current_password"' in page
    token = csrf_token(client, "/account")
    refused = client.post("/account/recovery-codes", data={"csrf_token": token,
                                                           "current_password": "wrong one!!"})
    assert refused.status_code == 302
    token = csrf_token(client, "/account")
    fresh = client.post("/account/recovery-codes", data={"csrf_token": token,
                                                         "current_password": PASSWORD})
    assert fresh.status_code == 200 and fresh.get_data(as_text=True).count("<code>") == 10


def test_unicode_spellings_of_a_username_share_one_throttle(client, make_user):
    import unicodedata

    from caseapp.accounts import service as accounts

    unit_user = make_user("counselor", username="thuý")
    nfd = unicodedata.normalize("NFD", unit_user.username)
    assert nfd != unit_user.username
    for _ in range(5):
        post_login(client, unit_user.username, "wrong password here")
    assert post_login(client, nfd, PASSWORD).status_code == 429
    assert accounts.find_user(nfd).id == unit_user.user.id


def test_address_failures_are_forgotten_after_an_hour(client, travel):
    for i in range(19):
        post_login(client, f"typo{i}", "wrong password here")
        travel(minutes=90)
    assert post_login(client, "typo-last", "wrong password here").status_code == 401


def test_rate_limit_counters_of_long_ended_windows_are_deleted(app):
    import time

    from caseapp.accounts.models import RateLimitCounter
    from caseapp.accounts.rate_limits import DatabaseStorage

    with app.test_request_context():
        db.session.add(RateLimitCounter(key="rl:old", count=3, expires_at=time.time() - 7200))
        db.session.flush()
        storage = DatabaseStorage("caseapp-db://")
        assert storage.incr("LIMITER/10.0.0.1/login", 60) == 1
        assert storage.incr("LIMITER/10.0.0.1/login", 60) == 2
        assert db.session.get(RateLimitCounter, "rl:old") is None
        assert storage.get("LIMITER/10.0.0.1/login") == 2
        stored = db.session.scalars(select(RateLimitCounter.key)).all()
        assert all("10.0.0.1" not in key for key in stored)  # no address in the table


def test_an_account_waiting_for_confirmation_is_told_so_only_with_its_password(
        client, make_user):
    counselor = make_user("counselor", totp=False)
    counselor.user.awaiting_confirmation = True  # its row MAC follows at the flush
    db.session.commit()
    wrong = post_login(client, counselor.username, "not the password at all")
    assert wrong.status_code == 401 and "chờ người thứ hai" not in wrong.get_data(as_text=True)
    right = post_login(client, counselor.username, PASSWORD)
    html = right.get_data(as_text=True)
    assert right.status_code == 401 and "Tài khoản của bạn đang chờ người thứ hai" in html
    assert client.get("/api/v1/me").status_code == 401  # still not logged in
    row = db.session.get(LoginThrottle, throttle.account_key(counselor.username))
    assert row is not None and row.failures == 1  # the right password counted no failure


@pytest.mark.no_db_isolation
@pytest.mark.parametrize("database", ["postgresql"])
def test_a_purge_passes_over_counters_another_login_holds(app, database):
    """Two logins at once on PostgreSQL: the one purging old counters skips a
    row the other's transaction holds, instead of waiting for it to commit
    (lock_timeout turns a wait into an error here)."""
    import time

    from sqlalchemy import delete, text

    from caseapp.accounts.models import RateLimitCounter
    from caseapp.accounts.rate_limits import DatabaseStorage, _key

    old = time.time() - 7200
    mine = ["rl:held", "rl:free"]
    with app.app_context():
        db.session.add_all([RateLimitCounter(key=k, count=1, expires_at=old) for k in mine])
        db.session.commit()
        other = db.engine.connect()
        try:
            other.begin()
            other.execute(text("SELECT key FROM rate_limit_counters WHERE key = 'rl:held' "
                               "FOR UPDATE"))
            with app.test_request_context():
                mine.append(_key("LIMITER/10.9.9.9/login"))
                db.session.execute(text("SET LOCAL lock_timeout = '5s'"))
                assert DatabaseStorage("caseapp-db://").incr("LIMITER/10.9.9.9/login", 60) == 1
                left = set(db.session.scalars(select(RateLimitCounter.key).where(
                    RateLimitCounter.key.in_(mine[:2]))))
                db.session.commit()
            assert left == {"rl:held"}
        finally:
            other.rollback()
            other.close()
            db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key.in_(mine)))
            db.session.commit()
