"""The dashboard's SQL and the Python definition agree on every key."""
from __future__ import annotations

from caseapp import clock
from caseapp.cases.facts import parse, snapshot
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reports import figures, numbers
from caseapp.reports.period import parse as parse_period


def facts_of_all():
    return [parse(c.reference, c.unit.path, snapshot(c)) for c in db.session.query(Case)]


def test_sql_and_python_agree(people, make_case):
    for stage in ("intake", "assessment", "support", "referral", "closure"):
        make_case(stage)
    make_case("closure", via="assessment")
    make_case("intake", help_requested=False)
    period = parse_period(str(clock.now().year))
    as_of = clock.now()
    sql = figures.compute(figures.Scope(unit=people.province), period, as_of)
    py = numbers.compute(facts_of_all(), period.start, period.end, as_of, figures.utc_offset())
    assert sql == py
    assert sql["requests.total"] == 6 and sql["no_help.total"] == 1
    assert sql["unfounded.total"] == 1
