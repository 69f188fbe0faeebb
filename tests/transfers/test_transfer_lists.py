"""The transfer lists page like every other list (issue 16): a page at a time with
a visible next page, counts from SQL, the same statements whatever a page holds,
and nothing of another unit's."""
from __future__ import annotations

import base64
import json
import re
from html import unescape

import pytest
from sqlalchemy import text

from caseapp.extensions import db
from caseapp.supervision import service as supervision
from caseapp.transfers import service, views
from tests.sql_statements import statements_run
from tests.transfers.test_transfers import ask

TRANSFER_ROW = re.compile(r'data-transfer="([0-9a-f-]{36})"')


@pytest.fixture
def five_waiting(people, make_case):
    """Five cases of XA asked to move to HUYEN2, oldest first."""
    return [ask(people.supervisor, make_case("support", lead=people.officer)).id
            for _ in range(5)]


def rows(html: str) -> list[str]:
    return TRANSFER_ROW.findall(html)


def next_link(html: str) -> str | None:
    found = re.search(r'rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_receiving_supervisor_pages_through_every_waiting_transfer(
        people, login, five_waiting, monkeypatch):
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.other_supervisor)
    seen, url, pages = [], "/supervision/transfers-in", 0
    for _ in range(10):  # bounded: a pager that does not move on fails, not hangs
        if not url:
            break
        html = client.get(url).get_data(as_text=True)
        seen += rows(html)
        url, pages = next_link(html), pages + 1
    assert seen == five_waiting and pages == 3


def test_the_transfers_page_counts_them_all_and_leads_on_to_the_rest(
        people, login, five_waiting, monkeypatch):
    monkeypatch.setattr(views, "SUMMARY_SHOWN", 2)  # the first few of each list
    html = login(people.other_supervisor).get("/transfers").get_data(as_text=True)
    incoming = html.split('id="transfers-in"')[1].split('id="transfers-out"')[0]
    assert rows(incoming) == five_waiting[:2]
    assert "(5)" in incoming and "/supervision/transfers-in" in incoming
    # The sending side sees the same five as its cases being transferred.
    html = login(people.supervisor).get("/transfers").get_data(as_text=True)
    outgoing = html.split('id="transfers-out"')[1]
    assert rows(outgoing) == five_waiting[:2] and "/supervision/transfers-out" in outgoing


def test_a_supervisor_of_another_unit_sees_none_of_them(people, login, five_waiting):
    # gs.tuan (HUYEN) sent them: nothing waits for HUYEN's decision.
    html = login(people.supervisor).get("/supervision/transfers-in").get_data(as_text=True)
    assert rows(html) == []
    api = login(people.supervisor).get("/api/v1/transfers/incoming").json
    assert api["transfers"] == [] and api["total"] == 0


def test_the_api_pages_with_next_and_refuses_an_oversize_mark(
        people, login, five_waiting, monkeypatch):
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    client = login(people.other_supervisor)
    seen, after = [], None
    for _ in range(5):
        answer = client.get("/api/v1/transfers/incoming",
                            query_string={"after": after} if after else {}).json
        assert answer["total"] == 5
        seen += [t["id"] for t in answer["transfers"]]
        after = answer["next"]
        if after is None:
            break
    assert seen == five_waiting
    assert client.get("/api/v1/transfers/incoming",
                      query_string={"after": "x" * 5000}).status_code == 422
    # A mark that does not parse is the first page, never an error.
    first = client.get("/api/v1/transfers/incoming", query_string={"after": "%%%"}).json
    assert [t["id"] for t in first["transfers"]] == five_waiting[:2]


@pytest.mark.parametrize("url", ["/transfers", "/supervision/transfers-in"])
def test_a_page_costs_the_same_statements_however_many_rows(
        people, login, five_waiting, monkeypatch, url):
    client = login(people.other_supervisor)
    counts = {}
    for size in (1, 4):
        monkeypatch.setattr(service, "PAGE_SIZE", size)
        monkeypatch.setattr(supervision, "SHOWN", size)
        monkeypatch.setattr(views, "SUMMARY_SHOWN", size)
        response, counts[size] = statements_run(lambda: client.get(url))
        assert response.status_code == 200 and len(rows(response.get_data(as_text=True))) \
            == size
    assert counts[1] == counts[4]


def test_a_transfer_opened_from_a_later_page_leads_back_to_it(
        people, login, five_waiting, monkeypatch):
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.other_supervisor)
    first = client.get("/supervision/transfers-in").get_data(as_text=True)
    second_url = next_link(first)
    second = client.get(second_url).get_data(as_text=True)
    opened = re.search(r'href="(/transfers/[0-9a-f-]{36}\?back=[^"]+)"', second).group(1)
    page = client.get(unescape(opened)).get_data(as_text=True)
    back = re.search(r'<p><a href="([^"]+)">Quay lại danh sách chuyển', page)
    assert back and unescape(back.group(1)) == second_url
    # A forged way back is not followed: the transfers page instead.
    transfer_id = opened.split("/")[2].split("?")[0]
    forged = client.get(f"/transfers/{transfer_id}", query_string={
        "back": "https://evil.example/x"}).get_data(as_text=True)
    assert 'href="https://evil.example' not in forged and '<p><a href="/transfers">' in forged
    # Declining there comes back to that page too.
    action = re.search(r'action="(/transfers/[^"]+/decline\?back=[^"#]+)', page).group(1)
    csrf = re.search(r'name="decline-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    declined = client.post(unescape(action), data={"decline-csrf_token": csrf,
                                                   "decline-reason": "Không thuộc địa bàn"})
    assert declined.status_code == 302
    assert declined.headers["Location"].endswith(second_url)


def test_a_row_changed_outside_the_app_is_read_past_not_named(
        people, login, five_waiting, monkeypatch):
    """A transfer row changed in the database is left out of the list (its
    check reports it), the pages are still whole, and no page mark carries its
    id (hostile review: the mark ended on it and named it)."""
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    tampered = five_waiting[1]
    db.session.execute(text("UPDATE case_transfers SET requested_by_id = :who WHERE id = :id"),
                       {"who": people.province_supervisor.id, "id": tampered})
    db.session.commit()
    db.session.expire_all()
    client = login(people.other_supervisor)
    seen, sizes, marks, after = [], [], [], None
    for _ in range(5):
        answer = client.get("/api/v1/transfers/incoming",
                            query_string={"after": after} if after else {}).json
        page = [t["id"] for t in answer["transfers"]]
        seen, sizes = seen + page, sizes + [len(page)]
        after = answer["next"]
        if after is None:
            break
        marks.append(after)
    assert seen == [t for t in five_waiting if t != tampered]
    assert sizes == [2, 2]  # whole pages: the first read on past the changed row
    decoded = [base64.urlsafe_b64decode(m + "=" * (-len(m) % 4)).decode() for m in marks]
    assert all(tampered not in d for d in decoded)
    # The screens likewise: the changed row on no page.
    html = client.get("/supervision/transfers-in").get_data(as_text=True)
    assert tampered not in html
    # Nor on the first page reached by going back past the start (a stale mark).
    monkeypatch.setattr(supervision, "SHOWN", 2)
    before_first = base64.urlsafe_b64encode(json.dumps(
        ["2000-01-01T00:00:00+00:00", five_waiting[0]]).encode()).decode().rstrip("=")
    first = client.get("/supervision/transfers-in", query_string={"before": before_first})
    assert first.status_code == 200
    assert rows(first.get_data(as_text=True)) == [five_waiting[0], five_waiting[2]]
