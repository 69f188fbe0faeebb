"""GET /api/v1/cases: one listed page is one "case.list" entry naming exactly
the references shown and those whose child data the answer holds; each case
is still checked on its own (another unit's case never listed, a restricted
case listed without its child); the who-viewed panel still names the reader,
found through the append-only index of listed cases; and a page costs the same
statements however many cases it holds."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

import audit
from caseapp.auditing.models import audit_entry_cases
from caseapp.auditlog.who_viewed import child_data_views
from caseapp.cases import queries
from caseapp.extensions import db
from tests.care.test_data_rights import restrict
from tests.case_actions import section_page
from tests.cases.conftest import CHILD_NAME, audit_rows
from tests.sql_statements import statements_run

E = audit.audit_entries.c


@pytest.fixture
def listed(people, make_case):
    """Three cases of the officer, one of them restricted; one of another unit."""
    mine = [make_case("assessment") for _ in range(3)]
    restrict(people, mine[2])
    elsewhere = make_case("assessment", unit=people.other_district,
                          recorder=people.other_officer, lead=people.other_officer,
                          supervisor=people.other_supervisor)
    db.session.commit()
    return mine, elsewhere


def list_entries() -> list:
    return audit_rows(action="case.list")


def test_one_page_is_one_entry_naming_exactly_what_was_shown(people, login, listed):
    mine, elsewhere = listed
    client = login(people.officer)
    views_before = len(audit_rows(action="case.view"))
    body = client.get("/api/v1/cases").json
    shown = [c["reference"] for c in body["cases"]]
    assert sorted(shown) == sorted(c.reference for c in mine)
    assert elsewhere.reference not in shown
    with_child = {c["reference"] for c in body["cases"] if c["child"] is not None}
    assert with_child == {mine[0].reference, mine[1].reference}
    restricted = next(c for c in body["cases"] if c["reference"] == mine[2].reference)
    assert restricted["child"] is None and restricted["child_data_hidden"] is True
    assert {c["child"]["full_name"] for c in body["cases"] if c["child"]} == {CHILD_NAME}

    entries = list_entries()
    assert len(entries) == 1 and len(audit_rows(action="case.view")) == views_before
    details = json.loads(entries[0].details)
    assert details["cases"] == shown and sorted(details["child"]) == sorted(with_child)
    assert details["shown"] == 3 and entries[0].actor_id == people.officer.id
    assert CHILD_NAME not in entries[0].details
    side = db.session.execute(select(audit_entry_cases).where(
        audit_entry_cases.c.seq == entries[0].seq)).all()
    assert {(r.reference, r.child_data) for r in side} == {
        (r, r in with_child) for r in shown}


def test_a_page_mark_from_elsewhere_lists_nothing_of_elsewhere(people, login, listed,
                                                               monkeypatch):
    mine, elsewhere = listed
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    client = login(people.officer)
    mark = queries.PageMark.of(elsewhere).token()
    body = client.get("/api/v1/cases", query_string={"after": mark}).json
    assert elsewhere.reference not in json.dumps(body)
    for entry in list_entries():
        assert elsewhere.reference not in entry.details


def test_who_viewed_names_the_api_reader_and_not_for_a_hidden_child(people, login, listed):
    mine, _elsewhere = listed
    login(people.officer).get("/api/v1/cases")
    views = child_data_views(mine[0])
    assert [(v.action, v.actor_id) for v in views if v.action == "case.list"] == [
        ("case.list", people.officer.id)]
    assert not [v for v in child_data_views(mine[2]) if v.action == "case.list"]
    # The panel (linked from the case page), in words, for the people who read it.
    html = section_page(login(people.officer), mine[0].reference, "who-viewed")
    assert "xem thông tin của trẻ em trong danh sách hồ sơ (qua API)" in html


def test_a_forged_index_row_names_no_reader(people, login, listed):
    """A row added by hand pointing at an entry whose own (MAC'd) details do not
    name the case is not believed."""
    mine, _elsewhere = listed
    login(people.officer2).get("/api/v1/cases")  # lists nothing of the officer's
    seq = list_entries()[-1].seq
    db.session.execute(insert(audit_entry_cases).values(seq=seq, reference=mine[0].reference,
                                                       child_data=True))
    assert not [v for v in child_data_views(mine[0]) if v.action == "case.list"]


def test_the_index_of_listed_cases_is_append_only(people, login, listed):
    login(people.officer).get("/api/v1/cases")
    for statement in ("UPDATE audit_entry_cases SET child_data = false",
                      "DELETE FROM audit_entry_cases"):
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement))


def test_a_page_costs_the_same_statements_however_many_cases(people, login, make_case,
                                                             monkeypatch):
    for _ in range(6):
        make_case("assessment")
    client = login(people.officer)
    counts = {}
    for size in (2, 6):
        monkeypatch.setattr(queries, "PAGE_SIZE", size)
        response, counts[size] = statements_run(lambda: client.get("/api/v1/cases"))
        assert len(response.json["cases"]) == size
    assert counts[2] == counts[6], counts


def test_verify_finds_a_reader_removed_from_the_index(people, login, listed):
    from caseapp.auditing.models import DROP
    from caseapp.auditlog.verification import listed_cases_problem

    mine, _elsewhere = listed
    login(people.officer).get("/api/v1/cases")
    assert listed_cases_problem() is None
    seq = list_entries()[-1].seq
    for statement in DROP[db.session.get_bind().dialect.name]:
        if "FUNCTION" not in statement:
            db.session.execute(text(statement))
    db.session.execute(text("DELETE FROM audit_entry_cases WHERE reference = :r"),
                       {"r": mine[0].reference})
    assert not [v for v in child_data_views(mine[0]) if v.action == "case.list"]
    problem = listed_cases_problem()
    assert problem is not None and f"entry {seq}" in problem
