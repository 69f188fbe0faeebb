"""Factories for case tests: a small unit tree, its people, and cases at any stage.

Every case is made through the services (as a user would), so factories
exercise the same guards and audit entries the tests check.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

import audit
from caseapp import clock
from caseapp.accounts.models import User
from caseapp.cases import service
from caseapp.cases.data import (
    AssessmentData,
    AssignmentData,
    ChildData,
    ClosureData,
    ConsentData,
    IntakeData,
    NeedsAssessmentData,
    OffenderAccountData,
    PlanData,
    PlanItem,
    ReferralData,
    ReporterData,
    SupportData,
)
from caseapp.cases.deadlines import VIETNAM
from caseapp.extensions import db
from tests.conftest import PASSWORD

# Synthetic, made up for the tests: never a real person.
CHILD_NAME = "Phạm Thị Quỳnh Như"
CHILD_PHONE = "0912 345 678"
GUARDIAN_NAME = "Phạm Văn Khiêm"
GUARDIAN_CONTACT = "0987 654 321"
REPORTER_NAME = "Lê Thị Hường"
REPORTER_PHONE = "0369 112 233"
ADDRESS = "Thôn Đông Sơn, xã Hiệp Hoà"
SCHOOL = "Trường THCS Lý Tự Trọng"
NARRATIVE = "Em bị một tài khoản lạ nhắn tin đe doạ phát tán ảnh riêng tư"
HANDLE = "https://www.facebook.com/ke.la.mat.danh.9999/"
NOTE_TEXT = "Đã gọi điện cho phụ huynh lúc tối muộn"
ASSESSMENT_NOTE = "Nguy cơ cao vì đối tượng biết địa chỉ nhà"
PLAN_GOALS = "Bảo đảm an toàn cho em Như và ổn định tâm lý"
SECRETS = [CHILD_NAME, "Quỳnh Như", CHILD_PHONE, "0912345678", "912345678", GUARDIAN_NAME,
           GUARDIAN_CONTACT, "0987654321", REPORTER_NAME, REPORTER_PHONE, "0369112233", ADDRESS,
           SCHOOL, NARRATIVE, "phát tán ảnh", "ke.la.mat.danh", NOTE_TEXT, ASSESSMENT_NOTE,
           "2012-03-04"]


@dataclass
class People:
    province: object
    district: object
    commune: object
    other_district: object
    counselor: object
    officer: object
    officer2: object
    supervisor: object
    province_supervisor: object
    other_supervisor: object
    other_officer: object
    admin: object

    def all(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in (
            "counselor", "officer", "officer2", "supervisor", "province_supervisor",
            "other_supervisor", "other_officer", "admin")}


@pytest.fixture(scope="session")
def password_hash(app):
    """One real argon2id hash for every test user (hashing per user is the slow part)."""
    from caseapp.accounts import passwords

    with app.app_context():
        return passwords.hasher().hash(PASSWORD)


@pytest.fixture
def people(make_unit, password_hash) -> People:
    province = make_unit("TINH")
    district = make_unit("HUYEN", parent=province)
    commune = make_unit("XA", parent=district)
    other = make_unit("HUYEN2", parent=province)

    def user(role, unit, name):
        made = User(username=name, role=role, unit_id=unit.id, unit=unit,
                    password_hash=password_hash, display_name=name, is_enabled=True)
        db.session.add(made)
        db.session.flush()
        return made

    made_people = People(
        province=province, district=district, commune=commune, other_district=other,
        counselor=user("counselor", commune, "tvv.lan"),
        officer=user("officer", commune, "cb.minh"),
        officer2=user("officer", district, "cb.hoa"),
        supervisor=user("supervisor", district, "gs.tuan"),
        province_supervisor=user("supervisor", province, "gs.tinh"),
        other_supervisor=user("supervisor", other, "gs.khac"),
        other_officer=user("officer", other, "cb.khac"),
        admin=user("admin", province, "qtv.admin"),
    )
    db.session.commit()
    return made_people


def intake_data(unit_code: str = "XA", **overrides) -> IntakeData:
    child = ChildData(full_name=CHILD_NAME, date_of_birth=date(2012, 3, 4), gender="female",
                      address=ADDRESS, school=SCHOOL, school_class="8A", phone=CHILD_PHONE,
                      guardian_name=GUARDIAN_NAME, guardian_contact=GUARDIAN_CONTACT)
    base = IntakeData(
        unit=unit_code, received_at=clock.now().replace(second=0, microsecond=0),
        channel="hotline_111", requested_by="child", help_requested=True,
        harm_categories=("sextortion", "cyberbullying"), platforms=("facebook",),
        offender_accounts=(OffenderAccountData(HANDLE, "facebook"),),
        child=child, reporter=ReporterData(REPORTER_NAME, "mẹ", REPORTER_PHONE),
        consent=ConsentData(child="given", guardian="given"), narrative=NARRATIVE,
        immediate_danger=False)
    child_overrides = overrides.pop("child", None)
    if child_overrides:
        base = replace(base, child=replace(child, **child_overrides))
    return replace(base, **overrides)


def assessment_data(**overrides) -> AssessmentData:
    return replace(AssessmentData(risk_level="high", notes=ASSESSMENT_NOTE, harm="high",
                                  access="medium", obstacles="low"), **overrides)


def needs_data(**overrides) -> NeedsAssessmentData:
    """Mẫu 03 with its meeting (the plan needs it)."""
    return replace(NeedsAssessmentData(
        notes="Cần hỗ trợ tâm lý", condition="Em lo lắng, mất ngủ",
        family="Mẹ quan tâm, có khả năng bảo vệ em", service_needs="Tư vấn tâm lý",
        meeting_date=clock.now().astimezone(VIETNAM).date(), meeting_chair="Chủ tịch UBND xã",
        meeting_participants="Cán bộ phụ trách, mẹ của em"), **overrides)


def plan_data(**overrides) -> PlanData:
    return replace(PlanData(goals=PLAN_GOALS, items=(
        PlanItem("Tư vấn tâm lý hằng tuần", "Cán bộ phụ trách", provider="Trung tâm CTXH",
                 cost=500_000),)), **overrides)


def support_data() -> SupportData:
    return SupportData(note="Bắt đầu hỗ trợ theo kế hoạch")


def plan_approved(lead, supervisor, case) -> None:
    """The procedure's steps before support: Mẫu 03 with its meeting, Mẫu 04, sign-off."""
    service.record_needs_assessment(lead, case, needs_data())
    service.draft_plan(lead, case, plan_data())
    service.approve_plan(supervisor, case, case.latest_plan.id)


