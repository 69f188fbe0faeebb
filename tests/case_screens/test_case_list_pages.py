""""My cases" a page at a time: every case once, in deadline order, a "next
page" link, a total from SQL, and the same number of queries whatever the page
holds (no query per row)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from caseapp import clock
from caseapp.cases import queries
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.sql_statements import statements_run

NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)"')
ROW = re.compile(r'href="/cases/(HS-[A-Z0-9]{8})[?"]')


@pytest.fixture
def many(people, make_case):
    """Seven cases of the supervisor's unit: deadlines past, near, equal and none."""
    now = clock.now()
    deadlines = [now - timedelta(days=3), now + timedelta(hours=5), now + timedelta(hours=5),
                 None, now + timedelta(days=2), None, now - timedelta(hours=1)]
    cases = []
    for deadline in deadlines:
        case = make_case("intake")
        db.session.execute(update(Case).where(Case.id == case.id)
                           .values(next_deadline_at=deadline))
        cases.append(case)
    db.session.commit()
    return cases


def walk(client) -> tuple[list[str], list[str]]:
    """Every page from the first, as a person clicks "Next page": references, pages."""
    url, seen, pages = "/cases", [], []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(html)
        seen += ROW.findall(html)
        found = NEXT.search(html)
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen, pages


def test_pages_list_every_case_once_in_deadline_order(people, login, many, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    seen, pages = walk(client)
    everything = [c.reference for c in queries.fetch_cases(
        people.supervisor, queries.my_cases(people.supervisor))]
    assert seen == everything and len(seen) == len(set(seen)) == 7
    assert len(pages) == 3
    assert "Tổng cộng 7 hồ sơ." in pages[0] and "Trang sau" in pages[0]
    assert "Trang sau" not in pages[-1] and "Trang đầu" in pages[-1]
    # Overdue first (their deadlines are the nearest), cases without one last.
    deadlines = {c.reference: c.next_deadline_at for c in many}
    assert deadlines[seen[0]] < clock.now() and deadlines[seen[1]] < clock.now()
    assert deadlines[seen[-1]] is None and deadlines[seen[-2]] is None


def test_a_page_costs_the_same_queries_however_many_rows(people, login, many, monkeypatch):
    client = login(people.supervisor)
    counts = {}
    for size in (2, 6):
        monkeypatch.setattr(queries, "PAGE_SIZE", size)
        response, counts[size] = statements_run(lambda: client.get("/cases"))
        assert response.status_code == 200
    assert counts[2] == counts[6], counts


@pytest.mark.parametrize("token", ["garbage", "%%%", "A" * 500, "fHx8", "MjAyNi0xMy0wMQ"])
def test_a_broken_page_mark_shows_the_first_page(people, login, many, token):
    client = login(people.supervisor)
    response = client.get("/cases", query_string={"after": token})
    assert response.status_code == 200
    assert len(ROW.findall(response.get_data(as_text=True))) == 7


def test_a_page_mark_reveals_nothing_outside_ones_scope(people, login, many, make_case,
                                                        monkeypatch):
    """A mark made from another unit's case only moves where the page starts:
    the scope still decides which cases exist."""
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    elsewhere = make_case("intake", unit=people.other_district, recorder=people.other_officer,
                          lead=people.other_officer,
                          supervisor=people.other_supervisor, assigned=True)
    supervisor = login(people.supervisor)
    seen, _pages = walk(supervisor)
    assert len(seen) == 7 and elsewhere.reference not in seen
    mark = queries.PageMark(None, elsewhere.received_at, elsewhere.id).token()
    html = supervisor.get("/cases", query_string={"after": mark}).get_data(as_text=True)
    assert elsewhere.reference not in html
    other = login(people.other_supervisor)
    assert ROW.findall(other.get("/cases").get_data(as_text=True)) == [elsewhere.reference]


def test_the_api_lists_a_page_at_a_time_with_the_total(people, login, many, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    seen, after, pages = [], None, 0
    while True:
        answer = client.get("/api/v1/cases", query_string={"after": after} if after else {})
        assert answer.status_code == 200
        body = answer.json
        assert body["total"] == 7 and len(body["cases"]) <= 3
        seen += [c["reference"] for c in body["cases"]]
        pages += 1
        after = body["next"]
        if after is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7


def test_supervision_puts_cases_waiting_for_a_lead_first_and_pages_the_overdue(
        people, login, many, monkeypatch):
    from caseapp.supervision import service as supervision

    monkeypatch.setattr(supervision, "SUMMARY_SHOWN", 1)
    html = login(people.supervisor).get("/supervision").get_data(as_text=True)
    assert html.index('id="unassigned"') < html.index('id="overdue"')
    overdue = html[html.index('id="overdue"'):html.index("</section>", html.index('id="overdue"'))]
    assert "(2)" in overdue  # both overdue cases counted by SQL...
    assert len(ROW.findall(overdue)) == 1  # ...the most overdue one listed
    assert "Xem tất cả 2" in overdue
