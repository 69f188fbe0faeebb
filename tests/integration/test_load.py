"""The load run, short: ten people for fifteen seconds against `caseapp serve`.

It runs the functions of ``benchmarks/load.py`` (the same preparation, people
and checks as the full run) on the database under test: SQLite, or the
PostgreSQL of ``CASEAPP_TEST_DATABASE_URL``. Nobody gets an error (a 409 on a
stage move, someone else's change first, aside), every write answered with
success is in the database with its own audit entry, the audit log holds as
many entries of each written kind as there were successful writes, and the
chain verifies. No timing is asserted: the benchmark prints the times.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.http_client import free_port

pytestmark = pytest.mark.no_db_isolation

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


def load_module():
    spec = importlib.util.spec_from_file_location("caseapp_load_benchmark", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ten_people_for_fifteen_seconds_lose_nothing(tmp_path, database_url):
    load = load_module()
    outcome = load.load_run(str(tmp_path / "inst"), users=10, seconds=15, cases=200,
                            workers=4, port=free_port(), database_url=database_url)
    report = load.report(outcome)

    assert outcome.errors == [], report
    checks = outcome.checks
    assert checks.lost == [], report
    # Something of every kind was written, so the checks below had work to check.
    done = {write.action for write in outcome.writes}
    assert done == {"intake", "add a note", "move a stage"}, report
    for kind, (writes, entries) in checks.audit_counts.items():
        assert writes == entries, (kind, report)
    for name, (answered, stored) in checks.rows.items():
        assert answered == stored, (name, report)
    assert checks.verified, checks.verify_output
    # Everyone logged in and did something else too.
    logins = [s for s in outcome.samples if s.action == "log in" and s.outcome == "ok"]
    assert len(logins) >= 10, report
    # Each person's first login, and only that, counts among the arriving ones.
    assert sum(s.arriving for s in logins) == 10, report
    assert "log in: arriving 10, median" in report
