"""The Decree 56 procedure's guards (Art. 25-30): plan before support, emergency
measures before any plan, the review before closure, approvals by the case's
supervisors who read what they approve (and nothing else of the child's), the
commune's decision, and minors."""
from __future__ import annotations

import json
from datetime import date

import pytest

from caseapp import clock
from caseapp.cases import service
from caseapp.cases.data import (
    ClosureData,
    DecisionData,
    PlanData,
    PlanItem,
    SendBackData,
    SupportActionData,
)
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.crypto import AccessNotGranted, key_scope
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied

from .conftest import (
    CHILD_NAME,
    PLAN_GOALS,
    audit_count,
    audit_rows,
    closure_data,
    needs_data,
    plan_data,
    support_data,
)


def today():
    return clock.now().astimezone(VIETNAM).date()


# --- plan before support ---------------------------------------------------------------------

def test_support_without_an_approved_plan_is_refused(make_case, people):
    case = make_case("assessment")
    moves = audit_count(action="case.transition")
    for before_support in (lambda: None,
                           lambda: service.record_needs_assessment(people.officer, case,
                                                                   needs_data()),
                           lambda: service.draft_plan(people.officer, case, plan_data())):
        before_support()
        with pytest.raises(CaseError) as error:
            service.transition(people.officer, case, "support", support_data())
        assert error.value.field == "plan" and case.stage == "assessment"
    # Sent back is not approved either.
    service.return_plan(people.supervisor, case, case.latest_plan.id,
                        SendBackData("Thêm người phụ trách"))
    with pytest.raises(CaseError):
        service.transition(people.officer, case, "support", support_data())
    assert audit_count(action="case.transition") == moves and case.support_started_at is None
    service.draft_plan(people.officer, case, plan_data())
    service.approve_plan(people.supervisor, case, case.latest_plan.id)
    service.transition(people.officer, case, "support", support_data())
    assert case.stage == "support"


@pytest.mark.parametrize("kind", ["emergency", "separation", "safe_place"])
def test_emergency_measures_are_allowed_before_any_plan(make_case, people, kind):
    case = make_case("intake", assigned=True, immediate_danger=True)
    service.record_support_action(people.officer, case, SupportActionData(
        kind, "Đưa em đến nơi an toàn"))
    assert case.emergency_done_at is not None and case.support_actions[-1].kind == kind
    service.transition(people.officer, case, "assessment",
                       service.workflow.TRANSITIONS[("intake", "assessment")].data_type(
                           risk_level="high", notes="x", harm="high", access="high",
                           obstacles="high"))
    service.record_support_action(people.officer, case, SupportActionData(kind, "Lần hai"))
    assert len(case.support_actions) == 2


@pytest.mark.parametrize("kind", ["counselling", "medical", "online_safety"])
def test_other_support_waits_for_the_plan(make_case, people, kind):
    case = make_case("assessment")
    with pytest.raises(CaseError) as error:
        service.record_support_action(people.officer, case, SupportActionData(kind, "Tư vấn"))
    assert error.value.field == "kind" and case.support_actions == []


def test_the_plan_is_drafted_after_the_risk_and_needs_assessments(make_case, people):
    case = make_case("assessment")
    with pytest.raises(CaseError) as error:
        service.draft_plan(people.officer, case, plan_data())
    assert error.value.field == "plan"
    # A needs assessment without its meeting is not enough for a child under 16.
    service.record_needs_assessment(people.officer, case, needs_data(
        meeting_date=None, meeting_chair="", meeting_participants=""))
    with pytest.raises(CaseError) as error:
        service.draft_plan(people.officer, case, plan_data())
    assert "cuộc họp" in str(error.value.message)  # the needs meeting
    assert case.plans == []
    service.record_needs_assessment(people.officer, case, needs_data())
    service.draft_plan(people.officer, case, plan_data())
    assert case.latest_plan.version == 1 and case.latest_plan.is_waiting


@pytest.mark.parametrize("overrides,field", [
    ({"condition": " "}, "condition"),
    ({"family": ""}, "family"),
    ({"service_needs": ""}, "service_needs"),
    ({"notes": ""}, "notes"),
    ({"meeting_participants": ""}, "meeting_participants"),
    ({"meeting_date": None}, "meeting_date"),
    ({"meeting_date": date(2999, 1, 1)}, "meeting_date"),
])
def test_the_needs_assessment_takes_its_points(make_case, people, overrides, field):
    case = make_case("assessment")
    with pytest.raises(CaseError) as error:
        service.record_needs_assessment(people.officer, case, needs_data(**overrides))
    assert error.value.field == field and case.needs_assessed_at is None


