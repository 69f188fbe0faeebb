"""Forged page marks that parse as JSON or text but hold values no column can
take (an integer beyond 64 bits, a lone surrogate, a NUL byte, an id that is
not a row id) answer the first page, as any other bad mark does: never a 500
from the database driver (run on SQLite and, with CASEAPP_TEST_DATABASE_URL,
on PostgreSQL)."""
from __future__ import annotations

import base64
import json

import pytest

from caseapp.extensions import db
from caseapp.notifications.models import Notification
from tests.case_screens.test_supervision_lists import ROW, overdue, section  # noqa: F401

WHEN = "2026-01-01T00:00:00+00:00"
LATE = "2999-01-01T00:00:00+00:00"  # past every row: honoured, it lists none
ID = "0b0e4b3c-8c43-4f7c-9d2c-3f3f2b7e9a11"


def json_mark(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def text_mark(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


BAD_IDS = ["\ud800", "a\x00b", ID.upper(), ID.replace("-", ""), "{" + ID + "}",
           "../../etc", ID + "\x00"]


# Notification ids are INTEGER: 32 bits on PostgreSQL (a value past them was a
# 500 there, "integer out of range", found by review).
@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 2**40, 2**63 - 1, 2**63, 2**64 + 5,
                                    -(2**63) - 1, 10**30])
def test_notifications_out_of_range_integer_is_the_first_page(people, login, number):
    for _ in range(3):
        db.session.add(Notification(user_id=people.officer.id, kind="case_assigned",
                                    case_reference="HS-ABCDEFGH"))
    db.session.commit()
    response = login(people.officer).get("/notifications",
                                         query_string={"after": json_mark(WHEN, number)})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('data-id="') == 3


@pytest.mark.parametrize("bad", BAD_IDS)
def test_supervision_lists_forged_ids_are_the_first_page(people, login, overdue, bad):  # noqa: F811
    made, _elsewhere = overdue
    client = login(people.supervisor)
    marks = {"overdue": json_mark(LATE, LATE, bad), "unassigned": json_mark(False, LATE, bad),
             "closures": json_mark(LATE, bad), "data-requests": json_mark(WHEN, bad),
             "break-glass-uses": json_mark(WHEN, bad), "transfers-in": json_mark(WHEN, bad),
             "transfers-out": json_mark(WHEN, bad)}
    for name, mark in marks.items():
        response = client.get(f"/supervision/{name}", query_string={"after": mark})
        assert response.status_code == 200, name
    for name in ("overdue", "unassigned"):
        html = client.get(f"/supervision/{name}",
                          query_string={"after": marks[name]}).get_data(as_text=True)
        assert set(ROW.findall(section(html, name))) == {c.reference for c in made}, name


@pytest.mark.parametrize("bad", BAD_IDS)
def test_case_list_and_api_forged_ids_are_the_first_page(people, login, make_case, bad):
    made = [make_case("intake") for _ in range(2)]
    client = login(people.supervisor)
    mark = text_mark(f"|{WHEN}|{bad}")
    answer = client.get("/api/v1/cases", query_string={"after": mark})
    assert answer.status_code == 200
    assert {c["reference"] for c in answer.json["cases"]} >= {c.reference for c in made}
    assert client.get("/cases", query_string={"after": mark}).status_code == 200


def test_a_genuine_mark_still_pages(people, login, overdue, monkeypatch):  # noqa: F811
    from caseapp.supervision import service as supervision

    made, _elsewhere = overdue
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.supervisor)
    first = ROW.findall(section(client.get("/supervision/overdue").get_data(as_text=True),
                                "overdue"))
    rows = sorted(made, key=lambda c: (c.next_deadline_at, c.received_at, c.id))
    mark = supervision.CASE_LISTS["overdue"].keyset.token(rows[1])
    second = ROW.findall(section(client.get("/supervision/overdue", query_string={
        "after": mark}).get_data(as_text=True), "overdue"))
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)


BAD_NAMES = ["\ud800", "a\x00b", "x" * 65, "", "line\nbreak", 7, None]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_admin_lists_forged_marks_are_the_first_page(people, login, bad):
    admin = login(people.admin)
    for path, mark in (("/admin/users", json_mark(bad)), ("/admin/tokens", json_mark(WHEN, bad))):
        for direction in ("after", "before"):
            response = admin.get(path, query_string={direction: mark})
            assert response.status_code == 200, (path, direction)
    # The first page of people: every one of the fixture's accounts fits on it.
    html = admin.get("/admin/users", query_string={"after": json_mark(bad)}).get_data(
        as_text=True)
    assert people.officer.username in html and people.admin.username in html


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 2**63 - 1, -(2**63)])
def test_unit_lists_out_of_range_ids_are_the_first_page(people, login, number):
    mark = json_mark("/1/", number)
    admin = login(people.admin)
    officer = login(people.officer2)
    for key in ("after", "before"):
        response = admin.get("/admin/units", query_string={key: mark})
        assert response.status_code == 200 and 'id="unit-TINH"' in response.get_data(as_text=True)
        assert officer.get("/awareness/schools", query_string={key: mark}).status_code == 200
