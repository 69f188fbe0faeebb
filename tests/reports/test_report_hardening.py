"""What a hostile review of the report found, kept closed: "<5" worked out by
difference, files edited where --verify did not look, an old checkpoint with a
newer date, odd periods, damaged files, formula cells, the facts in the audit
export."""
from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from caseapp import clock
from caseapp.cli import reports as reports_cli
from caseapp.extensions import db
from caseapp.reports import export, service
from caseapp.reports.service import HIDDEN, SUPPRESSED, _additive_sets
from tests.case_screens.conftest import token
from tests.cases.conftest import audit_rows


def run(runner, *args):
    return runner.invoke(reports_cli.report, list(args))


@pytest.fixture
def nine(people, make_case):
    """Nine requests: seven girls under 16, two minors of 16-17 (one a boy)."""
    from datetime import date

    made = [make_case("intake") for _ in range(7)]
    made.append(make_case("intake", child={"date_of_birth": date(2009, 6, 1)}))
    made.append(make_case("intake", child={"date_of_birth": date(2009, 7, 1), "gender": "male"}))
    db.session.commit()
    return made


def year() -> str:
    return str(clock.now().year)


def test_no_small_count_can_be_worked_out_from_a_total(runner, nine, tmp_path):
    out = tmp_path / "r.csv"
    assert run(runner, "--period", year(), "--unit", "TINH", "--format", "csv", "--out",
               str(out)).exit_code == 0
    numbers = export.read_data(out.read_bytes())["numbers"]
    assert numbers["requests.minors"] == SUPPRESSED
    assert numbers["requests.children"] == HIDDEN  # 9 - 2 would give the minors away
    assert numbers["by_gender.male"] == SUPPRESSED and numbers["by_gender.female"] == HIDDEN
    concealed = (SUPPRESSED, HIDDEN)
    for parts, total in _additive_sets(numbers):
        if numbers.get(total, 0) in concealed:
            continue
        assert sum(numbers.get(p, 0) in concealed for p in parts) != 1, (parts, total)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert ["Trẻ em (dưới 16 tuổi)", "x", "0", "0", "x", "—"] in rows
    # Exact numbers on request; and the hidden report still verifies.
    assert run(runner, "--verify", str(out)).exit_code == 0


def test_a_day_range_is_refused_for_a_report_with_small_counts_hidden(runner, people,
                                                                     tmp_path, login):
    out = tmp_path / "r.csv"
    refused = run(runner, "--period", f"{year()}-01-01..{year()}-06-14", "--unit", "TINH",
                  "--format", "csv", "--out", str(out))
    assert refused.exit_code == 1 and "2026-01..2026-03" in refused.output
    assert not out.exists() and audit_rows(action="report.export") == []
    exact = run(runner, "--period", f"{year()}-01-01..{year()}-06-14", "--unit", "TINH",
                "--format", "csv", "--out", str(out), "--no-suppress")
    assert exact.exit_code == 0
    client = login(people.supervisor)
    page = client.post("/figures/report", data={
        "csrf_token": token(client, "/figures"), "period": f"{year()}-01-01..{year()}-01-31",
        "unit": "HUYEN", "format": "csv"})
    assert page.status_code == 422 and "cách nhau vài ngày" in page.get_data(as_text=True)


@pytest.mark.parametrize("period", ["٢٠٢٦", "𝟚𝟘𝟚𝟞", "2026\n2027", "2026-01 ..\n2026-02",
                                    "2026-01..2026-02..2026-03", "2026-H1 x"])
def test_odd_periods_are_refused_before_anything_is_written(people, login, period):
    client = login(people.supervisor)
    response = client.post("/figures/report", data={
        "csrf_token": token(client, "/figures"), "period": period, "unit": "HUYEN",
        "format": "csv"})
    assert response.status_code == 422
    assert audit_rows(action="report.export") == []
    assert client.get("/figures", query_string={"period": period}).status_code == 422


def test_an_old_checkpoint_with_a_newer_date_fails(runner, nine, tmp_path, make_case):
    out = tmp_path / "r.csv"
    assert run(runner, "--period", year(), "--unit", "TINH", "--format", "csv", "--out",
               str(out), "--no-suppress").exit_code == 0
    data = export.read_data(out.read_bytes())
    make_case("intake")
    db.session.commit()
    later = dict(data, as_of=clock.now().isoformat())
    verdict = service.verify(later)
    assert not verdict.ok and "no export of this report" in verdict.problems[0]
    assert service.verify(dict(data, suppressed=True)).ok is False
    assert service.verify(data).ok


def _xlsx(runner, tmp_path):
    out = tmp_path / "r.xlsx"
    assert run(runner, "--period", year(), "--unit", "TINH", "--format", "xlsx", "--out",
               str(out), "--no-suppress").exit_code == 0
    return out


def _total_row(sheet):
    return next(row for row in sheet.iter_rows() if row[0].value == "Tổng cộng")


@pytest.mark.parametrize("tamper", ["number_format", "hidden_row", "extra_sheet", "title"])
def test_an_xlsx_made_to_show_other_numbers_fails(runner, nine, tmp_path, tamper):
    out = _xlsx(runner, tmp_path)
    book = load_workbook(out)
    sheet = book.worksheets[0]
    if tamper == "number_format":
        _total_row(sheet)[3].number_format = '"9"'
    elif tamper == "hidden_row":
        sheet.row_dimensions[_total_row(sheet)[0].row].hidden = True
    elif tamper == "extra_sheet":
        book.create_sheet("Tóm tắt").append(["Tỷ lệ được hỗ trợ", "100 %"])
    else:
        sheet["A1"] = "Báo cáo ... năm 2099"
    book.save(out)
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 1, checked.output


