"""The supervision page's lists a page at a time: every heading a count from
SQL, every list reachable to its last case through "next page", every
condition in SQL (a plan sent back is not waiting, a recorded decision is not
missing), another unit's cases never listed, and the same number of
statements whatever a page holds."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from caseapp import clock
from caseapp.cases import service as cases
from caseapp.cases.data import DecisionData, SendBackData
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.supervision import service as supervision
from tests.cases.conftest import needs_data, plan_data
from tests.sql_statements import statements_run, statements_seen

NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)"')
ROW = re.compile(r'href="/cases/(HS-[A-Z0-9]{8})[?"]')


def section(html: str, name: str) -> str:
    start = html.index(f'id="{name}"')
    return html[start:html.index("</section>", start)]


def walk(client, name: str) -> tuple[list[str], int]:
    """Every page of one list, as a person clicks "Next page": references, pages."""
    url, seen, pages = f"/supervision/{name}", [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = section(response.get_data(as_text=True), name)
        pages += 1
        seen += ROW.findall(html)
        found = NEXT.search(html)
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen, pages


@pytest.fixture
def overdue(people, make_case):
    """Five overdue unassigned cases of the supervisor's unit, and one elsewhere."""
    now = clock.now()
    made = []
    for hours in (50, 3, 30, 3, 7):
        case = make_case("intake")
        db.session.execute(update(Case).where(Case.id == case.id)
                           .values(next_deadline_at=now - timedelta(hours=hours)))
        made.append(case)
    elsewhere = make_case("intake", unit=people.other_district, recorder=people.other_officer)
    db.session.execute(update(Case).where(Case.id == elsewhere.id)
                       .values(next_deadline_at=now - timedelta(hours=99)))
    db.session.commit()
    return made, elsewhere


def test_each_list_is_counted_by_sql_and_walked_to_its_end(people, login, overdue,
                                                            monkeypatch):
    made, elsewhere = overdue
    monkeypatch.setattr(supervision, "SHOWN", 2)
    monkeypatch.setattr(supervision, "SUMMARY_SHOWN", 2)
    client = login(people.supervisor)
    html = client.get("/supervision").get_data(as_text=True)
    for name in ("overdue", "unassigned"):
        part = section(html, name)
        assert "(5)" in part and len(ROW.findall(part)) == 2
        assert "2 đầu tiên trong 5" in part and "Xem tất cả 5" in part
        assert f'href="/supervision/{name}"' in part
        seen, pages = walk(client, name)
        assert sorted(seen) == sorted(c.reference for c in made) and pages == 3
        assert elsewhere.reference not in seen
    seen, _pages = walk(client, "overdue")
    due = {c.reference: c.next_deadline_at for c in db.session.query(Case)}
    assert [due[r] for r in seen] == sorted(due[r] for r in seen)  # most overdue first
    assert elsewhere.reference not in html


def test_the_other_supervisor_sees_only_their_own(people, login, overdue):
    made, elsewhere = overdue
    html = login(people.other_supervisor).get("/supervision").get_data(as_text=True)
    assert ROW.findall(section(html, "overdue")) == [elsewhere.reference]
    assert not {c.reference for c in made} & set(ROW.findall(html))


def test_a_forged_page_mark_reveals_nothing(people, login, overdue, monkeypatch):
    made, elsewhere = overdue
    monkeypatch.setattr(supervision, "SHOWN", 2)
    mark = supervision.CASE_LISTS["overdue"].keyset.token(elsewhere)
    client = login(people.supervisor)
    for token in (mark, "garbage", "%%%", "A" * 900, "W10", "WyJ4IiwieSJd"):
        response = client.get("/supervision/overdue", query_string={"after": token})
        assert response.status_code == 200
        assert elsewhere.reference not in response.get_data(as_text=True)


def test_plans_and_decisions_are_decided_in_sql(people, login, make_case):
    waiting = make_case("assessment")
    cases.record_needs_assessment(people.officer, waiting, needs_data())
    cases.draft_plan(people.officer, waiting, plan_data())
    sent_back = make_case("assessment")
    cases.record_needs_assessment(people.officer, sent_back, needs_data())
    cases.draft_plan(people.officer, sent_back, plan_data())
    cases.return_plan(people.supervisor, sent_back, sent_back.latest_plan.id,
                      SendBackData(reason="Thiếu mục tiêu cụ thể"))
    no_decision = make_case("assessment", planned=True)
    decided = make_case("assessment", planned=True)
    cases.record_decision(people.officer, decided, DecisionData(
        number="12/QĐ-UBND", decided_on=clock.now().astimezone(VIETNAM).date(),
        signatory="Chủ tịch UBND xã"))
    db.session.commit()
    html = login(people.supervisor).get("/supervision").get_data(as_text=True)
    plans = section(html, "plans")
    assert ROW.findall(plans) == [waiting.reference] and "(1)" in plans
    decisions = section(html, "decisions")
    assert ROW.findall(decisions) == [no_decision.reference] and "(1)" in decisions
    assert supervision.case_list(people.supervisor, "decisions").total == 1


