"""The notifications page a page at a time: newest first, every notice once
through "next page", counts from SQL, someone else's notices never shown, and
the same statements however many a page holds."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.extensions import db
from caseapp.notifications import service
from caseapp.notifications.models import Notification
from tests.sql_statements import statements_run

NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)"')
ITEM = re.compile(r'data-id="(\d+)"')


@pytest.fixture
def notices(people):
    now = clock.now()
    mine = []
    # Two at the same moment: the id breaks the tie.
    for minutes in (5, 1, 1, 30, 12, 0, 7):
        row = Notification(user_id=people.officer.id, kind="case_assigned",
                           case_reference="HS-ABCDEFGH",
                           created_at=now - timedelta(minutes=minutes))
        db.session.add(row)
        mine.append(row)
    other = Notification(user_id=people.officer2.id, kind="case_assigned",
                         case_reference="HS-ZZZZZZZZ", created_at=now)
    db.session.add(other)
    db.session.commit()
    return mine, other


def walk(client) -> tuple[list[int], list[str]]:
    url, seen, pages = "/notifications", [], []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(html)
        seen += [int(i) for i in ITEM.findall(html)]
        found = NEXT.search(html)
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen, pages


def test_every_notice_once_newest_first(people, login, notices, monkeypatch):
    mine, other = notices
    monkeypatch.setattr(service, "PAGE_SIZE", 3)
    seen, pages = walk(login(people.officer))
    expected = [n.id for n in sorted(mine, key=lambda n: (n.created_at, n.id), reverse=True)]
    assert seen == expected and len(pages) == 3
    assert other.id not in seen and "HS-ZZZZZZZZ" not in "".join(pages)
    assert "Tổng cộng 7 thông báo" in pages[0] and "Trang sau" in pages[0]
    assert "Trang đầu" in pages[-1] and "Trang sau" not in pages[-1]


@pytest.mark.parametrize("token", ["garbage", "W10", "A" * 900, "WyJ4IiwxXQ"])
def test_a_broken_mark_is_the_first_page(people, login, notices, token):
    html = login(people.officer).get("/notifications", query_string={"after": token})
    assert html.status_code == 200
    assert len(ITEM.findall(html.get_data(as_text=True))) == 7


def test_a_page_costs_the_same_statements(people, login, notices, monkeypatch):
    client = login(people.officer)
    counts = {}
    for size in (2, 6):
        monkeypatch.setattr(service, "PAGE_SIZE", size)
        response, counts[size] = statements_run(lambda: client.get("/notifications"))
        assert response.status_code == 200
    assert counts[2] == counts[6], counts