@pytest.mark.parametrize("item,field", [
    (PlanItem("Việc", start=date(2031, 2, 1), due=date(2031, 1, 1)), "items.0.due"),
    (PlanItem("Việc", cost=-5), "items.0.cost"),
    (PlanItem("Việc", cost=10**13), "items.0.cost"),
    (PlanItem(" "), "items.0.action"),
])
def test_bad_plan_items_are_refused(make_case, people, item, field):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    with pytest.raises(CaseError) as error:
        service.draft_plan(people.officer, case, PlanData(PLAN_GOALS, (item,)))
    assert error.value.field == field and case.plans == []


# --- approvals: the case's supervisors, reading what they approve ------------------------------

def planned(make_case, people):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    return case


@pytest.mark.parametrize("who,error", [
    ("other_supervisor", CaseNotFound), ("other_officer", CaseNotFound),
    ("admin", CaseNotFound), ("officer", PermissionDenied), ("officer2", CaseNotFound),
    ("counselor", CaseNotFound),
])
def test_only_the_cases_supervisors_approve_or_send_back(make_case, people, who, error):
    case = planned(make_case, people)
    actor = getattr(people, who)
    plan_id = case.latest_plan.id
    for attempt in (lambda: service.approve_plan(actor, case, plan_id),
                    lambda: service.return_plan(actor, case, plan_id, SendBackData("Sửa")),
                    lambda: service.open_for_approval(actor, case)):
        before = audit_count(action="case.denied")
        with pytest.raises(error):
            attempt()
        assert audit_count(action="case.denied") == before + 1
        assert audit_rows(action="case.denied")[-1].actor_id == actor.id
    assert case.latest_plan.is_waiting and case.plan_approved_at is None


def test_a_supervisor_above_the_unit_may_approve(make_case, people):
    case = planned(make_case, people)
    service.approve_plan(people.province_supervisor, case, case.latest_plan.id)
    assert case.latest_plan.approved_by_id == people.province_supervisor.id


def test_the_approving_supervisor_reads_the_plan_not_the_child(make_case, people):
    case = planned(make_case, people)
    db.session.expire_all()
    with key_scope():
        views = audit_count(action="case.view")
        service.open_for_approval(people.supervisor, case)
        (entry,) = audit_rows(action="case.view")[views:]
        assert entry.actor_id == people.supervisor.id
        assert json.loads(entry.details)["via"] == "approval"
        assert case.latest_plan.goals == PLAN_GOALS
        assert case.assessments[-1].details["service_needs"] == "Tư vấn tâm lý"
        for name in ("child_full_name", "child_phone", "child_address", "guardian_contact",
                     "reporter_phone", "narrative", "child_date_of_birth"):
            with pytest.raises(AccessNotGranted):
                getattr(case, name)
        with pytest.raises(AccessNotGranted):
            case.offender_accounts[0].handle  # noqa: B018
    # Once decided, there is nothing to read for approval.
    service.approve_plan(people.supervisor, case, case.latest_plan.id)
    with key_scope(), pytest.raises(PermissionDenied):
        service.open_for_approval(people.supervisor, case)


def test_a_plan_sent_back_needs_a_reason_and_a_new_version(make_case, people):
    case = planned(make_case, people)
    plan_id = case.latest_plan.id
    with pytest.raises(CaseError) as error:
        service.return_plan(people.supervisor, case, plan_id, SendBackData(" "))
    assert error.value.field == "reason" and case.latest_plan.is_waiting
    service.return_plan(people.supervisor, case, plan_id, SendBackData("Thêm dự toán"))
    with pytest.raises(PermissionDenied):  # nothing waits for a decision any more
        service.approve_plan(people.supervisor, case, plan_id)
    assert case.latest_plan.return_reason == "Thêm dự toán"
    service.draft_plan(people.officer, case, plan_data())
    with pytest.raises(CaseError):  # not the newest
        service.approve_plan(people.supervisor, case, plan_id)
    service.approve_plan(people.supervisor, case, case.latest_plan.id)
    assert case.latest_plan.version == 2 and case.plan_approved_at is not None


# --- the commune's decision (Mẫu 05) ---------------------------------------------------------

def test_the_decision_is_recorded_once_and_may_come_after_closure(make_case, people):
    case = make_case("closure")
    assert case.decision_missing is False  # closed: nothing more to chase
    assert case.approved_plan.decision_recorded_at is None
    service.record_decision(people.officer, case, DecisionData(
        "40/QĐ-UBND", today(), "Chủ tịch UBND xã"))
    assert case.approved_plan.decision_number == "40/QĐ-UBND"
    with pytest.raises(PermissionDenied):  # once
        service.record_decision(people.officer, case, DecisionData(
            "41/QĐ-UBND", today(), "Chủ tịch UBND xã"))


