"""The home page: where each role starts (UX walk: it was blank but for admins),
with the person's own open cases counted and nothing of any child on it."""
from __future__ import annotations

import re

from tests.sql_statements import statements_run


def tiles(html: str) -> list[str]:
    part = html[html.index('class="tiles home-tiles"'):]
    return re.findall(r'<a href="([^"]+)"', part[:part.index("</ul>")])


def test_each_role_is_offered_where_its_work_is(people, login, make_case):
    make_case("assessment")  # led by people.officer
    make_case("intake")
    officer = login(people.officer).get("/").get_data(as_text=True)
    assert tiles(officer) == ["/cases/new", "/cases", "/figures", "/notifications"]
    assert "Hồ sơ đang mở: 1" in officer
    counselor = login(people.counselor).get("/").get_data(as_text=True)
    assert tiles(counselor) == ["/cases/new", "/cases", "/notifications"]
    # their report still at intake (one taken into assessment is the officer's),
    # as their list of cases counts it
    assert "Hồ sơ đang mở: 1" in counselor
    supervisor = login(people.supervisor).get("/").get_data(as_text=True)
    assert tiles(supervisor) == ["/supervision", "/cases", "/figures", "/notifications"]
    admin = login(people.admin).get("/").get_data(as_text=True)
    assert tiles(admin)[:2] == ["/admin/users", "/admin/units"]
    assert "/cases" not in tiles(admin) and "/supervision" not in tiles(admin)
    for html in (officer, counselor, supervisor, admin):
        assert "HS-" not in html  # no case is named on it


def test_the_count_is_one_statement_of_index_ranges(people, login, make_case):
    for _ in range(3):
        make_case("assessment")
    client = login(people.officer)
    client.get("/")
    _response, few = statements_run(lambda: client.get("/"))
    for _ in range(4):
        make_case("assessment")
    response, more = statements_run(lambda: client.get("/"))
    assert "Hồ sơ đang mở: 7" in response.get_data(as_text=True)
    assert few == more
