"""The handled and on-time rules on hand-built cases at their boundaries: the
minute before and after a deadline, a weekend, a public holiday (1 January
2027), cases closed as unfounded or declined, the first minute of a period.
Each expected number is worked out here by hand; the SQL behind the page, the
Python definition behind --verify and the page itself must all give it."""
from __future__ import annotations

from datetime import datetime

from caseapp import clock
from caseapp.cases import service
from caseapp.cases.data import AssignmentData
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.facts import parse, snapshot
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reports import figures, numbers
from caseapp.reports.period import parse as parse_period
from tests.cases.conftest import assessment_data, closure_data, intake_data, needs_data

from .test_figures_page import cell
from .test_figures_page import figures as figures_page


def local(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def go(moment: datetime) -> None:
    clock.travel(moment - clock.now())


def both(unit, period_code: str) -> tuple:
    period = parse_period(period_code)
    as_of = clock.now()
    sql = figures.compute(figures.Scope(unit=unit), period, as_of)
    facts = [parse(c.reference, c.unit.path, snapshot(c)) for c in db.session.query(Case)]
    return sql, numbers.compute(facts, period.start, period.end, as_of, figures.utc_offset())


def intake(people, received: datetime) -> Case:
    case = service.record_intake(people.counselor, intake_data(received_at=received))
    service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    return case


def assess(people, case) -> None:
    service.transition(people.officer, case, "assessment", assessment_data())


def test_deadlines_at_the_minute_over_a_weekend_and_a_holiday(people, login):
    go(local(2026, 12, 31, 10, 0))  # a Thursday; 1 January 2027 is a holiday
    received = local(2026, 12, 31, 9, 0)
    holiday_met, needs_late, assess_met, assess_late = (intake(people, received)
                                                         for _ in range(4))
    unfounded, declined = intake(people, received), intake(people, received)
    for case in (holiday_met, needs_late, unfounded, declined):
        assess(people, case)
    service.request_closure(people.officer, unfounded, closure_data(reason="unfounded"))
    service.approve_closure(people.supervisor, unfounded)
    service.request_closure(people.officer, declined, closure_data(reason="declined"))
    service.approve_closure(people.supervisor, declined)
    db.session.commit()

    # The initial assessment: 72 hours from the report, weekends included.
    assert assess_met.assessment_due_at == local(2027, 1, 3, 9, 0)
    go(local(2027, 1, 3, 8, 59))
    assess(people, assess_met)
    go(local(2027, 1, 3, 9, 1))
    assess(people, assess_late)
    db.session.commit()

    # The needs assessment: 5 working days from 31 December, skipping the holiday
    # and the weekend: due at the end of Friday 8 January (not Tuesday the 5th).
    assert holiday_met.needs_assessment_due_at == local(2027, 1, 9, 0, 0)
    go(local(2027, 1, 8, 23, 59))
    service.record_needs_assessment(people.officer, holiday_met, needs_data())
    go(local(2027, 1, 9, 0, 1))
    service.record_needs_assessment(people.officer, needs_late, needs_data())
    db.session.commit()

    # A weekend alone: assessed Monday 11 January, needs due at the end of Monday
    # the 18th; done on Sunday the 17th is on time (counting days, it would not be).
    go(local(2027, 1, 11, 10, 0))
    weekend = intake(people, local(2027, 1, 11, 9, 0))
    assess(people, weekend)
    db.session.commit()
    assert weekend.needs_assessment_due_at == local(2027, 1, 19, 0, 0)
    go(local(2027, 1, 17, 10, 0))
    service.record_needs_assessment(people.officer, weekend, needs_data())
    db.session.commit()
    go(local(2027, 1, 20, 12, 0))  # the weekend case's needs deadline has fallen

    sql, python = both(people.province, "2026-12..2027-01")
    assert sql == python
    expected = {
        "requests.total": 7, "unfounded.total": 1,
        "handled.total": 0,  # nobody got a support action yet
        "not_handled.total": 6,  # the declined case among them: closing never raises the share
        "on_time.assessment.due": 7, "on_time.assessment.met": 6,  # one a minute late
        # needs: the two held at the minute, the two never done (assessed 3 January,
        # due 8 January), the weekend one; the closed ones closed before it fell due.
        "on_time.needs.due": 5, "on_time.needs.met": 2,
        # every deadline met: the weekend case and the declined one (closed in time).
        "all_met.cases": 6, "all_met.met": 2,
        "closures.unfounded": 1, "closures.declined": 1,
    }
    assert {key: sql.get(key, 0) for key in expected} == expected

    status, html = figures_page(login(people.province_supervisor), period="2026-12..2027-01")
    assert status == 200
    assert [cell(html, "total", i) for i in range(4)] == ["7", "1", "0", "6"]


def test_a_period_starts_at_the_first_local_minute(people):
    go(local(2026, 12, 2, 12, 0))
    before = intake(people, local(2026, 11, 30, 23, 59))
    first = intake(people, local(2026, 12, 1, 0, 0))
    db.session.commit()
    sql, python = both(people.province, "2026-12..2026-12")
    assert sql == python
    assert sql["requests.total"] == 1
    november, _ = both(people.province, "2026-11..2026-11")
    assert november["requests.total"] == 1
    listed = figures.compute(figures.Scope(unit=people.province), parse_period("2026-12"),
                             clock.now())
    assert listed["requests.total"] == 1 and first.received_at == local(2026, 12, 1, 0, 0)
    assert before.received_at == local(2026, 11, 30, 23, 59)


def test_a_communes_supervisor_never_counts_another_communes_cases(people, make_unit,
                                                                    make_user, make_case):
    other_commune = make_unit("XA2", parent=people.district)
    make_case("intake", unit=other_commune, recorder=people.officer2)
    make_case("intake")
    db.session.commit()
    period = str(clock.now().year)
    mine, _ = both(people.commune, period)
    theirs, _ = both(other_commune, period)
    district, _ = both(people.district, period)
    assert (mine["requests.total"], theirs["requests.total"], district["requests.total"]) == (
        1, 1, 2)
