"""What issue 16's load work changed on the common request path, held to its promises.

* A page's request reads without SQLite's write lock and takes it before its
  first write: an entry it writes after another worker's still lands at the
  chain's head, and the chain verifies.
* argon2 runs without the write lock; the login is decided on the rows as
  they are after the hash: attempts hashed side by side cannot outrun the
  throttle, and a password changed meanwhile does not let the old one in.
* A run of page reads moves the session's last_seen_at on at most every
  TOUCH_EVERY; a posted form always does.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select

import audit
from caseapp.accounts import passwords, throttle
from caseapp.accounts.models import UserSession
from caseapp.accounts.sessions import TOUCH_EVERY
from caseapp.database import StaleRead
from caseapp.extensions import db
from tests.conftest import MIGRATIONS_DIR, Auth, csrf_token, settings_for_tests


def _entries_head(connection) -> int:
    return connection.execute(select(func.max(audit.audit_entries.c.seq))).scalar() or 0


@pytest.mark.no_db_isolation
def test_an_entry_written_by_a_page_after_another_writer_lands_at_the_head(tmp_path):
    from flask_migrate import upgrade

    from caseapp import create_app
    from caseapp.auditing.writer import ensure_genesis, record

    url = f"sqlite:///{tmp_path}/reads.db"
    own = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=url),
                     env="testing")
    own.extensions["caseapp_audit_started"] = True  # no start-up entry in the way
    key = own.extensions["caseapp_keys"].audit_mac_key
    with own.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        ensure_genesis()
        db.session.commit()
    other = create_engine(url)  # another worker's connection
    try:
        with own.test_request_context("/", method="GET"):
            first_seen = _entries_head(db.session.connection())  # the page's reads begin
            with other.begin() as connection:
                audit.append(connection, key, action="test.other_worker")
            # The page's read snapshot is older than that entry: its entry is
            # refused (its checks were made on a state that is gone) and nothing
            # is written; run again, as CaseApp runs the page again, it follows
            # the other worker's entry.
            with pytest.raises(StaleRead):
                record("test.page_read", actor="system")
            db.session.rollback()
            record("test.page_read", actor="system")
            db.session.commit()
            db.session.remove()
        with other.connect() as connection:
            rows = connection.execute(select(audit.audit_entries.c.seq,
                                             audit.audit_entries.c.action)
                                      .where(audit.audit_entries.c.seq > first_seen)
                                      .order_by(audit.audit_entries.c.seq)).all()
            assert [r.action for r in rows] == ["test.other_worker", "test.page_read"]
            assert audit.verify_chain(connection, key).ok
    finally:
        other.dispose()
        with own.app_context():
            db.engine.dispose()


def test_failures_recorded_while_a_password_hashes_refuse_the_right_password(
        app, client, make_user, monkeypatch):
    """Attempts hashed side by side: the throttle is checked again after the hash."""
    made = make_user("counselor")
    original = passwords.Hasher.verify

    def others_fail_meanwhile(self, stored, password):
        key = throttle.account_key(made.username)
        for _ in range(app.config["LOGIN_THROTTLE_AFTER"]):
            throttle.record_failure(key, after=app.config["LOGIN_THROTTLE_AFTER"])
        return original(self, stored, password)

    monkeypatch.setattr(passwords.Hasher, "verify", others_fail_meanwhile)
    answer = Auth(client).login(made)
    assert answer.status_code == 429  # the throttled answer, though the password was right
    assert client.get("/login/code").status_code == 302  # no half-done login to finish
    reasons = db.session.execute(select(audit.audit_entries.c.details).where(
        audit.audit_entries.c.action == "auth.login",
        audit.audit_entries.c.object_id == made.user.id)).scalars().all()
    assert any('"throttled"' in (r or "") for r in reasons)


def test_a_password_changed_while_the_old_one_hashes_lets_nobody_in(client, make_user,
                                                                   monkeypatch):
    made = make_user("counselor")
    original = passwords.Hasher.verify

    def changed_meanwhile(self, stored, password):
        result = original(self, stored, password)
        user = db.session.get(type(made.user), made.user.id)
        user.password_hash = self.hash("another password chosen meanwhile 42")
        db.session.commit()
        return result

    monkeypatch.setattr(passwords.Hasher, "verify", changed_meanwhile)
    answer = Auth(client).login(made)
    assert answer.status_code == 401
    assert client.get("/login/code").status_code == 302


def _last_seen(client):
    digest = client.get_cookie("caseapp").value
    from caseapp.accounts.sessions import token_digest

    db.session.expire_all()
    return db.session.get(UserSession, token_digest(digest)).last_seen_at


def test_page_reads_touch_the_session_at_most_every_touch_period(client, auth, make_user,
                                                                 travel):
    auth.login(make_user("counselor"))
    assert client.get("/").status_code == 200
    touched = _last_seen(client)
    travel(seconds=TOUCH_EVERY.total_seconds() / 3)
    assert client.get("/").status_code == 200
    assert _last_seen(client) == touched  # no write for a page read just after another
    travel(seconds=TOUCH_EVERY.total_seconds())
    assert client.get("/").status_code == 200
    later = _last_seen(client)
    assert later >= touched + TOUCH_EVERY
    # A posted form always touches: "stay signed in" extends exactly.
    travel(seconds=1)
    answer = client.post("/session/extend", data={"csrf_token": csrf_token(client, "/")})
    assert answer.status_code == 200
    assert _last_seen(client) >= later + timedelta(seconds=1)


def test_a_session_revoked_between_two_quick_page_reads_is_refused(client, auth, make_user):
    made = make_user("counselor")
    auth.login(made)
    assert client.get("/").status_code == 200
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == made.user.id))
    db.session.commit()
    answer = client.get("/")  # within the touch period: the row is still read
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
