""""My cases" read as a union of non-overlapping index ranges keyed on the
person (issue 16): for every role, all its pages walked (forwards, backwards,
on the screen and the API, closed cases shown or not, a reference searched)
list exactly the cases and the order of the old definition -- one OR of
"leads it", "is assigned to it", "recorded it and it is at intake" -- every
case once, a case both led and assigned included; the total is the same
number; and the database reads each arm as a range of its index."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from caseapp import clock
from caseapp.cases import queries
from caseapp.cases.models import Case, CaseAssignee
from caseapp.extensions import db
from tests.case_screens.test_list_indexes import plan_of, sorts
from tests.sql_statements import statements_run

ROW = re.compile(r'href="/cases/(HS-[A-Z0-9]{8})[?"]')
NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)"')


@pytest.fixture
def mixed(people, make_case):
    """Cases on each way of being on the list, and on several ways at once."""
    p = people
    made = {
        "led": make_case("assessment", lead=p.officer),
        "assigned to the counselor": make_case("assessment", lead=p.officer,
                                               assignees=(p.counselor,)),
        "intake recorded by the counselor": make_case("intake"),
        "intake recorded by the officer": make_case("intake", recorder=p.officer),
        "intake recorded and led": make_case("intake", recorder=p.officer, lead=p.officer,
                                             assigned=True),
        "intake recorded and assigned": make_case("intake", lead=p.officer,
                                                  assignees=(p.counselor,)),
        "support, recorded by the counselor": make_case("support"),
        "closed, led": make_case("closure", lead=p.officer),
        "closed, assigned": make_case("closure", lead=p.officer, assignees=(p.counselor,)),
        "led and assigned": make_case("support", lead=p.officer),
        "other district": make_case("intake", unit=p.other_district, recorder=p.other_officer,
                                    lead=p.other_officer, supervisor=p.other_supervisor,
                                    assigned=True),
    }
    # Led and assigned at once (the service does not make it; a database may hold it).
    both = made["led and assigned"]
    both.assignees.append(CaseAssignee(user_id=p.officer.id, assigned_at=clock.now(),
                                       assigned_by_id=p.supervisor.id))
    db.session.flush()
    # Deadlines past, near, tied and none, so both ranges and ties are walked.
    now = clock.now()
    deadlines = [now - timedelta(days=2), None, now + timedelta(hours=3),
                 now + timedelta(hours=3), None, now - timedelta(hours=1), now + timedelta(days=1)]
    for i, case in enumerate(made.values()):
        db.session.execute(update(Case).where(Case.id == case.id)
                           .values(next_deadline_at=deadlines[i % len(deadlines)]))
    db.session.commit()
    return made


def old_definition(user, include_closed: bool, prefix: str | None = None) -> list[str]:
    """The list as it was defined before the arms: the scope's OR, in the list's order."""
    query = select(Case.reference).where(queries.scope_clause(user))
    if not include_closed:
        query = query.where(Case.stage != "closure")
    if prefix:
        query = query.where(Case.reference.startswith(prefix))
    return list(db.session.scalars(query.order_by(
        Case.next_deadline_at.is_(None), Case.next_deadline_at, Case.received_at, Case.id)))


def walk(user, include_closed: bool, prefix: str | None = None, size: int = 2):
    """Every page forwards, then back from the last: (forwards, backwards) references."""
    pages, after, window = [], None, None
    while True:
        window = queries.my_cases_window(user, include_closed=include_closed, after=after,
                                         reference_prefix=prefix, size=size)
        pages.append([c.reference for c in window.rows])
        if window.next_token is None:
            break
        after = queries.PageMark.parse(window.next_token)
    back, before = [pages[-1]], window.prev_token
    while before:
        window = queries.my_cases_window(user, include_closed=include_closed,
                                         before=queries.PageMark.parse(before),
                                         reference_prefix=prefix, size=size)
        back.insert(0, [c.reference for c in window.rows])
        before = window.prev_token
    return [r for page in pages for r in page], [r for page in back for r in page]


ROLES = ["counselor", "officer", "officer2", "supervisor", "province_supervisor",
         "other_supervisor", "other_officer", "admin"]


@pytest.mark.parametrize("include_closed", [False, True], ids=["open", "closed too"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_old_lists_cases_in_its_order(people, mixed, role, include_closed):
    user = getattr(people, role)
    expected = old_definition(user, include_closed)
    forwards, backwards = walk(user, include_closed)
    assert forwards == expected
    assert backwards == expected
    assert queries.count_my_cases(user, include_closed=include_closed) == len(expected)
    for prefix in {r[:5] for r in expected} | {"HS-2"}:
        searched = old_definition(user, include_closed, prefix)
        assert walk(user, include_closed, prefix)[0] == searched
        assert queries.count_my_cases(user, include_closed=include_closed,
                                      reference_prefix=prefix) == len(searched)


def test_the_fixture_puts_cases_on_every_arm_and_on_several(people, mixed):
    """What the comparison above walks: each way, and the overlaps, once each."""
    officer = old_definition(people.officer, True)
    counselor = old_definition(people.counselor, False)
    for name in ("led", "intake recorded by the officer", "intake recorded and led",
                 "led and assigned", "closed, led"):
        assert officer.count(mixed[name].reference) == 1, name
    for name in ("assigned to the counselor", "intake recorded by the counselor",
                 "intake recorded and assigned"):
        assert counselor.count(mixed[name].reference) == 1, name
    assert mixed["support, recorded by the counselor"].reference not in counselor
    assert mixed["closed, assigned"].reference not in counselor
    assert mixed["closed, assigned"].reference in old_definition(people.counselor, True)
    arms = queries.own_case_arms(people.officer)
    both = mixed["led and assigned"].id
    assert [db.session.scalar(arm.query.with_only_columns(Case.id).where(Case.id == both))
            for arm in arms] == [both, None, None]


@pytest.mark.parametrize("role", ["counselor", "officer", "supervisor"])
def test_the_screen_and_the_api_walk_the_same_cases(people, mixed, login, role, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    user = getattr(people, role)
    client = login(user)
    expected = old_definition(user, False)
    url, seen = "/cases", []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        seen += ROW.findall(html)
        found = NEXT.search(html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected
    seen, after = [], None
    while True:
        body = client.get("/api/v1/cases", query_string={"after": after} if after else {}).json
        assert body["total"] == len(expected)
        seen += [c["reference"] for c in body["cases"]]
        after = body["next"]
        if after is None:
            break
    assert seen == expected


def test_a_page_costs_the_same_statements_however_many_rows(people, mixed, make_case, login,
                                                           monkeypatch):
    client = login(people.officer)
    counts = {}
    for extra in (0, 6):
        for _ in range(extra):
            make_case("assessment", lead=people.officer)
        for size in (2, 5):
            monkeypatch.setattr(queries, "PAGE_SIZE", size)
            response, counts[(extra, size)] = statements_run(lambda: client.get("/cases"))
            assert response.status_code == 200
    assert len(set(counts.values())) == 1, counts


# --- the database's plans ------------------------------------------------------------------------

def arm_statements(user, include_closed, made):
    """(name, the arm, statement) of every arm's part of every range of a page:
    the first page, after a mark with a deadline and one without, before them."""
    arms = queries.own_case_arms(user, include_closed=include_closed)
    found = []
    for case in (made["led"], made["intake recorded by the counselor"]):
        mark = queries.PageMark(case.next_deadline_at, case.received_at, case.id)
        for name, marks in (("first page", {}), ("after a mark", {"after": mark}),
                            ("before a mark", {"before": mark})):
            for r, (_order, parts) in enumerate(queries.my_cases_arm_ranges(
                    user, include_closed=include_closed, size=50, **marks)):
                for arm, part in zip(arms, parts, strict=True):
                    found.append((f"{name} (deadline {mark.deadline is not None}), range {r}, "
                                  f"{arm.index}", arm, part.with_only_columns(Case.id)))
    return found


@pytest.mark.parametrize("include_closed", [False, True], ids=["open", "closed too"])
@pytest.mark.parametrize("role", ["officer", "counselor"])
def test_each_arm_is_a_range_of_its_index(people, mixed, role, include_closed, capsys):
    """The person's cases and intakes are read in the list's order from their
    index alone (no sort, no row, no scan of cases); the assignments from the person's own
    (user, case) index, their cases by id. The total: the same indexes.
    (PostgreSQL, whose planner chooses by the tables' statistics and finds any
    index as cheap as another on a test's few rows: no sequential scan of
    cases, no sort of an arm read in order.)"""
    user = getattr(people, role)
    named = db.session.get_bind().dialect.name == "sqlite"
    failures = []
    for name, arm, statement in arm_statements(user, include_closed, mixed):
        plan = plan_without_seq_scans(statement)
        print(f"--- {name}\n{plan}")
        wanted = f"COVERING INDEX {arm.index}" if arm.in_order else arm.index
        if (named and wanted not in plan) or scans_cases(plan) \
                or (arm.in_order and sorts(plan)):
            failures.append(f"{name}:\n{plan}")
    for arm in queries.own_case_arms(user, include_closed=include_closed):
        plan = plan_without_seq_scans(arm.query.with_only_columns(Case.id))
        print(f"--- count, {arm.index}\n{plan}")
        wanted = f"COVERING INDEX {arm.index}" if arm.in_order else arm.index
        if (named and wanted not in plan) or scans_cases(plan):
            failures.append(f"count, {arm.index}:\n{plan}")
    assert not failures, "\n\n".join(failures)


def plan_without_seq_scans(statement) -> str:
    """The plan (see test_list_indexes.plan_of); on PostgreSQL, whose tables
    here are tiny, with sequential scans priced out too: a plan still holds one
    exactly when no index can serve the statement."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        try:
            return plan_of(statement)
        finally:
            db.session.execute(text("SET LOCAL enable_seqscan = on"))
    return plan_of(statement)


def scans_cases(plan: str) -> bool:
    """A plan that reads the cases table (or any of its indexes) from end to end."""
    return bool(re.search(r"\bSCAN cases\b", plan)) or "Seq Scan on cases" in plan


def test_the_total_is_one_statement(people, mixed):
    expected = len(old_definition(people.officer, False))  # the person loaded too
    total, statements = statements_run(lambda: queries.count_my_cases(people.officer))
    assert (statements, total) == (1, expected)
