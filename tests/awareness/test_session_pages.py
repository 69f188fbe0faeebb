"""The awareness sessions of a school year page like every other list (issue
16): a page at a time, newest day first, each session once walking forwards
and back, the statements the same however many sessions there are, another
unit's sessions on no page, and a forged mark the first page."""
from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.awareness import service
from caseapp.awareness.models import AwarenessSession
from caseapp.awareness.year import school_year_of
from caseapp.cases.deadlines import VIETNAM
from caseapp.extensions import db
from tests.sql_statements import statements_run

ROW = re.compile(r'<tr data-id="([0-9a-f-]{36})">')
LINK = re.compile(r'href="(/awareness\?[^"]+)"[^>]*>([^<]*)')
OTHER_TOPIC = "Buổi của huyện bên cạnh"


def add_sessions(unit, recorder, count: int, topic: str = "Buổi tuyên truyền") -> list[str]:
    """``count`` sessions on days of this school year (several on one day, so
    the order's later keys decide), newest last."""
    today = clock.now().astimezone(VIETNAM).date()
    year = school_year_of(today)
    made = []
    for i in range(count):
        held = max(year.first, today - timedelta(days=i // 3))
        session = AwarenessSession(unit_id=unit.id, held_on=held, audience="children",
                                   attendees=10 + i, topic=f"{topic} {i}",
                                   recorded_by_id=recorder.id,
                                   recorded_at=clock.now() - timedelta(minutes=i))
        db.session.add(session)
        db.session.flush()
        made.append(session.id)
    db.session.commit()
    return made


def expected_order(ids: list[str]) -> list[str]:
    rows = db.session.query(AwarenessSession).filter(AwarenessSession.id.in_(ids)).all()
    rows.sort(key=lambda s: (s.held_on, s.recorded_at, s.id), reverse=True)
    return [s.id for s in rows]


def links(html: str) -> dict[str, str]:
    return {text.strip(" ←→"): href.replace("&amp;", "&") for href, text in LINK.findall(html)}


def test_walking_the_pages_shows_each_session_once_in_order(people, login, monkeypatch):
    monkeypatch.setattr(service, "SESSIONS_PAGE_SIZE", 7)
    made = add_sessions(people.commune, people.counselor, 23)
    add_sessions(people.other_district, people.other_officer, 4, OTHER_TOPIC)
    client = login(people.officer2)  # the district's officer: sees the commune's
    html = client.get("/awareness").get_data(as_text=True)
    assert "(23)" in html and "1–7 trong 23" in html
    seen, pages, url = [], [], "/awareness"
    for _ in range(10):  # bounded: 4 pages expected
        html = client.get(url).get_data(as_text=True)
        assert OTHER_TOPIC not in html
        pages.append(url)
        seen += ROW.findall(html)
        following = links(html).get("Trang sau")
        if following is None:
            break
        url = following
    assert seen == expected_order(made)
    assert len(pages) == 4
    # Back from the last page, page by page, to the first.
    back = []
    for _ in range(10):
        html = client.get(url).get_data(as_text=True)
        back = ROW.findall(html) + back
        previous = links(html).get("Trang trước")
        if previous is None:
            break
        url = previous
    assert back == seen


def test_a_page_costs_the_same_statements_however_many_sessions(people, login):
    few = add_sessions(people.commune, people.counselor, 3)
    officer = people.officer2
    year = school_year_of(clock.now().astimezone(VIETNAM).date())

    def page():
        window = service.sessions_window(officer.unit, year.first, year.last)
        return [(s.id, s.unit.name) for s in window.rows]  # the unit read with the page

    officer.unit.path  # noqa: B018  (loaded before each count alike)
    shown, with_few = statements_run(page)
    assert {i for i, _ in shown} == set(few)
    add_sessions(people.commune, people.counselor, 120)
    db.session.expire_all()
    officer.unit.path  # noqa: B018
    shown, with_many = statements_run(page)
    assert len(shown) == service.SESSIONS_PAGE_SIZE
    assert with_many == with_few


def mark(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("forged", [
    mark("03/12/2026", "2026-01-01T00:00:00+00:00", "0b0e4b3c-8c43-4f7c-9d2c-3f3f2b7e9a11"),
    mark("2026-13-45", "2026-01-01T00:00:00+00:00", "0b0e4b3c-8c43-4f7c-9d2c-3f3f2b7e9a11"),
    mark(20261203, "2026-01-01T00:00:00+00:00", "0b0e4b3c-8c43-4f7c-9d2c-3f3f2b7e9a11"),
    mark("2026-12-03", "2026-01-01T00:00:00+00:00", "' OR 1=1 --"),
    mark("2026-12-03\x00", "x", "y"),
    "%%%", "A" * 5000,
])
def test_a_forged_mark_is_the_first_page(people, login, monkeypatch, forged):
    monkeypatch.setattr(service, "SESSIONS_PAGE_SIZE", 5)
    made = add_sessions(people.commune, people.counselor, 8)
    client = login(people.officer2)
    for name in ("after", "before"):
        response = client.get("/awareness", query_string={name: forged})
        assert response.status_code == 200
        assert ROW.findall(response.get_data(as_text=True)) == expected_order(made)[:5]


def test_a_mark_from_another_units_list_shows_only_ones_own(people, login, monkeypatch):
    monkeypatch.setattr(service, "SESSIONS_PAGE_SIZE", 2)
    add_sessions(people.other_district, people.other_officer, 5, OTHER_TOPIC)
    own = add_sessions(people.commune, people.counselor, 3)
    theirs = links(login(people.other_officer).get("/awareness").get_data(as_text=True))
    html = login(people.officer2).get(theirs["Trang sau"]).get_data(as_text=True)
    assert OTHER_TOPIC not in html
    assert set(ROW.findall(html)) <= set(own)
