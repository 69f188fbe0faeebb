"""One audit entry per change, none with child data; a failed change leaves nothing behind;
the second of two saves gets a conflict and loses nothing."""
from __future__ import annotations

import json
import unicodedata
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text, update

import audit
from caseapp import clock
from caseapp.cases import queries, service, workflow
from caseapp.cases.data import (
    AssignmentData,
    DecisionData,
    NoteData,
    PersonData,
    PlanData,
    PlanItem,
    ReferralStatusData,
    ReopenData,
    ReturnData,
    SendBackData,
    SupportActionData,
    SupportData,
)
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.errors import CaseConflict, CaseNotFound
from caseapp.cases.models import Case, CaseNote
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied

from .conftest import (
    NOTE_TEXT,
    SECRETS,
    assessment_data,
    audit_count,
    audit_rows,
    closure_data,
    consent_to_share,
    intake_data,
    needs_data,
    plan_data,
    referral_data,
)


def run_lifecycle(people):
    """Every kind of change once (and some twice); yields (expected action, result)."""
    officer, supervisor = people.officer, people.supervisor
    state = {}

    def intake():
        state["case"] = service.record_intake(people.counselor, intake_data())
        return state["case"]

    def c():
        return state["case"]

    steps = [
        ("case.create", intake),
        ("case.note", lambda: service.add_note(people.counselor, c(), NoteData(NOTE_TEXT))),
        ("case.support_action", lambda: service.record_support_action(
            people.counselor, c(), SupportActionData("emergency", "Gọi công an xã"))),
        ("case.assign", lambda: service.assign(supervisor, c(), AssignmentData(
            officer.id, (people.officer2.id,)))),
        ("case.transition", lambda: service.transition(officer, c(), "assessment",
                                                       assessment_data())),
        ("case.needs_assessment", lambda: service.record_needs_assessment(
            officer, c(), needs_data())),
        ("case.person", lambda: service.add_person(officer, c(), PersonData(
            "mother", "Phạm Thị Mẹ", 38, "Buôn bán", "0911 000 111"))),
        ("case.plan", lambda: service.draft_plan(officer, c(), PlanData(
            "Giữ an toàn", (PlanItem("Tư vấn", "cán bộ", clock.now().date()),)))),
        ("case.view", lambda: service.open_for_approval(supervisor, c())),
        ("case.plan_returned", lambda: service.return_plan(
            supervisor, c(), c().latest_plan.id, SendBackData("Thêm chi phí dự kiến"))),
        ("case.plan", lambda: service.draft_plan(officer, c(), plan_data())),
        ("case.plan_approved", lambda: service.approve_plan(supervisor, c(),
                                                            c().latest_plan.id)),
        ("case.plan_decision", lambda: service.record_decision(officer, c(), DecisionData(
            "12/QĐ-UBND", clock.now().astimezone(VIETNAM).date(), "Chủ tịch UBND xã"))),
        ("case.transition", lambda: service.transition(officer, c(), "support", SupportData())),
        ("case.support_action", lambda: service.record_support_action(
            people.officer2, c(), SupportActionData(
                "counselling", "Buổi tư vấn", next_follow_up_at=clock.now() + timedelta(7)))),
        ("case.sharing_consent", lambda: consent_to_share(officer, c(), "cybercrime_police")),
        ("case.transition", lambda: service.transition(officer, c(), "referral",
                                                       referral_data())),
        ("case.sharing_consent", lambda: consent_to_share(officer, c(), "legal_aid")),
        ("case.referral", lambda: service.add_referral(officer, c(), referral_data(
            agency="legal_aid"))),
        ("case.referral_status", lambda: service.update_referral(
            people.officer2, c(), c().referrals[0].id, ReferralStatusData("accepted"))),
        ("case.referral_status", lambda: service.update_referral(
            officer, c(), c().referrals[0].id, ReferralStatusData("completed", outcome="Xong"))),
        ("case.transition", lambda: service.transition(officer, c(), "support",
                                                       ReturnData("Trả về"))),
        ("case.closure_requested", lambda: service.request_closure(officer, c(),
                                                                   closure_data())),
        ("case.closure_rejected", lambda: service.reject_closure(
            supervisor, c(), SendBackData("Bổ sung đánh giá 1b"))),
        ("case.closure_requested", lambda: service.request_closure(officer, c(),
                                                                   closure_data())),
        ("case.transition", lambda: service.approve_closure(supervisor, c())),
        ("case.transition", lambda: service.reopen(supervisor, c(),
                                                   ReopenData("new_information"))),
        ("case.note", lambda: service.add_note(officer, c(), NoteData("Ghi chú khi mở lại"))),
        ("case.view", lambda: service.open_child_data(people.officer2, c())),
    ]
    yield from steps


def test_exactly_one_entry_per_change(people):
    for action, step in run_lifecycle(people):
        before = db.session.scalar(select(audit.audit_entries.c.seq)
                                   .order_by(audit.audit_entries.c.seq.desc()).limit(1)) or 0
        step()
        # "row.sealed" entries anchor the row MACs of what changed (one per sealed row).
        rows = [r for r in audit_rows() if r.seq > before and r.action != "row.sealed"]
        assert [r.action for r in rows] == [action], action
        (row,) = rows
        assert row.outcome == "ok" and row.object_type == "case"
    case = db.session.scalar(select(Case))
    transitions = audit_rows(action="case.transition")
    moves = [json.loads(r.details) for r in transitions]
    assert [(m["from"], m["to"]) for m in moves] == [
        ("intake", "assessment"), ("assessment", "support"), ("support", "referral"),
        ("referral", "support"), ("support", "closure"), ("closure", "assessment")]
    # Each carries the case's facts as they stood after the move (the report's source).
    assert [m["facts"][7] for m in moves] == [m["to"] for m in moves]
    assert all(r.object_id == case.reference and r.unit_path == case.unit.path
               for r in transitions)
    assert len(case.transitions) == len(transitions)


