"""`caseapp report` and `caseapp report --verify` as a supervisor's operator runs
them, on a real instance folder."""
from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from caseapp import clock
from tests.http_client import clean_env, run_caseapp

pytestmark = pytest.mark.no_db_isolation


def test_report_then_verify_then_tamper(fresh_instance, tmp_path):
    env = clean_env(str(fresh_instance))
    made = run_caseapp(["demo-data", "--cases", "12", "--seed", "5"], env)
    assert made.returncode == 0, made.stderr
    listed = run_caseapp(["units", "list"], env)
    school = next(line.split()[0] for line in listed.stdout.splitlines()
                  if "parent=-" not in line)
    marked = run_caseapp(["units", "school", school, "primary"], env)
    assert marked.returncode == 0 and "primary" in marked.stdout, marked.stderr
    assert run_caseapp(["units", "school", "NO-SUCH", "primary"], env).returncode == 1
    facts = run_caseapp(["cases", "log-facts"], env)
    assert facts.returncode == 0 and "0 case(s) and 0 unit(s)" in facts.stdout, facts.stdout
    year = str(clock.now().year)
    out = tmp_path / "report.csv"
    written = run_caseapp(["report", "--period", year, "--format", "csv", "--out", str(out)],
                          env)
    assert written.returncode == 0, written.stderr
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    with sqlite3.connect(fresh_instance / "caseapp.db") as database:
        (asked,) = database.execute(
            "SELECT count(*) FROM cases WHERE help_requested AND received_at >= ?",
            (f"{year}-01-01",)).fetchone()
    (total,) = [row for row in rows if row[:1] == ["Tổng cộng"]][:1]
    assert total[1] == (str(asked) if asked >= 5 else "<5")
    assert ["Số trường học", "1"] in rows

    checked = run_caseapp(["report", "--verify", str(out)], env)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: ")

    refused = run_caseapp(["report", "--period", year, "--format", "csv", "--out", str(out)],
                          env)
    assert refused.returncode == 1 and "exists" in refused.stderr

    bad_period = run_caseapp(["report", "--period", "năm ngoái", "--format", "csv", "--out",
                              str(tmp_path / "x.csv")], env)
    assert bad_period.returncode == 1 and "Traceback" not in bad_period.stderr
    assert not (tmp_path / "x.csv").exists()