def referral_data(**overrides) -> ReferralData:
    return replace(ReferralData(agency="cybercrime_police", reason="Cần gỡ tài khoản giả mạo",
                                sharing_basis="consent", what_was_sent="Biên bản tiếp nhận"),
                   **overrides)


def closure_data(**overrides) -> ClosureData:
    return replace(ClosureData(reason="resolved", outcome_summary="Em đã an toàn, đi học lại",
                               review_harm="low", review_access="low",
                               review_obstacles="medium", review_self_protection="high",
                               review_recovery="medium"), **overrides)


def consent_to_share(actor, case, agency: str):
    """The child's and guardian's consent to share ``case`` with ``agency``."""
    from caseapp.consent.service import SharingConsentData, record_sharing_consent

    return record_sharing_consent(actor, case, SharingConsentData(
        agency=agency, basis="consent", child=True, guardian=True))


STAGE_PATH = ("intake", "assessment", "support", "referral", "closure")


@pytest.fixture
def make_case(people):
    """``make_case(stage="support", lead=..., recorder=..., unit=...)``: a case at
    ``stage``, through every step of the procedure (``planned``: an assessment case
    whose plan a supervisor approved, ready for support)."""

    def make(stage: str = "intake", *, recorder=None, lead=None, supervisor=None,
             assignees=(), unit=None, via: str = "support", assigned: bool = False,
             planned: bool = False, **intake_overrides):
        recorder = recorder or people.counselor
        supervisor = supervisor or people.supervisor
        lead = lead or people.officer
        unit_code = (unit or people.commune).code
        case = service.record_intake(recorder, intake_data(unit_code, **intake_overrides))
        if stage == "intake" and not assignees and not assigned:
            db.session.commit()
            return case
        service.assign(supervisor, case, AssignmentData(lead.id, tuple(a.id for a in assignees)))
        if stage == "intake":
            db.session.commit()
            return case
        service.transition(lead, case, "assessment", assessment_data())
        to_support = stage in ("support", "referral") or (
            stage == "closure" and via != "assessment")
        if to_support or planned:
            plan_approved(lead, supervisor, case)
        if to_support:
            service.transition(lead, case, "support", support_data())
        if stage == "referral" or (stage == "closure" and via == "referral"):
            consent_to_share(lead, case, referral_data().agency)
            service.transition(lead, case, "referral", referral_data())
        if stage == "closure":
            service.request_closure(lead, case, closure_data(
                reason="unfounded" if via == "assessment" else "resolved"))
            service.approve_closure(supervisor, case)
        db.session.commit()
        assert case.stage == stage
        return case

    return make


def audit_count(**where) -> int:
    query = select(func.count()).select_from(audit.audit_entries)
    for name, value in where.items():
        query = query.where(audit.audit_entries.c[name] == value)
    return db.session.scalar(query)


def audit_rows(**where) -> list:
    query = select(audit.audit_entries).order_by(audit.audit_entries.c.seq)
    for name, value in where.items():
        query = query.where(audit.audit_entries.c[name] == value)
    return list(db.session.execute(query))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