def test_no_child_data_in_any_audit_column(people, make_case):
    for _action, step in run_lifecycle(people):
        step()
    # denials and 404s too, including a name typed where a reference goes
    for reference in (SECRETS[0], "HS-ABCDEFGH"):
        with pytest.raises(CaseNotFound):
            queries.load_case(people.other_supervisor, reference)
    case = db.session.scalar(select(Case))
    with pytest.raises(PermissionDenied):
        service.open_child_data(people.supervisor, case)  # sees the case, not the child
    assert audit_count(action="case.denied") >= 3
    rows = db.session.execute(select(audit.audit_entries)).all()
    assert len(rows) > 20
    blob = "\n".join(str(value) for row in rows for value in row if value is not None)
    folded = unicodedata.normalize("NFC", blob).casefold()
    for secret in SECRETS + ["+84912345678", "+84987654321"]:
        assert unicodedata.normalize("NFC", secret).casefold() not in folded, secret


def test_a_transition_that_fails_after_its_entry_leaves_nothing(make_case, people, monkeypatch):
    case = make_case("assessment", planned=True)
    version, entries = case.version_id, audit_count()
    moves = len(case.transitions)

    real_record = workflow.record

    def record_then_die(*args, **kwargs):
        real_record(*args, **kwargs)
        raise RuntimeError("the process died here")

    monkeypatch.setattr(workflow, "record", record_then_die)
    with pytest.raises(RuntimeError):
        service.transition(people.officer, case, "support", SupportData(
            note="Ghi chú không được lưu"))
    db.session.commit()  # the caller's commit must find nothing of it
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.stage == "assessment" and stored.version_id == version
    assert stored.support_started_at is None and len(stored.transitions) == moves
    assert stored.transitions[-1].to_stage == "assessment"
    assert audit_count() == entries


def test_an_intake_that_fails_leaves_no_case_key_or_entry(people, monkeypatch):
    from caseapp.cases import service as module

    real_record = module.record

    def record_then_die(*args, **kwargs):
        real_record(*args, **kwargs)
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "record", record_then_die)
    entries = audit_count()
    with pytest.raises(RuntimeError):
        service.record_intake(people.counselor, intake_data())
    db.session.commit()
    assert db.session.scalar(select(Case)) is None
    # (the case's data key was on its row: it went with it)
    assert audit_count() == entries
    assert db.session.execute(text("SELECT count(*) FROM case_offender_accounts")).scalar() == 0


def test_a_refusal_is_audited_even_though_the_change_is_not(make_case, people):
    case = make_case("assessment")
    with pytest.raises(CaseNotFound):  # not on the case: it does not exist for them
        service.transition(people.officer2, case, "support", SupportData())
    db.session.commit()
    assert audit_rows(action="case.denied")[-1].actor_id == people.officer2.id


# --- concurrency ---------------------------------------------------------------------------

def test_stale_form_gets_a_conflict_and_changes_nothing(make_case, people):
    case = make_case("intake", assigned=True)
    seen_by_both = case.version_id
    # The first save wins...
    service.assign(people.supervisor, case, AssignmentData(people.officer2.id),
                   expected_version=seen_by_both)
    entries = audit_count()
    # ...the second, made on the version both had loaded, is refused.
    with pytest.raises(CaseConflict) as conflict:
        service.transition(people.officer2, case, "assessment", assessment_data(),
                           expected_version=seen_by_both)
    with force_locale("en"):
        assert "Reload the case" in str(conflict.value.message)
    assert "tải lại" in str(conflict.value.message)  # Vietnamese by default
    assert case.stage == "intake" and case.lead_officer_id == people.officer2.id
    assert audit_count() == entries
    # Reloaded, it goes through.
    service.transition(people.officer2, case, "assessment", assessment_data(),
                       expected_version=case.version_id)
    assert case.stage == "assessment"


def test_a_concurrent_save_behind_our_back_is_a_conflict(make_case, people):
    case = make_case("assessment", planned=True)
    version, entries = case.version_id, audit_count()
    # Another process saved the case after we loaded it.
    db.session.execute(update(Case.__table__).where(Case.__table__.c.id == case.id)
                       .values(version_id=version + 1, risk_level="low"))
    with pytest.raises(CaseConflict):
        service.transition(people.officer, case, "support", SupportData(note="Bắt đầu"))
    assert audit_count() == entries
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    # The other save is kept whole; ours left nothing.
    assert stored.stage == "assessment" and stored.risk_level == "low"
    assert stored.version_id == version + 1
    assert stored.support_started_at is None


def test_every_change_bumps_the_version(make_case, people):
    case = make_case("support")
    versions = [case.version_id]
    service.draft_plan(people.officer, case, PlanData("Mục tiêu", (PlanItem("Việc"),)))
    versions.append(case.version_id)
    service.request_closure(people.officer, case, closure_data())
    versions.append(case.version_id)
    assert versions == sorted(set(versions))
    # a note does not touch the case row: two people adding notes never conflict
    service.add_note(people.officer, case, NoteData("Một"))
    assert case.version_id == versions[-1]
    assert db.session.query(CaseNote).count() == 1
