"""The schools without an awareness session (issue 16: every list paged): the
summaries count the schools in SQL and name only the first few, with a link
to a paged list of all of them; each school is on one page only, another
district's schools on none, and the counting costs the same statements
however many schools there are."""
from __future__ import annotations

import re

import pytest

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.awareness import service
from caseapp.awareness.year import school_year_of
from caseapp.cases.deadlines import VIETNAM
from caseapp.extensions import db
from tests.cases.conftest import audit_rows
from tests.sql_statements import statements_run

from .test_sessions import form

SCHOOL = re.compile(r'<li data-unit="([A-Z0-9]+)">')
LINK = re.compile(r'href="(/awareness/schools\?[^"]+)"[^>]*>([^<]*)')


def make_schools(make_unit, parent, count: int, prefix: str) -> list[str]:
    """``count`` schools under ``parent``, their codes in the tree's order (their
    paths': sisters by their ids as text, so the 10th comes before the 2nd)."""
    made = []
    for i in range(count):
        unit = make_unit(f"{prefix}{i:03d}", parent=parent, name=f"Trường {prefix} {i}")
        admin_service.set_school_type("system", unit, "primary")
        made.append(unit)
    db.session.commit()
    return [u.code for u in sorted(made, key=lambda u: u.path)]


def schools_on(html: str) -> list[str]:
    return SCHOOL.findall(html)


def links(html: str) -> dict[str, str]:
    return {text.strip(" ←→"): href.replace("&amp;", "&") for href, text in LINK.findall(html)}


def test_the_summary_names_the_first_schools_and_links_to_all(people, login, make_unit):
    mine = make_schools(make_unit, people.district, service.COVERAGE_SHOWN + 5, "T")
    make_schools(make_unit, people.other_district, 3, "K")
    supervisor = login(people.supervisor)
    assert supervisor.post("/awareness", data=form(supervisor, unit=mine[0])).status_code == 302
    without = mine[1:]
    for path in ("/awareness", "/figures"):
        page = supervisor.get(path).get_data(as_text=True)
        shown = schools_on(page)
        assert shown == without[:service.COVERAGE_SHOWN], path  # the tree's order, the first few
        assert f"({len(without)})" in page
        assert 'id="all-schools-without"' in page and "/awareness/schools?year=" in page
    assert "1 / 25" in supervisor.get("/awareness").get_data(as_text=True)
    assert "1 trên 25 trường" in supervisor.get("/figures").get_data(as_text=True)


def test_walking_the_pages_shows_each_school_once(people, login, make_unit, monkeypatch):
    monkeypatch.setattr(service, "SCHOOLS_PAGE_SIZE", 7)
    mine = make_schools(make_unit, people.district, 17, "T")
    make_schools(make_unit, people.other_district, 4, "K")
    client = login(people.officer2)
    url, seen = "/awareness/schools", []
    for _ in range(5):  # bounded: 3 pages expected
        answer = client.get(url)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        seen.append(schools_on(html))
        following = links(html).get("Trang sau")
        if following is None:
            break
        url = following
    assert [len(p) for p in seen] == [7, 7, 3]
    assert [code for page in seen for code in page] == mine
    assert "15–17 trong 17" in html
    back = links(html)["Trang trước"]
    assert schools_on(client.get(back).get_data(as_text=True)) == mine[7:14]


def test_another_district_sees_none_of_them(people, login, make_unit):
    make_schools(make_unit, people.district, 3, "T")
    html = login(people.other_supervisor).get("/awareness/schools").get_data(as_text=True)
    assert schools_on(html) == [] and 'id="no-school-without"' in html


@pytest.mark.parametrize("mark", ["x", "W10=", "WyIvMS8yLyIsIDFd" * 40, "%00", "WyJhIiwxXQ"])
def test_a_forged_mark_is_the_first_page(people, login, make_unit, mark):
    mine = make_schools(make_unit, people.district, 3, "T")
    client = login(people.officer2)
    for key in ("after", "before"):
        answer = client.get(f"/awareness/schools?{key}={mark}&start=999")
        assert answer.status_code in (200, 400)
        if answer.status_code == 200:
            assert schools_on(answer.get_data(as_text=True)) == mine


def test_counting_costs_the_same_statements_however_many_schools(people, make_unit):
    year = school_year_of(clock.now().astimezone(VIETNAM).date())
    make_schools(make_unit, people.district, 2, "T")

    def counted():
        found = service.coverage(people.district, year.first, year.last)
        return found.schools, found.without, len(found.first_without)

    people.district.path  # noqa: B018  (loaded before each count alike)
    few, with_few = statements_run(counted)
    make_schools(make_unit, people.district, 60, "M")
    db.session.expire_all()
    people.district.path  # noqa: B018
    many, with_many = statements_run(counted)
    assert few == (2, 2, 2) and many == (62, 62, service.COVERAGE_SHOWN)
    assert with_many == with_few


