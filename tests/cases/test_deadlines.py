"""Deadlines: hours, working days (weekends, Tết, National Day), stored and queryable."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.cases import deadlines, queries, service
from caseapp.cases.data import DecisionData, PlanData, PlanItem, SupportActionData
from caseapp.cases.models import Case
from caseapp.extensions import db

from .conftest import assessment_data, at, needs_data, support_data


def set_now(moment):
    clock.reset()
    clock.travel(moment - clock.now())


# All times below are UTC; Vietnam is UTC+7, so 02:00 UTC is 09:00 local.

@pytest.mark.parametrize("start,days,due", [
    # Friday 6 March 2026 -> five working days: Mon 9 .. Fri 13 (the weekend skipped)
    (at(2026, 3, 6, 2), 5, at(2026, 3, 13, 17)),
    # Friday 13 Feb 2026, before Tết (16-20 Feb) and two weekends: Mon 23 .. Fri 27
    (at(2026, 2, 13, 2), 5, at(2026, 2, 27, 17)),
    (at(2026, 2, 13, 2), 7, at(2026, 3, 3, 17)),
    # Friday 28 Aug 2026: 31 Aug (substituted day off), 1-2 Sep National Day: Thu 3 .. Wed 9
    (at(2026, 8, 28, 2), 5, at(2026, 9, 9, 17)),
    # Saturday 22 Aug 2026 is a working day (made up for 31 Aug)
    (at(2026, 8, 21, 2), 1, at(2026, 8, 22, 17)),
    # 20:00 UTC on Thursday is already Friday in Vietnam: counting starts from Friday
    (at(2026, 3, 5, 20), 5, at(2026, 3, 13, 17)),
    # Zero days: the end of the same local day
    (at(2026, 3, 6, 2), 0, at(2026, 3, 6, 17)),
])
def test_working_days(app, start, days, due):
    with app.app_context():
        assert deadlines.add_working_days(start, days) == due


def test_working_day_calendar(app):
    from datetime import date

    with app.app_context():
        assert not deadlines.is_working_day(date(2026, 2, 17))  # Tết
        assert not deadlines.is_working_day(date(2026, 9, 2))  # National Day
        assert not deadlines.is_working_day(date(2026, 3, 7))  # Saturday
        assert deadlines.is_working_day(date(2026, 3, 9))


def test_extra_holidays_and_working_days_come_from_config(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEADLINE_EXTRA_HOLIDAYS", ("2026-03-09",))
    monkeypatch.setitem(app.config, "DEADLINE_EXTRA_WORKING_DAYS", ("2026-03-07",))
    with app.app_context():
        # Sat 7 counts, Mon 9 does not: 7, 10, 11, 12, 13
        assert deadlines.add_working_days(at(2026, 3, 6, 2), 5) == at(2026, 3, 13, 17)
        assert deadlines.add_working_days(at(2026, 3, 6, 2), 2) == at(2026, 3, 10, 17)


def test_naive_start_is_refused(app):
    from datetime import datetime

    with app.app_context(), pytest.raises(ValueError):
        deadlines.add_working_days(datetime(2026, 3, 6, 9), 5)


def test_invalid_deadline_settings_are_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEADLINE_EMERGENCY_HOURS", -1)
    with app.app_context(), pytest.raises(ValueError, match="DEADLINE_EMERGENCY_HOURS"):
        deadlines.emergency_hours()


def test_intake_deadlines_count_from_the_report(make_case, app):
    received = at(2026, 2, 12, 1, 30)
    set_now(received + timedelta(hours=1))
    case = make_case("intake", received_at=received, immediate_danger=True)
    assert case.received_at == received
    assert case.emergency_due_at == received + timedelta(hours=12)
    assert case.assessment_due_at == received + timedelta(
        hours=app.config["DEADLINE_ASSESSMENT_HOURS"])
    assert case.next_deadline_at == case.emergency_due_at
    assert case.plan_draft_due_at is None


def test_received_at_is_kept_to_the_minute_and_naive_is_local(make_case):
    from datetime import datetime

    set_now(at(2026, 3, 6, 5))
    case = make_case("intake", received_at=datetime(2026, 3, 6, 9, 15, 42))
    assert case.received_at == at(2026, 3, 6, 2, 15)


def test_plan_deadlines_start_with_the_needs_assessment_and_skip_tet(make_case, people):
    set_now(at(2026, 2, 12, 2))
    case = make_case("intake", assigned=True, received_at=at(2026, 2, 12, 1))
    set_now(at(2026, 2, 13, 2))  # Friday before Tết
    service.transition(people.officer, case, "assessment", assessment_data())
    assert case.assessed_at is not None
    # Ours: the needs assessment within 5 working days; the plan's clock has not started.
    assert case.needs_assessment_due_at == at(2026, 2, 27, 17)
    assert case.plan_draft_due_at is None and case.plan_approval_due_at is None
    assert case.next_deadline_at == case.needs_assessment_due_at
    service.record_needs_assessment(people.officer, case, needs_data())
    # Art. 28(1): drafted within 5 working days of the needs assessment; approved
    # within the decree's 7 (5 + the chairman's 2). Tết is skipped.
    assert case.needs_assessed_at is not None
    assert case.plan_draft_due_at == at(2026, 2, 27, 17)
    assert case.plan_approval_due_at == at(2026, 3, 3, 17)
    assert case.next_deadline_at == case.plan_draft_due_at


def test_deadline_lengths_come_from_config(make_case, people, monkeypatch, app):
    monkeypatch.setitem(app.config, "DEADLINE_PLAN_DRAFT_WORKING_DAYS", 2)
    monkeypatch.setitem(app.config, "DEADLINE_NEEDS_WORKING_DAYS", 1)
    monkeypatch.setitem(app.config, "DEADLINE_EMERGENCY_HOURS", 6)
    set_now(at(2026, 3, 6, 2))
    case = make_case("intake", assigned=True, immediate_danger=True,
                     received_at=at(2026, 3, 6, 1))
    assert case.emergency_due_at == at(2026, 3, 6, 7)
    service.transition(people.officer, case, "assessment", assessment_data())
    assert case.needs_assessment_due_at == at(2026, 3, 9, 17)
    service.record_needs_assessment(people.officer, case, needs_data())
    assert case.plan_draft_due_at == at(2026, 3, 10, 17)


def test_overdue_until_the_step_is_done(make_case, people):
    set_now(at(2026, 3, 2, 2))
    case = make_case("intake", assigned=True, immediate_danger=True,
                     received_at=at(2026, 3, 2, 1))
    supervisor = people.supervisor

    def overdue_refs(now):
        return {c.reference for c in db.session.scalars(queries.overdue_cases(supervisor, now))}

    assert overdue_refs(clock.now()) == set()
    set_now(at(2026, 3, 2, 14))  # 13 hours after the report
    assert overdue_refs(clock.now()) == {case.reference}
    assert case.is_overdue()
    assert [s for s, _ in deadlines.overdue(case, clock.now())] == ["emergency"]
    service.record_support_action(people.officer, case, SupportActionData(
        "separation", "Đưa em đến nhà bà ngoại, tách khỏi người gây hại",
        performed_at=at(2026, 3, 2, 13)))
    assert case.emergency_done_at == at(2026, 3, 2, 13)
    assert overdue_refs(clock.now()) == set()
    assert case.next_deadline_at == case.assessment_due_at

    set_now(at(2026, 3, 6, 2))  # the assessment is late now
    assert overdue_refs(clock.now()) == {case.reference}
    service.transition(people.officer, case, "assessment", assessment_data())
    assert overdue_refs(clock.now()) == set()
    service.record_needs_assessment(people.officer, case, needs_data())
    # Plan drafted within 5 working days of the needs assessment (Fri 13 March)...
    set_now(at(2026, 3, 13, 18))
    assert overdue_refs(clock.now()) == {case.reference}
    service.draft_plan(people.officer, case, PlanData(
        "Giữ an toàn cho em", (PlanItem("Gặp em hằng tuần", "cán bộ"),),
        follow_up_at=at(2026, 3, 20, 2)))
    # ...approval still pending (due Tue 17 March, the 7th working day)...
    assert case.next_deadline_at == case.plan_approval_due_at == at(2026, 3, 17, 17)
    assert overdue_refs(clock.now()) == set()
    service.approve_plan(supervisor, case, case.latest_plan.id)
    # ...then the commune's decision, 2 working days after the sign-off (Art. 28(4)).
    assert case.decision_due_at == at(2026, 3, 17, 17) == case.next_deadline_at
    set_now(at(2026, 3, 18, 2))
    assert overdue_refs(clock.now()) == {case.reference}
    assert case.decision_missing
    service.record_decision(people.officer, case, DecisionData(
        "07/QĐ-UBND", date(2026, 3, 17), "Nguyễn Văn Chủ tịch"))
    assert not case.decision_missing
    assert case.next_deadline_at == at(2026, 3, 20, 2)  # the follow-up
    service.transition(people.officer, case, "support", support_data())
    set_now(at(2026, 3, 21, 2))
    assert overdue_refs(clock.now()) == {case.reference}
    service.record_support_action(people.officer, case, SupportActionData(
        "counselling", "Buổi tư vấn thứ nhất", next_follow_up_at=at(2026, 3, 28, 2)))
    assert overdue_refs(clock.now()) == set()


def test_a_minor_has_no_commune_decision_to_wait_for(make_case, people):
    set_now(at(2026, 3, 2, 2))
    case = make_case("assessment", planned=True, received_at=at(2026, 3, 2, 1),
                     child={"date_of_birth": date(2009, 1, 1)})
    assert case.is_minor
    assert case.decision_due_at is None and not case.decision_missing
    assert "decision" not in {step for step, _ in deadlines.pending(case)}


def test_a_revised_plan_needs_approval_again(make_case, people):
    set_now(at(2026, 3, 2, 2))
    case = make_case("support", received_at=at(2026, 3, 2, 1))
    plan = PlanData("Mục tiêu", (PlanItem("Việc cần làm"),))
    assert case.plan_approved_at is not None
    set_now(at(2026, 3, 9, 2))
    service.draft_plan(people.officer, case, plan)
    assert case.latest_plan.version == 2 and case.plan_approved_at is None
    assert case.plan_approval_due_at == at(2026, 3, 11, 17)  # the 2-day approval window
    assert case.next_deadline_at == case.plan_approval_due_at
    assert case.stage == "support" and not case.plan_missing  # version 1 stays approved


def test_closed_cases_have_no_deadline(make_case):
    set_now(at(2026, 3, 2, 2))
    case = make_case("closure", received_at=at(2026, 3, 2, 1))
    assert case.next_deadline_at is None and not case.is_overdue(at(2027, 1, 1))
    assert db.session.scalar(select(Case).where(Case.overdue_clause(at(2027, 1, 1)))) is None


def test_my_cases_lists_overdue_first_then_nearest(make_case, people):
    set_now(at(2026, 3, 2, 2))
    calm = make_case("intake", assigned=True, received_at=at(2026, 3, 2, 1))
    danger = make_case("intake", assigned=True, immediate_danger=True,
                       received_at=at(2026, 3, 1, 12))
    older = make_case("intake", assigned=True, received_at=at(2026, 2, 27, 1))
    set_now(at(2026, 3, 2, 2))
    order = [c.reference for c in db.session.scalars(queries.my_cases(people.officer))]
    # danger (emergency due 3/2 00:00) and older (assessment due 3/2 01:00) are overdue
    assert order == [danger.reference, older.reference, calm.reference]


def test_on_time_share_is_sql_expressible(make_case, people):
    set_now(at(2026, 3, 2, 2))
    prompt = make_case("intake", assigned=True, received_at=at(2026, 3, 2, 1))
    service.transition(people.officer, prompt, "assessment", assessment_data())
    late = make_case("intake", assigned=True, received_at=at(2026, 3, 2, 1))
    waiting = make_case("intake", assigned=True, received_at=at(2026, 3, 2, 1))
    set_now(at(2026, 3, 6, 2))  # the 72-hour assessment deadline has passed
    service.transition(people.officer, late, "assessment", assessment_data())
    now = clock.now()
    on_time = set(db.session.scalars(select(Case.reference).where(queries.on_time_clause(now))))
    assert prompt.reference in on_time
    assert late.reference not in on_time and waiting.reference not in on_time
    assert late.is_late(now) and waiting.is_late(now) and not prompt.is_late(now)
    # a late step stays late after the case is closed; a pending one no longer counts
    assert db.session.scalar(select(Case.reference).where(
        Case.late_clause(at(2026, 3, 3, 2)), Case.reference == prompt.reference)) is None
