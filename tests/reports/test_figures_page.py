"""/figures: what a supervisor and an officer see, the scope, the period, the
download; no child data on the page."""
from __future__ import annotations

import re
from html import unescape

from caseapp import clock
from caseapp.cases import service
from caseapp.cases.data import SupportActionData
from caseapp.extensions import db
from tests.cases.conftest import CHILD_NAME, audit_rows

from ..case_screens.conftest import token


def figures(client, **params) -> tuple[int, str]:
    response = client.get("/figures", query_string=params)
    return response.status_code, unescape(response.get_data(as_text=True))


def cell(html: str, group: str, column: int) -> str:
    row = html.split(f'data-group="{group}"', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'class="num">([^<]*)<', row)[column]


def test_a_supervisor_sees_the_100_percent_view(people, login, make_case):
    supported = make_case("support")
    service.record_support_action(people.officer, supported, SupportActionData(
        "counselling", "Tư vấn"))
    waiting = make_case("assessment")
    make_case("closure", via="assessment")  # unfounded: counted apart
    make_case("intake", help_requested=False)
    make_case("support", unit=people.other_district, lead=people.other_officer,
              recorder=people.other_officer,
              supervisor=people.other_supervisor)  # another district: never counted here
    db.session.commit()
    status, html = figures(login(people.supervisor), period=str(clock.now().year))
    assert status == 200
    assert [cell(html, "total", i) for i in range(5)] == ["3", "1", "1", "1", "50,0 %"]
    not_handled = html.split('id="not-handled"', 1)[1].split("</section>", 1)[0]
    assert waiting.reference in not_handled and supported.reference not in not_handled
    apart = html.split('id="apart"', 1)[1].split("</section>", 1)[0]
    assert apart.count("data-reference=") == 2
    assert 'src="data:image/svg+xml;base64,' in html  # the charts, beside their tables
    assert CHILD_NAME not in html


def test_the_other_districts_supervisor_counts_only_theirs(people, login, make_case):
    make_case("support")
    db.session.commit()
    client = login(people.other_supervisor)
    status, html = figures(client, period=str(clock.now().year))
    assert status == 200 and cell(html, "total", 0) == "0"
    # Nor can they ask for a unit outside their subtree.
    status, html = figures(client, period=str(clock.now().year), unit="XA")
    assert status == 422 and 'id="handled"' not in html


def test_an_officer_sees_their_own_caseload(people, login, make_case):
    make_case("assessment")  # led by people.officer
    make_case("assessment", lead=people.officer2)
    db.session.commit()
    status, html = figures(login(people.officer), period=str(clock.now().year))
    assert status == 200 and cell(html, "total", 0) == "1"
    assert 'id="download"' not in html


def test_counselors_and_admins_are_refused(people, login):
    for who in (people.counselor, people.admin):
        assert figures(login(who))[0] == 403


def test_a_bad_period_says_how_to_write_one(people, login):
    status, html = figures(login(people.supervisor), period="nửa đầu năm")
    assert status == 422 and "2026-H1" in html


def test_the_download_is_a_report_and_is_recorded(people, login, make_case):
    make_case("support")
    db.session.commit()
    client = login(people.supervisor)
    response = client.post("/figures/report", data={
        "csrf_token": token(client, "/figures"), "period": str(clock.now().year),
        "unit": "HUYEN", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="bao-cao')
    assert "caseapp-report-data" in response.get_data(as_text=True)
    (entry,) = audit_rows(action="report.export")
    assert entry.actor_id == people.supervisor.id
    # Without the form's token, nothing is made.
    assert client.post("/figures/report", data={"period": "2026", "unit": "HUYEN",
                                                "format": "csv"}).status_code == 400


def test_long_lists_show_the_most_overdue_first_and_say_how_many(people, login, make_case,
                                                                  monkeypatch):
    from datetime import timedelta

    from caseapp.reports import dashboard
    from tests.cases.conftest import intake_data

    monkeypatch.setattr(dashboard, "LIST_LIMIT", 2)
    now = clock.now().replace(second=0, microsecond=0)
    made = {}
    for days in (4, 9, 6):  # assessment due 3 days after: 1, 6 and 3 days overdue
        made[days] = service.record_intake(people.counselor, intake_data(
            received_at=now - timedelta(days=days)))
    db.session.commit()
    status, html = figures(login(people.supervisor), period=str(clock.now().year))
    late = html.split('id="late"', 1)[1].split("</section>", 1)[0]
    listed = re.findall(r'data-reference="([^"]+)"', late)
    assert listed == [made[9].reference, made[6].reference]
    assert "(3)" in late and "Liệt kê 2 trên 3" in late
    assert "Đánh giá ban đầu: 6 ngày 0 giờ" in late


def test_past_the_choices_cap_a_unit_is_typed_by_code(people, login, make_case, monkeypatch):
    """A province's supervisor has thousands of units below: the unit is typed
    as its code, checked as a choice was (another district's: refused)."""
    from caseapp.reports import views

    monkeypatch.setattr(views, "UNIT_CHOICES_MAX", 1)
    make_case("support")
    db.session.commit()
    client = login(people.supervisor)  # the district: HUYEN and XA below it
    status, html = figures(client, period=str(clock.now().year))
    assert status == 200 and '<input id="unit" name="unit"' in html
    assert '<select id="unit"' not in html and cell(html, "total", 0) == "1"
    status, html = figures(client, period=str(clock.now().year), unit=" xa ")
    assert status == 200 and cell(html, "total", 0) == "1" and 'value="XA"' in html
    for code in ("HUYEN2", "KHONGCO", "X" * 300):
        status, html = figures(client, period=str(clock.now().year), unit=code)
        assert status == 422 and 'id="handled"' not in html
    api = client.get("/api/v1/figures", query_string={"unit": "xa",
                                                      "period": str(clock.now().year)})
    assert api.status_code == 200 and api.get_json()["unit"] == "XA"