@pytest.mark.parametrize("data,field", [
    (DecisionData("", date(2026, 1, 1), "A"), "number"),
    (DecisionData("1/QĐ", None, "A"), "decided_on"),
    (DecisionData("1/QĐ", date(2999, 1, 1), "A"), "decided_on"),
    (DecisionData("1/QĐ", date(2000, 1, 1), "A"), "decided_on"),
    (DecisionData("1/QĐ", date(2026, 1, 1), " "), "signatory"),
])
def test_bad_decisions_are_refused(make_case, people, data, field):
    case = make_case("support")
    if field != "decided_on" and data.decided_on is not None:
        data = DecisionData(data.number, today(), data.signatory)
    with pytest.raises(CaseError) as error:
        service.record_decision(people.officer, case, data)
    assert error.value.field == field and case.decision_missing


def test_a_minor_follows_the_stages_without_the_communes_decision(make_case, people):
    case = make_case("support", child={"date_of_birth": date(2009, 6, 1)})
    assert case.is_minor and case.age_band == "16-17"
    assert not case.decision_missing and case.decision_due_at is None
    with pytest.raises(PermissionDenied):
        service.record_decision(people.officer, case, DecisionData(
            "1/QĐ-UBND", today(), "Chủ tịch"))


def test_a_minor_needs_no_needs_meeting_for_the_plan(make_case, people):
    case = make_case("assessment", child={"date_of_birth": date(2009, 6, 1)})
    service.record_needs_assessment(people.officer, case, needs_data(
        meeting_date=None, meeting_chair="", meeting_participants=""))
    service.draft_plan(people.officer, case, plan_data())
    assert case.latest_plan is not None


# --- closure -----------------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["review_harm", "review_access", "review_obstacles",
                                     "review_self_protection", "review_recovery"])
def test_closure_after_support_needs_the_whole_review(make_case, people, missing):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        service.request_closure(people.officer, case, closure_data(**{missing: ""}))
    assert error.value.field == missing and not case.closure_pending


@pytest.mark.parametrize("reason", ["resolved", "referred_completed", "other"])
def test_closure_from_assessment_only_for_reports_that_need_no_plan(make_case, people, reason):
    case = make_case("assessment")
    with pytest.raises(CaseError) as error:
        service.request_closure(people.officer, case, ClosureData(reason, "Kết quả"))
    assert error.value.field == "reason" and not case.closure_pending


@pytest.mark.parametrize("reason", ["unfounded", "declined", "no_contact"])
def test_an_unfounded_declined_or_unreachable_report_closes_with_a_supervisor(
        make_case, people, reason):
    case = make_case("assessment")
    service.request_closure(people.officer, case, ClosureData(reason, "Đã xác minh"))
    with pytest.raises(PermissionDenied):
        service.approve_closure(people.officer, case)
    service.approve_closure(people.supervisor, case)
    assert case.stage == "closure" and case.review_harm_level is None


def test_the_supervisor_reads_the_review_and_sends_it_back_with_a_reason(make_case, people):
    case = make_case("support")
    service.request_closure(people.officer, case, closure_data(outcome_summary="Em ổn định"))
    db.session.commit()
    db.session.expire_all()
    with key_scope():
        service.open_for_approval(people.supervisor, case)
        assert case.outcome_summary == "Em ổn định"
        with pytest.raises(AccessNotGranted):
            case.child_full_name  # noqa: B018
    service.reject_closure(people.supervisor, case, SendBackData("Bổ sung mục 1b"))
    assert not case.closure_pending
    with key_scope():
        service.open_child_data(people.officer, case)
        assert case.closure_return_reason == "Bổ sung mục 1b"
        assert case.child_full_name == CHILD_NAME


# --- what a restriction and a database writer cannot open -----------------------------------

def test_a_restricted_case_gives_no_approval_reading(make_case, people):
    """A granted "restrict" request leaves the child's data to a supervisor's own
    break-glass: no reading for approval, and no deciding blind."""
    case = planned(make_case, people)
    case.restricted_at = clock.now()
    db.session.commit()
    with key_scope(), pytest.raises(PermissionDenied):
        service.open_for_approval(people.supervisor, case)
    with pytest.raises(PermissionDenied):
        service.approve_plan(people.supervisor, case, case.latest_plan.id)
    with pytest.raises(PermissionDenied):
        service.return_plan(people.supervisor, case, case.latest_plan.id, SendBackData("Sửa"))
    assert case.latest_plan.is_waiting


