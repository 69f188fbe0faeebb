"""`caseapp report`: the files, small counts suppressed, every export audited, and
`--verify` recomputing every number from the signed log (and failing on an edited
report or a rewritten log)."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from caseapp import clock
from caseapp.cli import reports as reports_cli
from caseapp.extensions import db
from caseapp.reports import export
from tests.cases.conftest import audit_rows


def supported(case, officer):
    from caseapp.cases import service
    from caseapp.cases.data import SupportActionData

    service.record_support_action(officer, case, SupportActionData("counselling", "Tư vấn"))
    return case


@pytest.fixture
def cases(people, make_case):
    made = [make_case(stage) for stage in ("intake", "assessment")]
    made += [supported(make_case(stage), people.officer)
             for stage in ("support", "support", "support", "support")]
    made.append(make_case("closure"))  # closed, never a support action: not supported
    made.append(make_case("closure", via="assessment"))
    made.append(make_case("intake", help_requested=False))
    db.session.commit()
    return made


def run(runner, *args):
    return runner.invoke(reports_cli.report, list(args))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_each_format_verifies_against_the_log(runner, cases, tmp_path, people, fmt):
    out = tmp_path / f"report.{fmt}"
    made = run(runner, "--period", str(clock.now().year), "--unit", "TINH", "--format", fmt,
               "--out", str(out))
    assert made.exit_code == 0, made.output
    data = export.read_data(out.read_bytes())
    assert data["numbers"]["requests.total"] == 8 and data["numbers"]["handled.total"] == "<5"
    assert data["numbers"]["not_handled.total"] == "<5"  # 3: intake, assessment, the closed one
    assert data["numbers"]["unfounded.total"] == "<5"  # one case: suppressed
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 0, checked.output
    assert "all match" in checked.output
    (entry,) = audit_rows(action="report.export")
    details = json.loads(entry.details)
    assert details["format"] == fmt and details["checkpoint"] == data["checkpoint"]["seq"]


def test_an_edited_report_fails(runner, cases, tmp_path):
    out = tmp_path / "report.html"
    assert run(runner, "--period", str(clock.now().year), "--unit", "TINH", "--format", "html",
               "--out", str(out)).exit_code == 0
    raw = out.read_text("utf-8")
    assert '"requests.total": 8' in raw
    out.write_text(raw.replace('"requests.total": 8', '"requests.total": 9'), "utf-8")
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 1 and "requests.total" in checked.output


def _edit_a_visible_total(raw: bytes, fmt: str) -> bytes:
    """Change the shown number of requests (8) in the first table, not the data."""
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(raw))
        sheet = book.worksheets[0]
        for row in sheet.iter_rows():
            if row[0].value == "Tổng cộng":
                assert row[1].value == 8
                row[1].value = 9
                break
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text_ = raw.decode("utf-8")
    old, new = (('"Tổng cộng","8",', '"Tổng cộng","9",') if fmt == "csv" else (
        '<td data-label="Nhóm">Tổng cộng</td><td data-label="Yêu cầu hỗ trợ" class="num">8<',
        '<td data-label="Nhóm">Tổng cộng</td><td data-label="Yêu cầu hỗ trợ" class="num">9<'))
    assert text_.count(old) == 1, old
    return text_.replace(old, new).encode("utf-8")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_a_report_whose_shown_numbers_were_edited_fails(runner, cases, tmp_path, fmt):
    """The data block untouched, a number a reader sees changed: caught."""
    out = tmp_path / f"report.{fmt}"
    assert run(runner, "--period", str(clock.now().year), "--unit", "TINH", "--format", fmt,
               "--out", str(out)).exit_code == 0
    out.write_bytes(_edit_a_visible_total(out.read_bytes(), fmt))
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 1, checked.output
    if fmt == "xlsx":
        assert "Tổng cộng" in checked.output and "9" in checked.output
    else:
        assert "not as it was made" in checked.output


def test_a_report_from_a_rewritten_log_fails(runner, cases, tmp_path):
    out = tmp_path / "report.html"
    assert run(runner, "--period", str(clock.now().year), "--unit", "TINH", "--format", "html",
               "--out", str(out)).exit_code == 0
    # A database writer rewrites one entry's facts (the append-only trigger set aside).
    session = db.session
    if db.engine.dialect.name == "sqlite":
        for name in session.execute(text("SELECT name FROM sqlite_master WHERE type = "
                                         "'trigger' AND tbl_name = 'audit_entries'")).scalars():
            session.execute(text(f"DROP TRIGGER {name}"))
    else:
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
    seq = session.execute(text(
        "SELECT max(seq) FROM audit_entries WHERE action = 'case.create'")).scalar()
    changed = session.execute(text("UPDATE audit_entries SET details = replace(details, "
                                   "'intake', 'closure') WHERE seq = :seq"), {"seq": seq})
    assert changed.rowcount == 1
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 1 and "does not verify" in checked.output


def test_exact_counts_only_on_request(runner, cases, tmp_path):
    out = tmp_path / "exact.xlsx"
    assert run(runner, "--period", str(clock.now().year), "--unit", "TINH", "--format", "xlsx",
               "--out", str(out), "--no-suppress").exit_code == 0
    sheet = load_workbook(io.BytesIO(out.read_bytes()))["Báo cáo"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "<5" not in values
    assert run(runner, "--verify", str(out)).exit_code == 0


def test_bad_periods_and_units_are_refused(runner, cases, tmp_path):
    for args in (["--period", "2026-H3"], ["--period", "hôm qua"], ["--unit", "NOPE"]):
        result = run(runner, *args, "--out", str(tmp_path / "x.csv"), "--format", "csv")
        assert result.exit_code == 1 and "error:" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_awareness_numbers_are_reported_and_recomputed_from_the_log(runner, people, tmp_path):
    from caseapp.admin import service as admin_service
    from caseapp.awareness import service as sessions
    from caseapp.cases.deadlines import VIETNAM

    admin_service.set_school_type("system", people.commune, "primary")
    day = clock.now().astimezone(VIETNAM).date()
    data = sessions.SessionData(day, ("children", "parents"), 3, "An toàn trên mạng")
    kept = sessions.record_session(people.counselor, people.commune, data)
    dropped = sessions.record_session(people.supervisor, people.district, data)
    db.session.commit()
    sessions.delete_session(people.supervisor, dropped)
    db.session.commit()
    out = tmp_path / "report.csv"
    assert run(runner, "--period", str(day.year), "--unit", "TINH", "--format", "csv",
               "--out", str(out)).exit_code == 0
    numbers = export.read_data(out.read_bytes())["numbers"]
    # Events, not children: shown exactly even when small.
    assert numbers["awareness.sessions"] == 1 and numbers["awareness.attendees"] == 3
    assert numbers["awareness.audience.parents"] == 1
    assert (numbers["awareness.schools"], numbers["awareness.schools_covered"]) == (1, 1)
    assert '"Số trường đã tổ chức ít nhất một buổi","1"' in out.read_text("utf-8-sig")
    assert run(runner, "--verify", str(out)).exit_code == 0
    # Changed after the report: the report still matches the log up to its checkpoint.
    sessions.update_session(people.counselor, kept, sessions.SessionData(
        day, ("children",), 40, "An toàn trên mạng"), expected_version=1)
    db.session.commit()
    assert run(runner, "--verify", str(out)).exit_code == 0
    # A report that claims more sessions than the log holds fails.
    raw = out.read_text("utf-8-sig")
    assert raw.count('awareness.attendees"": 3,') == 1  # in the CSV-quoted data block
    out.write_text(raw.replace('awareness.attendees"": 3,', 'awareness.attendees"": 30,'),
                   "utf-8-sig")
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 1 and "awareness.attendees" in checked.output
