"""The programme's report places a transferred case in its new unit, and
``caseapp report --verify`` (which rebuilds the numbers from the cases' facts
in the audit log) agrees: the acceptance's entry carries the facts under the
new unit."""
from __future__ import annotations

from caseapp import clock
from caseapp.cases import service as cases
from caseapp.cases.data import SupportActionData
from caseapp.cli import reports as reports_cli
from caseapp.extensions import db
from caseapp.reports import export
from caseapp.transfers import service

MOVED = 6  # above the report's suppression of small counts (< 5)


def report(runner, unit: str, out) -> dict:
    made = runner.invoke(reports_cli.report, ["--period", str(clock.now().year), "--unit", unit,
                                               "--format", "csv", "--out", str(out)])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(reports_cli.report, ["--verify", str(out)])
    assert checked.exit_code == 0 and "all match" in checked.output, checked.output
    return export.read_data(out.read_bytes())["numbers"]


def test_report_and_its_verification_follow_the_case(people, make_case, runner, tmp_path,
                                                      own_instance):
    for _ in range(MOVED):
        case = make_case("support", lead=people.officer)
        cases.record_support_action(people.officer, case,
                                    SupportActionData("counselling", "Tư vấn"))
        transfer = service.request_transfer(people.supervisor, case, service.TransferData(
            "HUYEN2", "child_moved", "Gia đình chuyển nhà"))
        service.accept(people.other_supervisor, transfer)
        db.session.commit()
    receiving = report(runner, "HUYEN2", tmp_path / "huyen2.csv")
    assert receiving["requests.total"] == MOVED and receiving["handled.total"] == MOVED
    sending = report(runner, "HUYEN", tmp_path / "huyen.csv")
    assert sending.get("requests.total", 0) == 0  # none left in the sending district
    assert receiving[f"by_unit.{people.other_district.path}"] == MOVED
