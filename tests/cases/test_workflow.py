"""The state machine: its table, every guard, every piece of required data."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import caseapp
from caseapp.cases import service, workflow
from caseapp.cases.data import (
    AssessmentData,
    AssignmentData,
    ClosureApproval,
    ReopenData,
    ReturnData,
    SendBackData,
    SupportData,
)
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules

from .conftest import (
    assessment_data,
    audit_count,
    audit_rows,
    closure_data,
    consent_to_share,
    referral_data,
    support_data,
)

DESIGN_EDGES = {
    ("intake", "assessment"), ("assessment", "support"), ("support", "referral"),
    ("referral", "closure"), ("referral", "support"), ("assessment", "closure"),
    ("support", "closure"), ("closure", "assessment"),
}


def test_the_table_is_the_design_diagram():
    assert set(workflow.TRANSITIONS) == DESIGN_EDGES
    reopen = workflow.TRANSITIONS[("closure", "assessment")]
    assert reopen.guard is rules.can_reopen
    assert all(t.guard is rules.can_decide_closure
               for (s, target), t in workflow.TRANSITIONS.items() if target == "closure")


def test_nothing_else_assigns_the_stage():
    """Only workflow.py writes ``.stage =`` in the application."""
    root = Path(caseapp.__file__).resolve().parent
    pattern = re.compile(r"\.stage\s*=(?!=)")
    offenders = [f"{p.relative_to(root)}:{n}"
                 for p in root.rglob("*.py") if p.name != "workflow.py"
                 for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_full_lifecycle_with_return_and_reopen(make_case, people):
    case = make_case("referral")
    officer, supervisor = people.officer, people.supervisor
    service.transition(officer, case, "support", ReturnData("Cơ quan trả lại hồ sơ"))
    assert case.stage == "support"
    service.request_closure(officer, case, closure_data())
    assert case.closure_pending and case.stage == "support"
    service.approve_closure(supervisor, case)
    assert case.stage == "closure" and case.closed_at
    assert case.closure_approved_by_id == supervisor.id
    service.reopen(supervisor, case, ReopenData("new_incident"))
    assert case.stage == "assessment" and case.closed_at is None
    assert case.closure_reason_code is None and not case.closure_pending
    stages = [(t.from_stage, t.to_stage) for t in case.transitions]
    assert stages == [("intake", "assessment"), ("assessment", "support"),
                      ("support", "referral"), ("referral", "support"),
                      ("support", "closure"), ("closure", "assessment")]


def test_unfounded_report_closes_from_assessment(make_case, people):
    case = make_case("closure", via="assessment")
    assert case.closure_reason_code == "unfounded" and case.support_started_at is None
    assert case.is_handled  # assigned, assessed, closed with an approved reason


@pytest.mark.parametrize("source,target", [
    ("intake", "support"), ("intake", "referral"), ("intake", "closure"),
    ("assessment", "referral"), ("support", "assessment"),
    ("referral", "assessment"), ("support", "intake"),
])
def test_transitions_outside_the_table_are_refused(make_case, people, source, target):
    case = make_case(source, assigned=True)
    actor = people.supervisor if source == "closure" else people.officer
    with pytest.raises(CaseError) as error:
        service.transition(actor, case, target, None)
    assert error.value.field == "stage"
    assert case.stage == source


@pytest.mark.parametrize("target", ["support", "referral", "intake", "closure"])
def test_a_closed_case_moves_only_to_reopening(make_case, people, target):
    """Out of closure there is one way, reopening (to assessment); anything else
    is refused as case work on a closed case (audited as a denial)."""
    from caseapp.permissions import PermissionDenied
    from tests.cases.conftest import audit_count

    case = make_case("closure", assigned=True)
    before = audit_count(action="case.denied", object_id=case.reference)
    with pytest.raises(PermissionDenied):
        service.transition(people.supervisor, case, target, None)
    assert case.stage == "closure"
    assert audit_count(action="case.denied", object_id=case.reference) == before + 1


def test_unknown_stage_is_refused(make_case, people):
    case = make_case("assessment")
    with pytest.raises(CaseError):
        service.transition(people.officer, case, "archived", None)


# --- guards ------------------------------------------------------------------------------------

def test_assessment_needs_an_assigned_lead_officer(make_case, people):
    case = make_case("intake")
    before = audit_count(action="case.transition")
    # Nobody is the lead officer yet: every officer is refused (the counselor too).
    for actor in (people.officer, people.counselor):
        with pytest.raises((PermissionDenied, CaseNotFound)):
            service.transition(actor, case, "assessment", assessment_data())
    assert case.stage == "intake" and audit_count(action="case.transition") == before
    assert audit_count(action="case.denied", object_id=case.reference) == 2


@pytest.mark.parametrize("who", ["counselor", "officer2", "supervisor", "province_supervisor",
                                 "other_supervisor", "other_officer", "admin"])
def test_only_the_lead_officer_assesses(make_case, people, who):
    case = make_case("intake", assigned=True)
    actor = getattr(people, who)
    with pytest.raises((PermissionDenied, CaseNotFound)) as refused:
        service.transition(actor, case, "assessment", assessment_data())
    # Someone who cannot see the case gets "not found"; someone who can, "not allowed".
    expected = PermissionDenied if rules.can_view_case(actor, case) else CaseNotFound
    assert isinstance(refused.value, expected)
    assert case.stage == "intake"
    row = audit_rows(action="case.denied", object_id=case.reference)[-1]
    assert row.outcome == "denied" and row.actor_id == actor.id


def test_other_assignee_cannot_move_the_case(make_case, people):
    case = make_case("assessment", assignees=[people.officer2], planned=True)
    with pytest.raises(PermissionDenied):
        service.transition(people.officer2, case, "support", support_data())
    assert case.stage == "assessment"


def test_disabled_lead_officer_is_refused(make_case, people):
    case = make_case("assessment", planned=True)
    people.officer.is_enabled = False
    with pytest.raises(CaseNotFound):
        service.transition(people.officer, case, "support", support_data())


def test_officer_cannot_close_without_supervisor(make_case, people):
    case = make_case("support")
    service.request_closure(people.officer, case, closure_data())
    with pytest.raises(PermissionDenied):
        service.approve_closure(people.officer, case)
    assert case.stage == "support"


@pytest.mark.parametrize("who,error", [("other_supervisor", CaseNotFound),
                                       ("counselor", CaseNotFound),
                                       ("officer2", CaseNotFound),
                                       ("admin", CaseNotFound)])
def test_closure_is_approved_by_a_supervisor_of_the_unit_only(make_case, people, who, error):
    case = make_case("support")
    service.request_closure(people.officer, case, closure_data())
    with pytest.raises(error):
        service.approve_closure(getattr(people, who), case)
    assert case.stage == "support"
    # A supervisor higher up the tree may approve.
    service.approve_closure(people.province_supervisor, case)
    assert case.stage == "closure"


def test_closure_without_a_request_is_refused(make_case, people):
    case = make_case("support")
    with pytest.raises(PermissionDenied):
        service.transition(people.supervisor, case, "closure", ClosureApproval())
    assert case.stage == "support"


def test_supervisor_rejects_a_closure_request(make_case, people):
    case = make_case("support")
    service.request_closure(people.officer, case, closure_data())
    with pytest.raises(CaseError) as error:  # a reason the officer can act on
        service.reject_closure(people.supervisor, case, SendBackData("  "))
    assert error.value.field == "reason" and case.closure_pending
    service.reject_closure(people.supervisor, case, SendBackData("Bổ sung kết quả rà soát"))
    assert not case.closure_pending and case.closure_reason_code is None
    assert case.closure_return_reason == "Bổ sung kết quả rà soát"
    assert case.closure_returned_by_id == people.supervisor.id
    with pytest.raises(PermissionDenied):
        service.approve_closure(people.supervisor, case)


@pytest.mark.parametrize("who", ["officer", "counselor", "other_supervisor", "admin"])
def test_reopen_is_for_supervisors_of_the_unit_only(make_case, people, who):
    case = make_case("closure")
    with pytest.raises((PermissionDenied, CaseNotFound)):
        service.reopen(getattr(people, who), case, ReopenData("new_information"))
    assert case.stage == "closure"


def test_request_closure_is_the_lead_officers(make_case, people):
    case = make_case("support", assignees=[people.officer2])
    with pytest.raises(PermissionDenied):
        service.request_closure(people.officer2, case, closure_data())
    with pytest.raises(PermissionDenied):
        service.request_closure(people.supervisor, case, closure_data())
    intake = make_case("intake", assigned=True)
    with pytest.raises(PermissionDenied):
        service.request_closure(people.officer, intake, closure_data())


# --- required data -------------------------------------------------------------------------

@pytest.mark.parametrize("data,field", [
    (AssessmentData(risk_level="", notes="x"), "risk_level"),
    (AssessmentData(risk_level="extreme", notes="x"), "risk_level"),
    (AssessmentData(risk_level="high", notes="   "), "notes"),
    (AssessmentData(risk_level="high", notes="x", access="low", obstacles="low"), "harm"),
    (AssessmentData(risk_level="high", notes="x", harm="low", access="no", obstacles="low"),
     "access"),
    (AssessmentData(risk_level="high", notes="x", harm="low", access="low"), "obstacles"),
    (SupportData(), "data"),
])
def test_assessment_requires_the_criteria_risk_level_and_note(make_case, people, data, field):
    if data.__class__ is AssessmentData and field in ("risk_level", "notes"):
        data = AssessmentData(**{**data.__dict__, "harm": "high", "access": "low",
                                 "obstacles": "low"})
    case = make_case("intake", assigned=True)
    with pytest.raises(CaseError) as error:
        service.transition(people.officer, case, "assessment", data)
    assert error.value.field == field and case.stage == "intake"


def test_assessment_records_form_02_and_flags_danger(make_case, people):
    case = make_case("intake", assigned=True)
    service.transition(people.officer, case, "assessment",
                       assessment_data(risk_level="medium", immediate_danger=True))
    assert case.risk_level == "medium" and case.immediate_danger
    assert case.emergency_due_at is not None and case.assessed_at is not None
    (initial,) = case.assessments
    assert initial.kind == "initial" and initial.risk_level == "medium"


@pytest.mark.parametrize("overrides,field", [
    ({"agency": ""}, "agency"),
    ({"agency": "fbi"}, "agency"),
    ({"reason": ""}, "reason"),
    ({"sharing_basis": ""}, "sharing_basis"),
    ({"sharing_basis": "because"}, "sharing_basis"),
])
def test_referral_requires_agency_reason_and_basis(make_case, people, overrides, field):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        service.transition(people.officer, case, "referral", referral_data(**overrides))
    assert error.value.field == field and case.stage == "support" and case.referrals == []


def test_sharing_on_consent_needs_recorded_consent(make_case, people):
    from caseapp.cases.data import ConsentData

    case = make_case("support", consent=ConsentData(legal_ground="emergency"))
    with pytest.raises(CaseError) as error:
        service.transition(people.officer, case, "referral", referral_data())
    assert error.value.field == "sharing_basis"
    service.transition(people.officer, case, "referral",
                       referral_data(sharing_basis="emergency"))
    assert case.stage == "referral" and case.referrals[0].sharing_basis == "emergency"


def test_return_from_referral_needs_a_reason(make_case, people):
    case = make_case("referral")
    with pytest.raises(CaseError):
        service.transition(people.officer, case, "support", ReturnData("  "))
    assert case.stage == "referral"


@pytest.mark.parametrize("overrides,field", [
    ({"reason": ""}, "reason"), ({"reason": "bored"}, "reason"),
    ({"outcome_summary": ""}, "outcome_summary"),
    ({"review_harm": ""}, "review_harm"), ({"review_access": "huge"}, "review_access"),
    ({"review_obstacles": None}, "review_obstacles"),
    ({"review_self_protection": ""}, "review_self_protection"),
    ({"review_recovery": "great"}, "review_recovery"),
])
def test_closure_request_requires_reason_outcome_and_review(make_case, people, overrides, field):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        service.request_closure(people.officer, case, closure_data(**overrides))
    assert error.value.field == field and not case.closure_pending


def test_reopen_needs_a_reason(make_case, people):
    case = make_case("closure")
    with pytest.raises(CaseError):
        service.reopen(people.supervisor, case, ReopenData("whim"))
    assert case.stage == "closure"


def test_available_transitions_follow_the_guards(make_case, people):
    case = make_case("support")
    assert {t.target for t in workflow.available(people.officer, case)} == {"referral"}
    assert workflow.available(people.supervisor, case) == []
    service.request_closure(people.officer, case, closure_data())
    assert {t.target for t in workflow.available(people.supervisor, case)} == {"closure"}
    assert workflow.may_move(people.supervisor, case, "closure")
    assert not workflow.may_move(people.officer, case, "closure")
    assert not workflow.may_move(people.officer, case, "intake")


def test_reassignment_moves_the_case_to_the_new_lead(make_case, people, make_user):
    case = make_case("assessment", planned=True)
    service.assign(people.supervisor, case, AssignmentData(people.officer2.id))
    db.session.commit()
    with pytest.raises(CaseNotFound):
        service.transition(people.officer, case, "support", support_data())
    service.transition(people.officer2, case, "support", support_data())
    assert case.stage == "support"


LEAD_MOVES = [("assessment", "support", support_data), ("support", "referral", referral_data),
              ("referral", "support", lambda: ReturnData("Trả về"))]


@pytest.mark.parametrize("source,target,data", LEAD_MOVES)
@pytest.mark.parametrize("who", ["counselor", "officer2", "supervisor", "province_supervisor",
                                 "other_supervisor", "other_officer", "admin"])
def test_every_lead_move_is_refused_to_everyone_else(make_case, people, source, target, data,
                                                     who):
    # officer2 and the counselor are on the case, but not as lead officer
    case = make_case(source, assignees=[people.officer2, people.counselor],
                     planned=source == "assessment")
    if target == "referral":
        consent_to_share(people.officer, case, "cybercrime_police")
    actor = getattr(people, who)
    entries = audit_count(action="case.transition")
    with pytest.raises((PermissionDenied, CaseNotFound)):
        service.transition(actor, case, target, data())
    assert case.stage == source and audit_count(action="case.transition") == entries
    assert audit_rows(action="case.denied")[-1].actor_id == actor.id
    service.transition(people.officer, case, target, data())  # the lead officer may
    assert case.stage == target
