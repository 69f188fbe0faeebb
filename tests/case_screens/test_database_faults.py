"""A database that cannot be written (read-only, full, restarting) answers
503 with a message saying nothing was saved, never a 500 or a half-written
case; the app works again as soon as the database does."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseapp.cases.models import CaseNote
from caseapp.extensions import db
from tests.conftest import TEST_DATABASE_URL

from .conftest import act, token

ON_POSTGRESQL = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
# SQLite: the connection made read-only. PostgreSQL (whose read-only mode cannot
# change inside the tests' open transaction): the server answering "disk full"
# (SQLSTATE 53100) to the write, as a full volume would.
BREAK = (["CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS "
          "$$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$",
          "CREATE TRIGGER disk_full BEFORE INSERT ON case_notes FOR EACH ROW "
          "EXECUTE FUNCTION disk_full()"] if ON_POSTGRESQL else ["PRAGMA query_only = ON"])
MEND = (["DROP TRIGGER disk_full ON case_notes", "DROP FUNCTION disk_full()"]
        if ON_POSTGRESQL else ["PRAGMA query_only = OFF"])


def notes() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseNote))


@pytest.mark.parametrize("kind", ["web", "api"])
def test_a_database_that_cannot_write_answers_503_and_saves_nothing(people, login, make_case, kind):
    case = make_case("assessment")
    officer = login(people.officer)
    before = notes()
    # The form as the person had it on screen before the database became read-only.
    web_token = token(officer, f"/cases/{case.reference}")
    api_token = officer.get("/api/v1/me").json["csrf_token"]
    for statement in BREAK:
        db.session.connection().exec_driver_sql(statement)
    db.session.commit()
    try:
        if kind == "web":
            response = officer.post(f"/cases/{case.reference}/note",
                                    data={"note-csrf_token": web_token,
                                          "note-text": "Gọi điện cho mẹ em"})
        else:
            response = officer.post(f"/api/v1/cases/{case.reference}/notes",
                                    json={"text": "Gọi điện cho mẹ em"},
                                    headers={"X-CSRFToken": api_token})
    finally:
        db.session.rollback()
        for statement in MEND:
            db.session.connection().exec_driver_sql(statement)
        db.session.commit()
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "Gọi điện cho mẹ em" not in body
    if kind == "web":
        assert "Chưa lưu được: hãy thử lại" in body and "Chưa có gì được lưu" in body
    assert notes() == before
    # The database writable again, the same request goes through.
    officer = login(people.officer)
    again = act(officer, case.reference, "note", text="Gọi điện cho mẹ em")
    assert again.status_code in (302, 303)
    assert notes() == before + 1
