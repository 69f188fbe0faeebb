"""`caseapp cases log-facts`: an instance upgraded to verifiable reports gives its
log the facts of cases and schools recorded before, once; it never writes what a
database writer put in the tables (a forged case, a school set behind the log)."""
from __future__ import annotations

from sqlalchemy import select, text

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.cases import service
from caseapp.cases.models import Case
from caseapp.cli import cases as cases_cli
from caseapp.cli import reports as reports_cli
from caseapp.extensions import db
from caseapp.units.models import Unit
from tests.cases.conftest import audit_rows


def _audit_before_facts(action, actor, case, **details):
    """How case entries were written before they carried facts."""
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def _old_school(people) -> Unit:
    """A school made before unit entries said whether a unit is a school."""
    unit = Unit(code="THCS-CU", name="Trường THCS cũ", parent_id=people.commune.id,
                school_type="primary")
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{people.commune.path}{unit.id}/"
    record("unit.create", actor="system", object_type="unit", object_id=unit.code,
           unit_path=unit.path, details={"parent": people.commune.code})
    return unit


def report(runner, tmp_path, name):
    out = tmp_path / name
    made = runner.invoke(reports_cli.report, ["--period", str(clock.now().year), "--unit",
                                              "TINH", "--format", "csv", "--out", str(out)])
    assert made.exit_code == 0, made.output
    return runner.invoke(reports_cli.report, ["--verify", str(out)])


def test_old_cases_and_schools_get_their_facts_once(people, make_case, runner, tmp_path,
                                                    monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(service, "_audit", _audit_before_facts)
        old = [make_case("intake") for _ in range(6)]
    _old_school(people)
    db.session.commit()
    before = report(runner, tmp_path, "before.csv")
    assert before.exit_code == 1 and "requests.total" in before.output

    done = runner.invoke(cases_cli.log_facts, [])
    assert done.exit_code == 0, done.output
    assert "6 case(s) and 1 unit(s); 0 case(s) refused" in done.output
    assert all(f"case {c.reference}" in done.output for c in old)
    assert {r.object_id for r in audit_rows(action="case.facts")} == {c.reference for c in old}
    assert [r.object_id for r in audit_rows(action="unit.school")] == ["THCS-CU"]
    assert report(runner, tmp_path, "after.csv").exit_code == 0

    again = runner.invoke(cases_cli.log_facts, [])
    assert again.exit_code == 1 and "already" in again.output
    assert len(audit_rows(action="case.facts")) == 6


def test_what_a_database_writer_forged_is_not_logged(people, make_case, runner, tmp_path,
                                                     monkeypatch):
    make_case("intake")
    db.session.commit()
    # The writer copies a case under a new reference (its row MAC cannot be made)
    # and marks a unit a school behind the log's back.
    columns = [c.name for c in Case.__table__.columns if c.name not in ("id", "reference",
                                                                        "data_key_id")]
    names = ", ".join(columns)
    db.session.execute(text(f"INSERT INTO cases (id, reference, {names}) SELECT "
                            f"'forged-0000-0000-0000-000000000000', 'HS-FORGED01', {names} "
                            f"FROM cases LIMIT 1"))
    db.session.execute(text("UPDATE units SET school_type = 'primary' WHERE code = 'XA'"))
    db.session.commit()
    forged = report(runner, tmp_path, "forged.csv")
    assert forged.exit_code == 1  # the log knows one case, the tables say two

    done = runner.invoke(cases_cli.log_facts, [])
    assert done.exit_code == 0, done.output
    assert "case HS-FORGED01" in done.output and "NOT logged" in done.output
    assert "0 case(s) and 0 unit(s); 1 case(s) refused" in done.output
    assert audit_rows(action="case.facts") == [] and audit_rows(action="unit.school") == []
    assert report(runner, tmp_path, "still.csv").exit_code == 1
    assert db.session.scalar(select(Case.reference).where(
        Case.reference == "HS-FORGED01")) == "HS-FORGED01"
