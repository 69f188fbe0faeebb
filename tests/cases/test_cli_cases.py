"""``caseapp demo-data``: synthetic cases through the services, the same for the same seed."""
from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from caseapp.cases.models import Case
from caseapp.cli import cases as cases_cli
from caseapp.extensions import db

from .conftest import audit_count


def snapshot() -> list[tuple]:
    return [(c.stage, c.immediate_danger, c.platform_codes[0], c.channel_code, c.age_band,
             tuple(c.harm_category_codes), c.risk_level)
            for c in db.session.scalars(select(Case))]


def test_demo_data_is_synthetic_valid_and_repeatable(runner, make_unit):
    make_unit("DEMOROOT")
    first = runner.invoke(cases_cli.demo_data, ["--cases", "30", "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert "created demo staff" in first.output and "added 30 synthetic case(s)" in first.output
    # A long command shows how far it got, on stderr (stdout stays the result).
    shown = first.stderr.splitlines()
    assert shown[0].startswith("synthetic cases: 1/30 (3%), ") and "time left" in shown[0]
    assert shown[-1].startswith("synthetic cases: 30/30 (100%), ") and ", took " in shown[-1]
    assert "synthetic cases:" not in first.stdout
    cases = db.session.scalars(select(Case)).all()
    assert len(cases) == 30
    assert {c.stage for c in cases} >= {"intake", "support", "closure"}
    for case in cases:
        if case.stage != "intake":
            assert case.lead_officer_id and case.assessed_at
        if case.stage == "closure":
            assert case.closure_approved_by_id and case.closed_at
    assert audit_count(action="case.create") == 30
    made = Counter(snapshot())

    again = runner.invoke(cases_cli.demo_data, ["--cases", "30", "--seed", "7"])
    assert again.exit_code == 0 and "created demo staff" not in again.output
    assert Counter(snapshot()) == made + made  # the same seed made the same cases


def test_sigterm_while_seeding_keeps_the_whole_cases_made_and_says_how_many(
        runner, make_unit, monkeypatch):
    """SIGTERM (as a service manager stops a job) in the middle of a batch: the
    case being made is finished, the whole cases made so far are committed, the
    rest of the batch is not made, exit 143."""
    import os
    import signal

    make_unit("DEMOROOT")
    real = cases_cli._make_case
    made = []

    def make_then_stop(*args):
        real(*args)
        made.append(1)
        if len(made) == 7:  # inside the second batch of 5
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(cases_cli, "_make_case", make_then_stop)
    result = runner.invoke(cases_cli.demo_data, ["--cases", "40", "--batch", "5"])
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert ("interrupted: added 7 of 40 synthetic case(s), each one whole; run again with "
            "--cases 33 to add the rest") in result.stderr
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 7
    assert audit_count(action="case.create") == 7
    from caseapp.auditlog import verification

    report = verification.verify_log()
    assert report.ok, (report.first_bad_seq, report.problem)


def test_demo_data_needs_a_unit(runner):
    result = runner.invoke(cases_cli.demo_data, ["--cases", "1", "--unit", "NOPE"])
    assert result.exit_code == 1 and "error:" in result.output


def test_register_adds_the_commands():
    app = Flask("probe")
    cases_cli.register(app)
    assert {"retention", "demo-data", "cases"} <= set(app.cli.commands)


def test_reband_puts_old_bands_into_the_bands_split_at_16(runner, people, make_case):
    """Cases recorded before the split (bands 11-14, 15-17) are re-banded from the
    child's age on the report's day; a shredded case keeps its old band."""
    from datetime import date

    from sqlalchemy import update

    from caseapp import clock
    from caseapp.cases.retention import shred

    fifteen = make_case("intake", child={"date_of_birth": date(2011, 1, 1)})
    sixteen = make_case("intake", child={"date_of_birth": None, "estimated_age": 16})
    twelve = make_case("intake", child={"date_of_birth": None, "estimated_age": 12})
    gone = make_case("closure", child={"date_of_birth": None, "estimated_age": 16})
    shred(gone, clock.now(), reason="retention")
    old = {fifteen.id: "15-17", sixteen.id: "15-17", twelve.id: "11-14", gone.id: "15-17"}
    for case_id, band in old.items():  # as the database held them before the split
        db.session.execute(update(Case).where(Case.id == case_id).values(age_band=band))
    db.session.commit()
    db.session.expire_all()
    assert not db.session.get(Case, sixteen.id).is_minor

    result = runner.invoke(cases_cli.reband, [])
    assert result.exit_code == 0, result.output
    assert "re-banded 3 case(s)" in result.output and "1 shredded case(s)" in result.output
    assert "re-banding cases: 3/3 (100%)" in result.stderr
    db.session.expire_all()
    bands = {case_id: db.session.get(Case, case_id).age_band for case_id in old}
    assert bands == {fifteen.id: "11-15", sixteen.id: "16-17", twelve.id: "11-15",
                     gone.id: "15-17"}
    assert db.session.get(Case, sixteen.id).is_minor
    assert audit_count(action="case.rebanded") == 3
    # Nothing left to do the second time.
    again = runner.invoke(cases_cli.reband, [])
    assert "re-banded 0 case(s)" in again.output and audit_count(action="case.rebanded") == 3


def test_the_reband_grant_opens_the_age_and_nothing_else(people, make_case):
    import pytest

    from caseapp.crypto import AccessNotGranted, unlock
    from caseapp.permissions import cases as rules

    case = make_case("intake")
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    from caseapp.crypto import key_scope

    with key_scope():
        unlock(case, grant=rules.grant_reband([case.id]))
        assert case.child_date_of_birth is not None
        for name in ("child_full_name", "child_phone", "narrative", "guardian_contact"):
            with pytest.raises(AccessNotGranted):
                getattr(case, name)


def test_progress_counts_in_tenths_into_a_file_and_in_place_on_a_terminal():
    import io

    from caseapp.cli.common import Progress

    log = io.StringIO()
    now = [0.0]
    shown = Progress("cases", 1000, stream=log, clock=lambda: now[0])
    for done in range(1, 1001):
        now[0] += 0.01  # a hundred cases a second
        shown.update(done)
    shown.finish()
    lines = log.getvalue().splitlines()
    assert lines[0] == "cases: 1/1000 (0%), 100/s, time left 10s"
    assert lines[-1] == "cases: 1000/1000 (100%), 100/s, took 10s"
    assert len(lines) == 11  # one line per tenth: a cron log stays short

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    live = Progress("entries", None, stream=screen)
    live.update(5)
    live.finish()
    assert screen.getvalue().startswith("\rentries: 5, ") and screen.getvalue().endswith("\n")
