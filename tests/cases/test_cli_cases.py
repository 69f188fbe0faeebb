"""``caseapp demo-data``: synthetic cases through the services, the same for the same seed."""
from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import select

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


def test_demo_data_needs_a_unit(runner):
    result = runner.invoke(cases_cli.demo_data, ["--cases", "1", "--unit", "NOPE"])
    assert result.exit_code == 1 and "error:" in result.output


def test_register_adds_the_commands():
    app = Flask("probe")
    cases_cli.register(app)
    assert {"retention", "demo-data"} <= set(app.cli.commands)
