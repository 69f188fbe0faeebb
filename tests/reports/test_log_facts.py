"""`caseapp cases log-facts`: an instance upgraded to verifiable reports gives its
log the facts of cases and schools recorded before, once."""
from __future__ import annotations

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.cases import service
from caseapp.cli import cases as cases_cli
from caseapp.cli import reports as reports_cli
from caseapp.extensions import db
from tests.cases.conftest import audit_rows


def _audit_before_facts(action, actor, case, **details):
    """How case entries were written before they carried facts."""
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def test_old_cases_and_schools_get_their_facts_once(people, make_case, runner, tmp_path,
                                                    monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(service, "_audit", _audit_before_facts)
        old = [make_case("intake") for _ in range(6)]
    people.commune.school_type = "primary"  # marked before the log said so
    db.session.commit()
    year = str(clock.now().year)

    def report(name, *extra):
        out = tmp_path / name
        made = runner.invoke(reports_cli.report, ["--period", year, "--unit", "TINH",
                                                  "--format", "csv", "--out", str(out),
                                                  *extra])
        assert made.exit_code == 0, made.output
        return runner.invoke(reports_cli.report, ["--verify", str(out)])

    before = report("before.csv")
    assert before.exit_code == 1 and "requests.total" in before.output

    done = runner.invoke(cases_cli.log_facts, [])
    assert done.exit_code == 0, done.output
    assert "6 case(s) and 1 school(s)" in done.output
    assert {r.object_id for r in audit_rows(action="case.facts")} == {c.reference for c in old}
    assert len(audit_rows(action="unit.school")) == 1

    assert report("after.csv").exit_code == 0
    again = runner.invoke(cases_cli.log_facts, [])
    assert "0 case(s) and 0 school(s)" in again.output
