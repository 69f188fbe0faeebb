"""The page, the report file and the API give the same numbers for the same
unit and period; the API keeps the page's scope."""
from __future__ import annotations

from caseapp import clock
from caseapp.cases import service
from caseapp.cases.data import SupportActionData
from caseapp.cli import reports as reports_cli
from caseapp.extensions import db
from caseapp.reports import export
from tests.cases.conftest import CHILD_NAME

from .test_figures_page import cell, figures


def test_page_file_and_api_agree_to_the_unit(people, login, make_case, runner, tmp_path):
    for _ in range(2):
        supported = make_case("support")
        service.record_support_action(people.officer, supported, SupportActionData(
            "counselling", "Tư vấn"))
    make_case("assessment")
    make_case("closure", via="assessment")
    make_case("intake", help_requested=False)
    make_case("support", unit=people.other_district, lead=people.other_officer,
              recorder=people.other_officer, supervisor=people.other_supervisor)
    db.session.commit()
    year = str(clock.now().year)
    client = login(people.supervisor)

    api = client.get("/api/v1/figures", query_string={"period": year, "unit": "HUYEN"})
    assert api.status_code == 200
    body = api.json
    assert (body["unit"], body["period"]) == ("HUYEN", year)
    numbers = body["numbers"]
    assert numbers["requests.total"] == 4 and numbers["handled.total"] == 2
    assert CHILD_NAME not in api.get_data(as_text=True)

    status, html = figures(client, period=year, unit="HUYEN")
    assert status == 200
    assert [cell(html, "total", i) for i in range(4)] == [
        str(numbers[f"{k}.total"]) for k in ("requests", "unfounded", "handled", "not_handled")]

    out = tmp_path / "exact.csv"
    made = runner.invoke(reports_cli.report, ["--period", year, "--unit", "HUYEN", "--format",
                                              "csv", "--out", str(out), "--no-suppress"])
    assert made.exit_code == 0, made.output
    assert export.read_data(out.read_bytes())["numbers"] == numbers


def test_the_api_keeps_the_pages_scope(people, login, make_case, client):
    make_case("support")
    db.session.commit()
    assert client.get("/api/v1/figures").status_code == 401
    other = login(people.other_supervisor)
    refused = other.get("/api/v1/figures", query_string={"unit": "HUYEN"})
    assert refused.status_code == 422 and "unit" in refused.json["fields"]
    own = other.get("/api/v1/figures", query_string={"period": str(clock.now().year)})
    assert own.status_code == 200 and own.json["numbers"].get("requests.total", 0) == 0
    for who in (people.counselor, people.admin):
        assert login(who).get("/api/v1/figures").status_code == 403
    officer_client = login(people.officer)
    officer = officer_client.get("/api/v1/figures",
                                        query_string={"period": str(clock.now().year),
                                                      "unit": "TINH"})
    assert officer.status_code == 200 and officer.json["unit"] is None  # own caseload
    assert officer.json["numbers"]["requests.total"] == 1
    # A unit the schema forbids is refused for an officer too (it was ignored).
    for forbidden in ({"unit": "X" * 65}, [("unit", "TINH"), ("unit", "HUYEN")]):
        refused = officer_client.get("/api/v1/figures", query_string=forbidden)
        assert refused.status_code == 422 and "unit" in refused.json["fields"]
    bad = login(people.supervisor).get("/api/v1/figures", query_string={"period": "٢٠٢٦"})
    assert bad.status_code == 422 and "period" in bad.json["fields"]
