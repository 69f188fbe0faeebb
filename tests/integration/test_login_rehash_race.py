"""A password reset racing a login's rehash, on two real connections.

A login with a hash of old parameters stores the password's new hash on the
row read again under a row lock (``FOR UPDATE``; on SQLite the write lock a
posted form's transaction holds). Here the login is held just after that
read while an admin's reset is committed from another connection: the reset
must wait for the login to finish, and the reset's hash is what stays. On
PostgreSQL without the row lock the reset committed in the gap and the
login's UPDATE then put the old password back (a hostile review's finding).
"""
from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select, update

from caseapp import MIGRATIONS_DIR, create_app
from caseapp.accounts import passwords
from caseapp.accounts import service as accounts
from caseapp.accounts.models import User
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from tests.conftest import (
    PASSWORD,
    closed_after,
    csrf_token,
    reset_postgres_schema,
    settings_for_tests,
)
from tests.integration.test_login import watching_hasher

pytestmark = pytest.mark.no_db_isolation


@pytest.fixture
def own_app(tmp_path, database_url):
    uri = database_url or f"sqlite:///{tmp_path}/race.db"
    app = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=uri),
                     env="testing")
    if database_url:
        reset_postgres_schema(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        from caseapp.auditing.writer import ensure_genesis

        ensure_genesis()
        admin_service.create_unit("system", "RACE", "Đoàn thử")
        admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
            "racer", "counselor", "RACE", PASSWORD, temporary_password=False))
        db.session.commit()
    yield from closed_after(app)


def test_a_reset_waits_for_the_login_that_read_the_row_and_stays(own_app):
    app = own_app
    login_thread: list[threading.Thread] = []
    hashed_anew = threading.Event()
    row_read_again = threading.Event()
    go_on = threading.Event()
    reset_done = threading.Event()
    answers, failures = [], []

    def hold_after_the_second_read(conn, cursor, statement, *args):
        # The first read of the account after the new hash: the locked re-read.
        if (threading.current_thread() in login_thread and hashed_anew.is_set()
                and not row_read_again.is_set() and statement.lstrip().startswith("SELECT")
                and "FROM users" in statement):
            row_read_again.set()
            go_on.wait(30)

    with app.app_context():
        engine = db.engine
        user_id = db.session.scalar(select(User.id).where(User.username == "racer"))
        reset_hash = passwords.hasher().hash("the admin's new password 42")
    event.listen(engine, "after_cursor_execute", hold_after_the_second_read)
    client = app.test_client()

    def log_in():
        try:
            token = csrf_token(client, "/login")
            answers.append(client.post("/login", data={
                "username": "racer", "password": PASSWORD, "csrf_token": token}))
        except Exception as exc:  # noqa: BLE001 - reported below, not lost in the thread
            failures.append(exc)
            go_on.set()

    def admin_resets():
        try:
            with app.app_context():
                db.session.execute(update(User).where(User.id == user_id)
                                   .values(password_hash=reset_hash))
                db.session.commit()
            reset_done.set()
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)

    try:
        with watching_hasher(app, on_hash=hashed_anew.set) as hashed:
            login = threading.Thread(target=log_in)
            login_thread.append(login)
            login.start()
            assert row_read_again.wait(30), failures
            reset = threading.Thread(target=admin_resets)
            reset.start()
            # The login holds the row it read: the reset cannot commit meanwhile.
            assert not reset_done.wait(1.5), "the reset committed inside the login's window"
            go_on.set()
            login.join(30)
            reset.join(30)
    finally:
        go_on.set()
        event.remove(engine, "after_cursor_execute", hold_after_the_second_read)

    assert not failures, failures
    assert reset_done.is_set()
    assert len(hashed) == 1  # the login did hash the password anew
    assert answers and answers[0].status_code == 302  # on to the second factor
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.id == user_id))
    assert stored == reset_hash  # the reset stays; the old password's new hash is gone