@pytest.mark.parametrize("fmt,edit", [
    ("csv", lambda t: t.replace("năm 20", "năm 19", 1)),
    ("html", lambda t: t.replace("<h1>", "<h1>Tỷ lệ được hỗ trợ: 100 % ", 1)),
    ("html", lambda t: t.replace("</head>", "<style>table{display:none}</style></head>", 1)),
])
def test_a_csv_or_html_changed_anywhere_fails(runner, nine, tmp_path, fmt, edit):
    out = tmp_path / f"r.{fmt}"
    assert run(runner, "--period", year(), "--unit", "TINH", "--format", fmt, "--out",
               str(out)).exit_code == 0
    text = out.read_bytes().decode("utf-8")
    changed = edit(text)
    assert changed != text
    out.write_bytes(changed.encode("utf-8"))
    checked = run(runner, "--verify", str(out))
    assert checked.exit_code == 1 and "not as it was made" in checked.output


@pytest.mark.parametrize("damage", [{"period": "năm ngoái"}, {"as_of": "hôm qua"},
                                    {"checkpoint": {"seq": "x"}}, {"numbers": None},
                                    {"unit": None}])
def test_damaged_report_data_fails_cleanly(runner, nine, tmp_path, damage):
    out = tmp_path / "r.html"
    assert run(runner, "--period", year(), "--unit", "TINH", "--format", "html", "--out",
               str(out)).exit_code == 0
    data = export.read_data(out.read_bytes())
    verdict = service.verify({**data, **damage})
    assert verdict.ok is False and verdict.problems


def test_a_unit_name_with_a_formula_stays_one_text_cell(runner, people, make_case, tmp_path):
    people.province.name = "X;=2+5,=HYPERLINK(\"http://evil\")"
    make_case("intake")
    db.session.commit()
    out = tmp_path / "r.csv"
    assert run(runner, "--period", year(), "--unit", "TINH", "--format", "csv", "--out",
               str(out)).exit_code == 0
    first_line = out.read_text("utf-8-sig").splitlines()[0]
    assert first_line.startswith('"') and first_line.endswith('"')  # one quoted cell
    assert all(line.startswith('"') or not line for line in out.read_text("utf-8-sig")
               .splitlines())


def test_the_audit_export_holds_no_case_facts(people, login, make_case):
    make_case("support")
    db.session.commit()
    assert any("facts" in json.loads(r.details) for r in audit_rows(object_type="case"))
    for who in (people.admin, people.supervisor):
        client = login(who)
        body = client.get("/audit/export.csv").get_data(as_text=True)
        assert "facts" not in body and "sextortion" not in body


def test_a_share_next_to_a_small_count_is_a_range_that_hides_it():
    from caseapp.reports.period import parse as parse_period

    def report(numbers):
        return service.Report("X", "X", "/1/", parse_period("2026"), clock.now(), {},
                              numbers, True)

    # 37 supported of 74 less 1 to 4 unfounded: 37/73 to 37/70.
    shown = report({"handled.total": 37, "requests.total": 74, "unfounded.total": SUPPRESSED})
    assert shown.share("handled.total", ("requests.total", "unfounded.total")) == "50,7–52,9 %"
    # 98 of 100 supported: the 2 not yet would show; a range from 96 % to 99 %.
    nearly = report({"handled.total": 98, "requests.total": 100})
    assert nearly.share("handled.total", ("requests.total", "unfounded.total")) == "96,0–99,0 %"
    exact = report({"handled.total": 50, "requests.total": 100})
    assert exact.share("handled.total", ("requests.total", "unfounded.total")) == "50,0 %"
    hidden = report({"handled.total": HIDDEN, "requests.total": 100})
    assert hidden.share("handled.total", "requests.total") == "—"


def test_a_report_whose_commit_fails_leaves_no_checkpoint_naming_a_lost_entry(
        people, monkeypatch):
    """The report's checkpoint goes on file before its transaction commits. If
    that commit fails (the database gone), the file must not name an entry the
    rollback took away: the log would read as rewritten ever after."""
    from flask import current_app
    from sqlalchemy.exc import OperationalError

    import audit
    from caseapp.auditing.writer import record
    from caseapp.auditlog import verification
    from caseapp.reports.period import parse

    real_sign, real_commit = service.sign_head_in_transaction, db.session.commit
    signed = []

    def sign():
        signed.append(real_sign())
        return signed[-1]

    def commit():
        if signed:
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        real_commit()

    monkeypatch.setattr(service, "sign_head_in_transaction", sign)
    monkeypatch.setattr(db.session, "commit", commit)
    # The caller's own entry, written in the same request before the report.
    record("account.password_changed", actor=people.supervisor, object_type="user",
           object_id=people.supervisor.id)
    with pytest.raises(OperationalError):
        service.make(people.supervisor, people.district, parse(year()), fmt="csv")
    db.session.rollback()
    monkeypatch.undo()
    assert signed, "the report signed no checkpoint"
    record("auth.logout", actor=people.supervisor)
    db.session.commit()
    # The chain against every checkpoint on file (the fixture's accounts were
    # made without their entries, so the whole-log check is not the point here).
    checkpoints, _, _, problem = verification.read_copies()
    keys = current_app.extensions["caseapp_keys"]
    walked = audit.verify_chain(db.session.connection(), keys.audit_mac_key,
                                checkpoints=checkpoints, public_key=keys.audit_verify_key)
    assert problem is None and walked.ok, walked.problem
    assert len(checkpoints) >= 1
