"""Each paged list shows its pager (previous, next, position) at its top and at
its end, the same links in both (one macro); a list of one page shows its
position only."""
from __future__ import annotations

import re

from caseapp.cases import queries
from caseapp.extensions import db
from caseapp.notifications import service as notices
from caseapp.notifications.models import Notification
from caseapp.supervision import service as supervision
from tests.case_screens.test_case_list_pages import many  # noqa: F401

PAGER = re.compile(r'<nav class="pager pager-(top|bottom)" aria-label="([^"]+)">(.*?)</nav>',
                   re.S)


def pagers(html: str) -> list[tuple[str, str, list[tuple[str, str]], str]]:
    """Each pager: its place, its label, its links (rel, href), its position line."""
    found = []
    for place, label, body in PAGER.findall(html):
        links = re.findall(r'<a class="button"(?: rel="(\w+)")? href="([^"]+)"', body)
        position = re.search(r'<p class="position" id="[\w-]+">([^<]+)</p>', body)
        found.append((place, label, links, position.group(1) if position else None))
    return found


def _both(html: str) -> None:
    (top, top_label, top_links, top_pos), (bottom, bottom_label, bottom_links, bottom_pos) = \
        pagers(html)
    assert (top, bottom) == ("top", "bottom")
    assert (top_label, bottom_label) == ("Các trang, đầu danh sách", "Các trang, cuối danh sách")
    assert top_links == bottom_links and top_links and top_pos == bottom_pos
    # The top one before the list, the end one after it.
    assert html.index("pager-top") < html.index("<table") < html.index("pager-bottom") \
        if "<table" in html else html.index("pager-top") < html.index("pager-bottom")


def test_my_cases_pager_top_and_bottom(people, login, many, monkeypatch):  # noqa: F811
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    first = client.get("/cases").get_data(as_text=True)
    _both(first)
    assert [rel for rel, _ in pagers(first)[0][2]] == ["next"]
    assert 'id="list-position">1–3 trong 7<' in first
    nxt = pagers(first)[0][2][0][1].replace("&amp;", "&")
    second = client.get(nxt).get_data(as_text=True)
    _both(second)
    assert [rel for rel, _ in pagers(second)[0][2]] == ["prev", "next"]
    # One page: the position line at the top, no pager.
    monkeypatch.setattr(queries, "PAGE_SIZE", 50)
    single = client.get("/cases").get_data(as_text=True)
    assert pagers(single) == [] and 'id="list-position">1–7 trong 7<' in single


def test_notifications_and_supervision_pagers_top_and_bottom(people, login, make_case,
                                                            monkeypatch):
    monkeypatch.setattr(notices, "PAGE_SIZE", 2)
    monkeypatch.setattr(supervision, "SHOWN", 2)
    for _ in range(3):
        case = make_case("intake")
        db.session.add(Notification(user_id=people.supervisor.id, kind="assigned",
                                    case_reference=case.reference))
    db.session.commit()
    client = login(people.supervisor)
    _both(client.get("/notifications").get_data(as_text=True))
    _both(client.get("/supervision/unassigned").get_data(as_text=True))
