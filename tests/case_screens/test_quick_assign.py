"""The supervision queue's quick assign form: it offers the officers nearest to
each waiting case (its unit, then each unit above it up to the supervisor's),
never the whole subtree's (487 names in every select at 1,000,000 cases), with
a link to the case's own assign page for anyone else. What is posted is still
the case's own "assign" action, checked there on the rows: a forged officer
outside the supervisor's units is refused and nothing changes."""
from __future__ import annotations

import html as markup
import re

from caseapp.cases.models import Case, CaseAssignee
from caseapp.extensions import db
from tests.sql_statements import statements_run

OPTION = re.compile(r'<option[^>]*value="([^"]*)"')


def waiting_row(page: str, reference: str) -> str:
    """The row of ``reference`` in the "waiting for an assignment" list."""
    start = page.index('id="unassigned"')
    section = page[start:page.index("</section>", start)]
    at = section.index(f"/cases/{reference}?")
    row_start = section.rindex("<tr", 0, at)
    return section[row_start:section.index("</tr>", at)]


def offered(row: str) -> list[str]:
    """The officers' ids in the row's select, in their order (the blank left out)."""
    return [value for value in OPTION.findall(row) if value]


def form_fields(row: str) -> dict[str, str]:
    form = row[row.index("<form"):row.index("</form>")]
    fields = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form))
    fields.update(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return {name: markup.unescape(value) for name, value in fields.items()}


def test_the_quick_form_offers_the_nearest_officers_and_links_to_everyone(
        people, login, make_case, make_user):
    province_officer = make_user("officer", unit=people.province, totp=False).user
    case = make_case("intake")  # in the commune, below the district, below the province
    client = login(people.province_supervisor)
    row = waiting_row(client.get("/supervision").get_data(as_text=True), case.reference)
    # The case's own unit first, then each unit above it, up to the supervisor's.
    assert offered(row) == [people.officer.id, people.officer2.id, province_officer.id]
    # An officer of a sibling district is not near: not in the quick form...
    assert people.other_officer.id not in offered(row)
    link = re.search(r'<a class="assign-other" href="([^"]+)">([^<]+)</a>', row)
    assert link and link.group(2) == "Tất cả cán bộ, người cùng tham gia…"
    full_url = markup.unescape(link.group(1))
    assert full_url.startswith(f"/cases/{case.reference}/actions/assign?back=")
    # ...but the case's own assign page offers every officer of the supervisor's units.
    full = client.get(full_url)
    assert full.status_code == 200
    everyone = offered(full.get_data(as_text=True))
    assert {people.officer.id, people.officer2.id, province_officer.id,
            people.other_officer.id} <= set(everyone)


def test_a_case_with_no_officer_near_says_so_and_gives_the_link(
        people, login, make_case, make_unit, make_user):
    lonely = make_unit(parent=people.province)
    counselor = make_user("counselor", unit=lonely, totp=False).user
    case = make_case("intake", unit=lonely, recorder=counselor)
    near = make_case("intake")
    page = login(people.province_supervisor).get("/supervision").get_data(as_text=True)
    row = waiting_row(page, case.reference)
    assert "<form" not in row and "<select" not in row
    assert "Không có cán bộ đang hoạt động nào ở đơn vị của hồ sơ hoặc các đơn vị cấp trên." \
        in row
    assert f'href="/cases/{case.reference}/actions/assign?back=' in row
    # the other rows keep their form
    assert offered(waiting_row(page, near.reference))


def test_with_no_officer_in_the_units_the_full_page_says_what_to_do(
        people, login, make_case, make_unit, make_user):
    lonely = make_unit(parent=people.province)
    counselor = make_user("counselor", unit=lonely, totp=False).user
    supervisor = make_user("supervisor", unit=lonely, totp=False).user
    case = make_case("intake", unit=lonely, recorder=counselor)
    html = login(supervisor).get(f"/cases/{case.reference}/actions/assign").get_data(
        as_text=True)
    assert 'id="no-officer"' in html and "quản trị viên" in html
    assert "<select" not in html  # no form that nobody could save


def test_each_rows_form_has_ids_of_its_own(people, login, make_case):
    made = [make_case("intake") for _ in range(3)]
    page = login(people.supervisor).get("/supervision").get_data(as_text=True)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for case in made:
        row = waiting_row(page, case.reference)
        select_id = re.search(r'<select[^>]* id="([^"]+)"', row).group(1)
        assert case.reference in select_id and f'<label for="{select_id}"' in row


def test_a_disabled_officer_is_not_offered(people, login, make_case):
    case = make_case("intake")
    people.officer.is_enabled = False
    db.session.commit()
    row = waiting_row(login(people.supervisor).get("/supervision").get_data(as_text=True),
                      case.reference)
    assert offered(row) == [people.officer2.id]


def test_a_forged_officer_outside_the_units_is_refused_and_nothing_changes(
        people, login, make_case):
    case = make_case("intake")
    version = case.version_id
    client = login(people.supervisor)
    row = waiting_row(client.get("/supervision").get_data(as_text=True), case.reference)
    fields = form_fields(row)
    assert any(name.endswith("csrf_token") for name in fields)
    lead = re.search(r'<select[^>]*name="([^"]+)"', row).group(1)
    # An officer of another district: outside this supervisor's units.
    fields[lead] = people.other_officer.id
    response = client.post(f"/cases/{case.reference}/assign", data=fields)
    assert response.status_code in (403, 422)
    db.session.expire_all()
    kept = db.session.get(Case, case.id)
    assert kept.lead_officer_id is None and kept.version_id == version
    assert db.session.query(CaseAssignee).filter(CaseAssignee.case_id == case.id).count() == 0


def test_an_officer_of_the_units_not_offered_may_still_be_posted(people, login, make_case):
    """The quick form is a shortcut, not a rule: who may be assigned is the
    action's rule, checked on the rows when posted (as from the full page)."""
    case = make_case("intake")
    client = login(people.province_supervisor)
    row = waiting_row(client.get("/supervision").get_data(as_text=True), case.reference)
    assert people.other_officer.id not in offered(row)
    fields = form_fields(row)
    # Back to the supervision page, at its messages, as before.
    assert fields["next"] == "/supervision#messages"
    fields[re.search(r'<select[^>]*name="([^"]+)"', row).group(1)] = people.other_officer.id
    response = client.post(f"/cases/{case.reference}/assign", data=fields)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/supervision#messages")
    db.session.expire_all()
    assert db.session.get(Case, case.id).lead_officer_id == people.other_officer.id


def test_the_quick_forms_cost_the_same_statements_with_more_staff_and_cases(
        people, login, make_case, make_unit, make_user):
    make_case("intake")
    client = login(people.province_supervisor)
    client.get("/supervision")

    def statements() -> int:
        response, count = statements_run(lambda: client.get("/supervision"))
        assert response.status_code == 200
        return count

    before = statements()
    for _ in range(3):
        unit = make_unit(parent=make_unit(parent=people.province))
        for _ in range(2):
            make_user("officer", unit=unit, totp=False)
        make_user("officer", unit=unit.parent, totp=False)
        counselor = make_user("counselor", unit=unit, totp=False).user
        make_case("intake", unit=unit, recorder=counselor)
    page = client.get("/supervision").get_data(as_text=True)
    assert page.count('class="assign-inline"') == 4
    assert statements() == before