def test_unknown_list_and_other_roles(people, login):
    assert login(people.supervisor).get("/supervision/everything").status_code == 404
    assert login(people.officer).get("/supervision/overdue").status_code == 403


def statements_of(client, url: str) -> int:
    response, count = statements_run(lambda: client.get(url))
    assert response.status_code == 200
    return count


@pytest.mark.parametrize("url", ["/supervision", "/supervision/overdue",
                                 "/supervision/unassigned"])
def test_a_page_costs_the_same_statements_however_many_rows(people, login, overdue,
                                                            monkeypatch, url):
    client = login(people.supervisor)
    counts = {}
    for size in (2, 5):
        monkeypatch.setattr(supervision, "SHOWN", size)
        counts[size] = statements_of(client, url)
    assert counts[2] == counts[5], counts


def test_the_lists_rows_are_loaded_together(people, login, overdue):
    """The supervision page reads each list's ids, then the rows of every list
    at once (the cases, then their units, harms, assignees and anchors): not
    those five statements again for each list that holds a case."""
    client = login(people.supervisor)
    response, seen = statements_seen(lambda: client.get("/supervision"))
    html = response.get_data(as_text=True)
    with_rows = [name for name in supervision.CASE_LISTS
                 if f'id="{name}"' in html and ROW.findall(section(html, name))]
    assert len(with_rows) >= 2, with_rows
    # the rows themselves: every column of the cases named by id, nothing else asked
    loads = [s for s in seen if re.fullmatch(
        r"SELECT cases\.id, cases\.reference, .*\s+FROM cases\s+WHERE cases\.id IN \(.*\)",
        s.strip(), re.S)]
    assert len(loads) == 1, loads


def test_an_assignment_made_on_a_list_page_comes_back_to_that_page(
        people, login, overdue, monkeypatch):
    """Assigning from page 2 of 'waiting for an assignment' lands on page 2 at
    the list, not at the top of the supervision page."""
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.supervisor)
    first = client.get("/supervision/unassigned").get_data(as_text=True)
    page_two = NEXT.search(first).group(1).replace("&amp;", "&")
    html = client.get(page_two).get_data(as_text=True)
    reference = ROW.findall(section(html, "unassigned"))[0]
    form = html[html.index(f"/cases/{reference}/assign"):]
    form = form[:form.index("</form>")]
    back = re.search(r'name="next" value="([^"]+)"', form).group(1).replace("&amp;", "&")
    # The page again, at its messages (UX walk: the confirmation was off a phone's screen).
    assert back == page_two + "#messages"
    fields = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form))
    fields.update(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    token = any(name.endswith("csrf_token") for name in fields)
    fields["next"] = back
    lead = re.search(r'<select[^>]*name="([^"]+)"', form).group(1)
    fields[lead] = str(people.officer.id)
    response = client.post(f"/cases/{reference}/assign", data=fields)
    assert token and response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith(page_two + "#messages")
    landed = client.get(page_two).get_data(as_text=True)
    messages = landed[landed.index('id="messages"'):]
    # It names the case and the officer who now leads it (UX walk).
    confirmation = f"Hồ sơ {reference} nay do {people.officer.display_name} phụ trách chính."
    assert messages.index(confirmation) < messages.index("</div>")
    assert db.session.get(Case, db.session.query(Case.id).filter(
        Case.reference == reference).scalar()).lead_officer_id == people.officer.id
    main = client.get("/supervision").get_data(as_text=True)
    assert 'name="next" value="/supervision#messages"' in main


def test_the_assign_forms_cost_the_same_statements_however_many_staff(
        people, login, make_case, make_unit, make_user):
    """The forms name each person's unit: read with the people, not one unit
    per person (a province's 487 officers once made 487 look-ups)."""
    for _ in range(3):
        make_case("intake")
    client = login(people.province_supervisor)
    client.get("/supervision")
    before = statements_of(client, "/supervision")
    for _ in range(4):
        make_user("officer", unit=make_unit(parent=people.district), totp=False)
    html = client.get("/supervision").get_data(as_text=True)
    assert html.count("<option") > 0
    assert statements_of(client, "/supervision") == before