def _forge(statement, **values):
    from sqlalchemy import text

    db.session.execute(text(statement), values)
    db.session.commit()
    db.session.expire_all()


def test_a_database_writer_cannot_open_an_approval_reading(make_case, people):
    from caseapp.cases.models import Case

    case = make_case("support")  # its plan was approved, nothing waits
    # Clear the plan's approval by hand: "waiting" again, says the row...
    _forge("UPDATE case_plans SET approved_at = NULL, approved_by_id = NULL "
           "WHERE case_id = :id", id=case.id)
    case = db.session.get(Case, case.id)
    assert case.latest_plan.is_waiting
    # ...but the log says it was approved: no reading, no approving.
    with key_scope(), pytest.raises(PermissionDenied):
        service.open_for_approval(people.supervisor, case)
    with pytest.raises(PermissionDenied):
        service.approve_plan(people.supervisor, case, case.latest_plan.id)


def test_a_forged_closure_request_opens_nothing(make_case, people):
    from caseapp.cases.models import Case

    case = make_case("support")
    service.request_closure(people.officer, case, closure_data(outcome_summary="Em ổn"))
    service.reject_closure(people.supervisor, case, SendBackData("Chưa đủ"))
    db.session.commit()
    _forge("UPDATE cases SET closure_requested_at = closure_returned_at, "
           "closure_reason_code = 'resolved' WHERE id = :id", id=case.id)
    case = db.session.get(Case, case.id)
    assert case.closure_pending
    with key_scope(), pytest.raises(PermissionDenied):
        service.open_for_approval(people.supervisor, case)
    with pytest.raises(PermissionDenied):
        service.approve_closure(people.supervisor, case)
    assert case.stage == "support"


def test_a_forged_plan_approval_does_not_open_support(make_case, people):
    from caseapp.cases.models import Case

    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    _forge("UPDATE case_plans SET approved_at = drafted_at, approved_by_id = :sup "
           "WHERE case_id = :id", id=case.id, sup=people.supervisor.id)
    _forge("UPDATE cases SET plan_approved_at = updated_at WHERE id = :id", id=case.id)
    case = db.session.get(Case, case.id)
    with pytest.raises(CaseError) as error:
        service.transition(people.officer, case, "support", support_data())
    assert error.value.field == "plan" and case.stage == "assessment"


# --- input at the edges ----------------------------------------------------------------------

def test_far_future_dates_are_refused_not_stored(make_case, people):
    from datetime import UTC, datetime

    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    with pytest.raises(CaseError) as error:
        service.draft_plan(people.officer, case, plan_data(
            follow_up_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC)))
    assert error.value.field == "follow_up_at" and case.plans == []
    with pytest.raises(CaseError) as error:
        service.draft_plan(people.officer, case, PlanData(PLAN_GOALS, (
            PlanItem("Việc", due=date(9000, 1, 1)),)))
    assert error.value.field == "items.0.due"
    with pytest.raises(CaseError) as error:
        service.record_needs_assessment(people.officer, case, needs_data(
            meeting_date=date(1, 1, 1)))
    assert error.value.field == "meeting_date"


def test_text_that_reorders_itself_is_refused(people):
    from caseapp.cases.data import PersonData
    from tests.cases.conftest import intake_data

    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(people=(
            PersonData("father", "Nguyễn\u202eVăn A"),)))
    assert error.value.field == "people.0.full_name"


def test_a_person_needs_a_name(people):
    from caseapp.cases.data import PersonData
    from tests.cases.conftest import intake_data

    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(people=(
            PersonData("mother", "", 38, "Buôn bán"),)))
    assert error.value.field == "people.0.full_name"


def test_an_emergency_measure_before_the_danger_was_assessed_counts(make_case, people):
    case = make_case("intake", assigned=True)  # no danger at intake
    service.record_support_action(people.officer, case, SupportActionData(
        "separation", "Đưa em về nhà bà ngoại"))
    done = case.emergency_done_at
    service.transition(people.officer, case, "assessment", service.workflow.TRANSITIONS[
        ("intake", "assessment")].data_type(risk_level="high", notes="x", harm="high",
                                             access="high", obstacles="low",
                                             immediate_danger=True))
    assert case.emergency_due_at is not None and case.emergency_done_at == done
    assert "emergency" not in {step for step, _ in service.deadlines.pending(case)}
