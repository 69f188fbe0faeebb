"""The admin's units page is paged like every other list (issue 16: a
province has thousands of communes and schools): a page of the tree at a
time, each unit once walking forwards and back; a unit's code finds its
page; a change or a refusal lands on the page of the unit it concerns, its
message beside it; a forged mark is the first page."""
from __future__ import annotations

import re

import pytest

from caseapp.extensions import db
from caseapp.units import service as units
from caseapp.units.models import Unit
from tests.sql_statements import statements_run

from .conftest import token

UNIT = re.compile(r'<li class="depth-\d[^"]*" id="unit-([A-Z0-9]+)"')
LINK = re.compile(r'href="(/admin/units\?[^"]+)"[^>]*>([^<]*)')


@pytest.fixture
def tree(people, make_unit, monkeypatch) -> list[str]:
    """Every unit's code in the tree's order (26: 22 communes more)."""
    monkeypatch.setattr(units, "TREE_PAGE_SIZE", 8)
    for i in range(22):
        make_unit(f"XA{i:02d}", parent=people.district, name=f"Xã số {i}")
    return [u.code for u in db.session.scalars(
        units.TREE_KEYSET.order(db.select(Unit)))]


def links(html: str) -> dict[str, str]:
    return {text.strip(" ←→"): href.replace("&amp;", "&") for href, text in LINK.findall(html)}


def test_walking_the_pages_shows_each_unit_once_in_the_trees_order(people, login, tree):
    client = login(people.admin)
    url, pages = "/admin/units", []
    for _ in range(6):  # bounded: 4 pages expected
        html = client.get(url).get_data(as_text=True)
        pages.append(UNIT.findall(html))
        following = links(html).get("Trang sau")
        if following is None:
            break
        url = following
    assert [len(p) for p in pages] == [8, 8, 8, len(tree) - 24]
    assert [code for page in pages for code in page] == tree
    assert f"25–{len(tree)} trong {len(tree)}" in html
    back = links(html)["Trang trước"]
    assert UNIT.findall(client.get(back).get_data(as_text=True)) == tree[16:24]
    # A parent comes right before the units under it.
    assert tree.index("HUYEN") < tree.index("XA") and tree.index("TINH") == 0


def test_a_code_finds_its_page_and_an_unknown_one_says_so(people, login, tree):
    client = login(people.admin)
    target = tree[13]
    html = client.get(f"/admin/units?at={target.lower()}").get_data(as_text=True)
    assert UNIT.findall(html) == tree[13:21]
    assert f"14–21 trong {len(tree)}" in html and "Trang trước" in html
    # A page that starts below the top names the units above its first.
    above = re.search(r'<p class="hint" id="tree-above">(.*?)</p>', html, re.S).group(1)
    assert re.findall(r"<code>([A-Z0-9]+)</code>", above) == ["TINH", "HUYEN"]
    assert 'id="tree-above"' not in client.get("/admin/units").get_data(as_text=True)
    answer = client.get("/admin/units?at=KHONGCO")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Không có đơn vị nào mang mã KHONGCO." in html and UNIT.findall(html) == tree[:8]
    for forged in ("\x00", "A" * 300, "<script>"):
        answer = client.get("/admin/units", query_string={"at": forged})
        assert answer.status_code in (200, 400) and b"<script>" not in answer.data


def test_a_change_lands_on_the_page_of_its_unit(people, login, tree):
    client = login(people.admin)
    target = tree[-3]
    answer = client.post(f"/admin/units/{target}/name", data={
        "csrf_token": token(client, "/admin/units"), "name": "Xã Tân Phú"})
    assert answer.status_code == 302
    assert answer.location.endswith(f"/admin/units?at={target}#unit-{target}")
    assert target in UNIT.findall(client.get(answer.location).get_data(as_text=True))
    # A refusal is shown on that unit's page, beside it.
    answer = client.post(f"/admin/units/{target}/name", data={
        "csrf_token": token(client, "/admin/units"), "name": ""})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and UNIT.findall(html)[0] == target
    assert f'id="unit-error-{target}"' in html
    answer = client.post("/admin/units/HUYEN/deactivate",
                         data={"csrf_token": token(client, "/admin/units")})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and UNIT.findall(html)[0] == "HUYEN"
    assert 'id="unit-error-HUYEN"' in html


def test_a_school_type_set_on_a_later_page_lands_there(people, login, tree):
    client = login(people.admin)
    target = tree[-1]
    answer = client.post("/admin/units/school", data={
        "csrf_token": token(client, "/admin/units"), "unit": target,
        "school_type": "primary"})
    assert answer.status_code == 302 and f"at={target}" in answer.location
    db.session.expire_all()
    assert units.by_code(target).school_type == "primary"
    answer = client.post("/admin/units/school", data={
        "csrf_token": token(client, "/admin/units"), "unit": "X" * 5000,
        "school_type": "primary"})
    assert answer.status_code == 422


@pytest.mark.parametrize("mark", ["x", "W10", "WyIvMS8iLCAxXQ" * 30, "WyIvYS8iLDFd",
                                  "WyIvMS8iLCJ4Il0"])
def test_a_forged_mark_is_the_first_page(people, login, tree, mark):
    client = login(people.admin)
    for key in ("after", "before"):
        answer = client.get(f"/admin/units?{key}={mark}&start=77")
        assert answer.status_code == 200
        assert UNIT.findall(answer.get_data(as_text=True)) == tree[:8]


def test_a_page_costs_the_same_statements_however_many_units(people, make_unit, monkeypatch):
    def page():
        return [u.code for u in units.tree_window(size=8).rows]

    for i in range(6):
        make_unit(f"XC{i:02d}", parent=people.commune)
    db.session.expire_all()
    few, with_few = statements_run(page)
    for i in range(30):
        make_unit(f"XB{i:02d}", parent=people.commune)
    db.session.expire_all()
    many, with_many = statements_run(page)
    assert len(few) == len(many) == 8 and with_many == with_few
