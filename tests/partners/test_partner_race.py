"""Two requests with one Idempotency-Key at the same moment file one case.

Real concurrency needs real transactions: an app of its own on its own
database (a SQLite file, or a PostgreSQL database beside the test one when
CASEAPP_TEST_DATABASE_URL is set), requests from threads released together.
"""
from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from caseapp import MIGRATIONS_DIR, create_app
from caseapp.admin import service as admin_service
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.partners import service
from caseapp.partners.models import IdempotencyKey
from caseapp.permissions.partners import SYSTEM
from tests.conftest import TEST_DATABASE_URL, closed_after, settings_for_tests

from .conftest import bearer, intake_json

pytestmark = pytest.mark.no_db_isolation
RACERS = 6


def _own_database(tmp_path) -> str:
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path}/race.db"
    url = make_url(TEST_DATABASE_URL)
    race = url.set(database=f"{url.database}_race")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{race.database}"'))
        connection.execute(text(f'CREATE DATABASE "{race.database}"'))
    server.dispose()
    return race.render_as_string(hide_password=False)


@pytest.fixture
def race_app(tmp_path):
    app = create_app(settings_for_tests(str(tmp_path),
                                        SQLALCHEMY_DATABASE_URI=_own_database(tmp_path)),
                     env="testing")
    app.extensions["caseapp_audit_started"] = True
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        admin_service.create_unit(SYSTEM, "XA", "Xã thử")
        _, secret = service.issue_token(SYSTEM, service.NewToken(
            "Tổng đài 111", "XA", ("intake:create", "case:status"), 30))
        db.session.commit()
    app.config["RACE_SECRET"] = secret
    yield from closed_after(app)


@pytest.mark.parametrize("looked_up", ["looked_up", "all_past_the_look_up"])
def test_requests_sent_at_once_with_one_key_file_one_case(race_app, monkeypatch, looked_up):
    if looked_up == "all_past_the_look_up":
        # Every request finds no key (as when all look before any has claimed it):
        # the unique (family, key) claim alone must stop all but one.
        monkeypatch.setattr(service, "_known_key", lambda *args: None)
    secret, body = race_app.config["RACE_SECRET"], None
    with race_app.app_context():
        body = intake_json()
    start = threading.Barrier(RACERS)
    answers: list = []

    def send():
        client = race_app.test_client()
        start.wait()
        response = client.post("/api/v1/partner/intakes", json=body,
                               headers={**bearer(secret), "Idempotency-Key": "same-call"})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == RACERS
    assert {status for status, _ in answers} == {201}, answers
    assert len({answer["reference"] for _, answer in answers}) == 1
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
