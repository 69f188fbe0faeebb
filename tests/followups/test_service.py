"""Follow-ups and goals through the service: what is written, sealed and audited;
what is refused (wrong case's rows, bad dates, wrong people) leaves nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from caseapp import clock
from caseapp.cases import deadlines
from caseapp.cases.errors import CaseError, CaseErrors
from caseapp.extensions import db
from caseapp.followups import service
from caseapp.followups.models import FollowUp, GoalProgress, PlanGoal
from caseapp.permissions import PermissionDenied
from tests.cases.conftest import audit_rows

GOAL = "Em Lan đi học đều trở lại trường Kim Đồng"
OUTCOME = "Gặp mẹ em Lan tại nhà, em đã ngủ ngon hơn"


def plan(case, people, day=3, kind="home_visit", who=None):
    return service.schedule(people.officer, case, service.FollowUpData(
        due_on=clock.local_today() + timedelta(days=day), kind=kind,
        assignee_id=(who or people.officer).id))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_follow_up_planned_is_the_cases_next_and_audited(people, make_case):
    case = make_case("support")
    row = plan(case, people)
    db.session.commit()
    assert case.next_follow_up_at == service.due_time(row.due_on)
    assert ("follow_up", case.next_follow_up_at) in deadlines.pending(case)
    (entry,) = audit_rows(action="case.follow_up_scheduled")
    assert entry.object_id == case.reference and row.id in entry.details
    assert "home_visit" in entry.details


def test_done_then_nothing_due_and_the_outcome_sealed(people, make_case):
    case = make_case("support")
    row = plan(case, people)
    service.settle(people.officer, case, service.SettleData(row.id, "done", OUTCOME))
    db.session.commit()
    assert row.state == "done" and row.outcome == OUTCOME and case.next_follow_up_at is None
    (entry,) = audit_rows(action="case.follow_up_done")
    assert OUTCOME not in entry.details and "Lan" not in entry.details
    raw = db.session.execute(text("SELECT outcome FROM case_follow_ups")).scalar()
    assert OUTCOME.encode() not in bytes(raw)


def test_missed_stays_due_until_a_new_follow_up_is_planned(people, make_case, travel):
    case = make_case("support")
    row = plan(case, people, day=1)
    travel(days=3)
    service.settle(people.officer, case, service.SettleData(row.id, "missed",
                                                           "Gia đình đi vắng"))
    db.session.commit()
    assert case.next_follow_up_at == service.due_time(row.due_on)
    assert case.is_overdue(service.clock.now())
    again = plan(case, people, day=2)
    db.session.commit()
    assert case.next_follow_up_at == service.due_time(again.due_on)
    assert service.counts(case).overdue == 0


def test_goals_need_a_plan_and_keep_the_plans_text(people, make_case):
    early = make_case("intake", assigned=True)
    with pytest.raises(CaseError):
        service.add_goal(people.officer, early, GOAL)
    case = make_case("support")
    before = case.latest_plan.goals
    goal = service.add_goal(people.officer, case, GOAL)
    service.record_progress(people.officer, case, service.ProgressData(
        goal.id, "in_progress", "Em đi học 3 buổi một tuần"))
    db.session.commit()
    assert case.latest_plan.goals == before
    assert goal.status == "in_progress" and goal.text == GOAL
    assert [p.status for p in goal.progress] == ["in_progress"]
    assert {e.action for e in audit_rows(object_id=case.reference)} >= {
        "case.plan_goal", "case.goal_progress"}
    for entry in audit_rows(object_id=case.reference):
        assert "Lan" not in entry.details and "3 buổi" not in entry.details


def test_another_cases_rows_are_unknown_and_nothing_changes(people, make_case):
    case = make_case("support")
    other = make_case("support")
    row = plan(other, people)
    goal = service.add_goal(people.officer, other, GOAL)
    db.session.commit()
    with pytest.raises(CaseError):
        service.settle(people.officer, case, service.SettleData(row.id, "done", OUTCOME))
    with pytest.raises(CaseError):
        service.record_progress(people.officer, case, service.ProgressData(
            goal.id, "reached", "x"))
    db.session.rollback()
    assert row.state == "scheduled" and goal.status == "not_started"
    assert count(GoalProgress) == 0


@pytest.mark.parametrize("days", [-9000, 400])
def test_a_day_out_of_range_is_refused(people, make_case, days):
    case = make_case("support")
    with pytest.raises((CaseError, CaseErrors)) as error:
        plan(case, people, day=days)
    assert "due_on" in str([getattr(e, "field", None) for e in
                            getattr(error.value, "errors", [error.value])])
    assert count(FollowUp) == 0


def test_who_goes_must_be_of_the_cases_unit(people, make_case):
    case = make_case("support")
    with pytest.raises((CaseError, CaseErrors)):
        plan(case, people, who=people.other_officer)
    assert count(FollowUp) == 0


def test_a_supervisor_may_not_record_and_is_audited(people, make_case):
    case = make_case("support")
    with pytest.raises(PermissionDenied):
        service.schedule(people.supervisor, case, service.FollowUpData(
            clock.local_today(), "call", people.officer.id))
    assert audit_rows(action="case.denied", object_id=case.reference)
    assert count(FollowUp) == 0 and count(PlanGoal) == 0


def test_a_support_action_without_a_date_does_not_hide_a_missed_follow_up(people, make_case):
    from caseapp.cases import service as cases
    from caseapp.cases.data import SupportActionData

    case = make_case("support")
    row = plan(case, people, day=1)
    service.settle(people.officer, case, service.SettleData(row.id, "missed", "Đi vắng"))
    due = case.next_follow_up_at
    cases.record_support_action(people.officer, case, SupportActionData(
        kind="counselling", description="Tư vấn qua điện thoại"))
    db.session.commit()
    assert case.next_follow_up_at == due and due is not None


def test_a_case_holds_a_bounded_number_of_follow_ups(people, make_case, monkeypatch):
    """The page and the API read a case's follow-ups whole: past the bound a new
    one is refused with a message, and nothing is written (hostile review)."""
    monkeypatch.setattr(service, "MAX_FOLLOW_UPS", 2)
    case = make_case("support")
    plan(case, people, day=3)
    plan(case, people, day=4)
    db.session.commit()
    with pytest.raises((CaseError, CaseErrors)):
        plan(case, people, day=5)
    db.session.rollback()
    assert count(FollowUp) == 2