def test_a_unit_widened_by_hand_opens_no_other_districts_schools(people, login, make_unit):
    """A database writer sets the other district's path to the root's: its
    supervisor would see every school. The unit's row fails its check, so the
    awareness pages refuse and the figures offer no unit (found by review)."""
    make_schools(make_unit, people.district, 3, "T")
    db.session.execute(db.text("UPDATE units SET path = '/' WHERE code = 'HUYEN2'"))
    db.session.commit()
    db.session.expire_all()
    client = login(people.other_supervisor)
    for path in ("/awareness", "/awareness/schools", "/awareness/schools?unit=HUYEN"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "T000" not in answer.get_data(as_text=True)
    figures = client.get("/figures").get_data(as_text=True)
    assert "T000" not in figures and 'value="HUYEN"' not in figures
    # The API's figures: no unit to count, said so (a 500 before: review).
    answer = client.get("/api/v1/figures")
    assert answer.status_code == 422 and "unit" in answer.get_json()["fields"]


def test_the_figures_link_lists_the_unit_they_count(people, login, make_unit):
    commune_schools = make_schools(make_unit, people.commune, 25, "C")
    make_schools(make_unit, people.district, 2, "T")  # the district's own: not the commune's
    client = login(people.supervisor)
    page = client.get("/figures?unit=XA").get_data(as_text=True)
    link = re.search(r'id="all-schools-without" href="([^"]+)"', page).group(1)
    assert "unit=XA" in link and "(25)" in page
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert schools_on(listed) == commune_schools
    # A unit outside the user's subtree, or unknown, is the same 404.
    other = login(people.other_supervisor)
    assert other.get("/awareness/schools?unit=XA").status_code == 404
    assert other.get("/awareness/schools?unit=NOPE").status_code == 404
    assert other.get("/awareness/schools", query_string={"unit": "X" * 500}).status_code == 404


def test_the_go_to_box_echoes_at_most_a_code(people, login):
    client = login(people.admin)
    html = client.get("/admin/units", query_string={"at": "Z" * 5000}).get_data(as_text=True)
    assert "Z" * 33 not in html and 'value="' + "Z" * 32 + '"' in html


def test_a_school_no_longer_active_counts_only_where_it_held_a_session(people, login, make_unit):
    mine = make_schools(make_unit, people.district, 4, "T")
    supervisor = login(people.supervisor)
    assert supervisor.post("/awareness", data=form(supervisor, unit=mine[0])).status_code == 302
    for code in mine[:2]:  # one with a session, one without, then closed
        db.session.execute(db.text("UPDATE units SET is_active = :f WHERE code = :c"),
                           {"f": False, "c": code})
    db.session.commit()
    page = supervisor.get("/awareness").get_data(as_text=True)
    assert "1 / 3" in page  # the closed one with a session counts; the other is gone
    assert schools_on(page) == mine[2:]
    listed = supervisor.get("/awareness/schools").get_data(as_text=True)
    assert schools_on(listed) == mine[2:]


def test_past_the_choices_cap_the_form_takes_a_units_code(people, login, make_unit,
                                                          monkeypatch):
    """A province's supervisor has thousands of units below: no select of them
    all, a code typed instead, checked as the choice was."""
    monkeypatch.setattr(service, "UNIT_CHOICES_MAX", 2)
    school = make_schools(make_unit, people.district, 3, "T")[0]
    supervisor = login(people.supervisor)
    page = supervisor.get("/awareness").get_data(as_text=True)
    assert '<input id="unit" name="unit"' in page and '<select id="unit"' not in page
    assert supervisor.post("/awareness", data=form(supervisor, unit=school.lower())
                           ).status_code == 302
    for code, status in (("HUYEN2", 422), ("KHONGCO", 422), ("X" * 500, 422), ("", 422)):
        answer = supervisor.post("/awareness", data=form(supervisor, unit=code))
        assert answer.status_code == status, code
        assert "Không đơn vị nào của bạn mang mã này." in answer.get_data(as_text=True)
    assert len(audit_rows(action="awareness.denied", object_id="HUYEN2")) == 1
    # Below the cap, the choice as before (one unit: named, no choice to make).
    below = login(people.counselor).get("/awareness").get_data(as_text=True)
    assert '<input type="hidden" name="unit" value="XA">' in below


@pytest.mark.parametrize("cap", [2, 300])  # the unit typed as a code; chosen in a select
def test_the_awareness_page_costs_the_same_statements_however_many_units(people, login,
                                                                         make_unit, monkeypatch,
                                                                         cap):
    monkeypatch.setattr(service, "UNIT_CHOICES_MAX", cap)
    supervisor = login(people.supervisor)
    for code in make_schools(make_unit, people.district, 4, "T")[:3]:  # one without
        supervisor.post("/awareness", data=form(supervisor, unit=code))
    _, with_few = statements_run(lambda: supervisor.get("/awareness"))
    for code in make_schools(make_unit, people.district, 40, "M")[:20]:
        supervisor.post("/awareness", data=form(supervisor, unit=code))
    _, with_many = statements_run(lambda: supervisor.get("/awareness"))
    assert with_many == with_few
