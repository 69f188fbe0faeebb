"""The whole case lifecycle through the screens, as the people doing it would."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.case_actions import form_page, section_page
from tests.cases.conftest import CHILD_NAME, audit_count

from .conftest import act, token


def intake_form(client, **overrides):
    # Typed as people in Vietnam write dates, whatever the browser's language.
    now = clock.now().astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    form = {
        "csrf_token": token(client, "/cases/new"), "unit": "XA", "received_at": now,
        "safe_tonight": "yes",
        "channel": "hotline_111", "requested_by": "relative", "help_requested": "yes",
        "child_group": "abused", "father_name": "Phạm Văn Khiêm", "father_age": "41",
        "father_occupation": "Công nhân",
        "reporter_name": "Lê Thị Hường", "reporter_relation": "mẹ",
        "reporter_phone": "0369 112 233", "child_name": CHILD_NAME,
        "child_dob": "04/03/2012", "child_gender": "female",
        "child_address": "Thôn Đông Sơn", "child_school": "THCS Lý Tự Trọng",
        "child_class": "8A", "guardian_name": "Phạm Văn Khiêm",
        "guardian_contact": "0987 654 321", "harm_categories": ["sextortion", "grooming"],
        "platforms": ["facebook", "zalo"],
        "offender_accounts": "https://facebook.com/ke.la\nzalo: 0900000000",
        "narrative": "Em bị đe doạ phát tán ảnh", "consent_child": "given",
        "consent_guardian": "given", "legal_ground": "",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def reference_of(response) -> str:
    return re.search(r"/cases/(HS-[A-Z0-9]{8})", response.headers["Location"]).group(1)


def test_lifecycle_through_the_screens(people, login):
    counselor = login(people.counselor)
    supervisor = login(people.supervisor)
    officer = login(people.officer)

    # Intake by the counselor
    response = counselor.post("/cases/new", data=intake_form(counselor))
    assert response.status_code == 302, response.get_data(as_text=True)
    reference = reference_of(response)
    page = counselor.get(f"/cases/{reference}").get_data(as_text=True)
    assert CHILD_NAME in page and "act-note" in page
    assert reference in counselor.get("/cases").get_data(as_text=True)

    # The supervisor sees it in the queue, metadata only, and assigns the officer
    queue = supervisor.get("/supervision").get_data(as_text=True)
    assert reference in queue
    page = supervisor.get(f"/cases/{reference}").get_data(as_text=True)
    assert CHILD_NAME not in page and 'id="metadata-only"' in page
    response = act(supervisor, reference, "assign", lead_officer=people.officer.id,
                   next="/supervision")
    assert response.status_code == 302 and response.headers["Location"].endswith("/supervision")
    queue = supervisor.get("/supervision").get_data(as_text=True)
    # out of the queue; the confirmation above it names the case and its officer
    assert reference not in queue[queue.index('id="unassigned"'):]
    assert f"Hồ sơ {reference} nay do" in queue

    # The counselor lost sight of it once it left intake? Not yet: still at intake.
    assert counselor.get(f"/cases/{reference}").status_code == 200

    # Officer: risk assessment (form 02), needs and its meeting (03), plan (04)
    assert CHILD_NAME in officer.get(f"/cases/{reference}").get_data(as_text=True)
    assert act(officer, reference, "assess", harm="high", access="medium", obstacles="low",
               risk_level="high", notes="Nguy cơ cao").status_code == 302
    assert counselor.get(f"/cases/{reference}").status_code == 404
    today = clock.now().astimezone(VIETNAM).strftime("%Y-%m-%d")  # the app's day, not the host's
    assert act(officer, reference, "needs", notes="Cần hỗ trợ tâm lý",
               condition="Em lo lắng", family="Mẹ quan tâm", service_needs="Tư vấn tâm lý",
               meeting_date=today, meeting_participants="Cán bộ, mẹ của em").status_code == 302
    # No support before an approved plan (an emergency measure would be allowed).
    refused = act(officer, reference, "support", note="Bắt đầu hỗ trợ")
    assert refused.status_code == 422
    response = act(officer, reference, "plan", **{
        "goals": "Em an toàn, tài khoản giả bị gỡ", "items-0-action": "Tư vấn tâm lý",
        "items-0-who": "cb.minh", "items-0-due": "2031-01-10", "items-0-cost": "1.500.000",
        "follow_up_at": ""})
    assert response.status_code == 302, response.get_data(as_text=True)

    # Supervisor reads what they approve (not the child's name), sends it back, approves
    page = supervisor.get(f"/cases/{reference}").get_data(as_text=True)
    assert 'id="approval"' in page and "Tư vấn tâm lý" in page and "1.500.000" in page
    assert CHILD_NAME not in page and "0987 654 321" not in page
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    db.session.refresh(case)
    plan_id = case.latest_plan.id
    assert act(supervisor, reference, "return_plan", plan_id,
               reason="Ghi rõ người phụ trách").status_code == 302
    page = officer.get(f"/cases/{reference}").get_data(as_text=True)
    assert "Ghi rõ người phụ trách" in page
    # The supervisor's reading shows on "who has seen this child", as what it was.
    viewed = section_page(officer, reference, "who-viewed").split('id="who-viewed"', 1)[1]
    viewed = viewed.split("</details>", 1)[0]
    assert "gs.tuan" in viewed and "đọc để phê duyệt" in viewed
    assert act(officer, reference, "plan", **{
        "goals": "Em an toàn, tài khoản giả bị gỡ", "items-0-action": "Tư vấn tâm lý",
        "items-0-who": "cb.minh (cán bộ phụ trách)", "follow_up_at": ""}).status_code == 302
    db.session.refresh(case)
    assert act(supervisor, reference, "approve_plan", case.latest_plan.id).status_code == 302
    assert act(officer, reference, "decision", number="15/QĐ-UBND", decided_on=today,
               signatory="Nguyễn Văn A").status_code == 302
    assert act(officer, reference, "support", note="Bắt đầu hỗ trợ").status_code == 302

    # Officer: a support action, referral, returned, closure request
    assert act(officer, reference, "support_action", kind="counselling",
               description="Gặp em tại trường").status_code == 302
    # Without the consent for this agency the referral on consent is refused, nothing sent.
    refused = act(officer, reference, "refer", agency="cybercrime_police",
                  reason="Gỡ tài khoản giả", sharing_basis="consent", what_was_sent="Biên bản")
    assert refused.status_code == 422
    assert "Chưa có sự đồng ý chia sẻ hồ sơ này với cơ quan này" in refused.get_data(as_text=True)
    # The consent form: the case page's "consent to share" line leads to it.
    assert 'data-action="sharing_consent"' in section_page(officer, reference, "consent")
    response = officer.post(f"/cases/{reference}/sharing-consents", data={
        "csrf_token": token(officer, f"/cases/{reference}"), "consent-agency": "cybercrime_police",
        "consent-basis": "consent", "consent-child": "y", "consent-guardian": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert act(officer, reference, "refer", agency="cybercrime_police",
               reason="Gỡ tài khoản giả", sharing_basis="consent",
               what_was_sent="Biên bản").status_code == 302
    db.session.refresh(case)
    referral_id = case.referrals[0].id
    assert act(officer, reference, "referral_status", referral_id, status="completed",
               outcome="Đã gỡ").status_code == 302
    assert act(officer, reference, "return", reason="Cơ quan đã xử lý xong").status_code == 302
    assert act(officer, reference, "note", text="Gia đình yên tâm").status_code == 302
    assert act(officer, reference, "request_closure", reason="resolved",
               outcome_summary="Em đã an toàn", review_harm="low", review_access="low",
               review_obstacles="medium", review_self_protection="high",
               review_recovery="medium").status_code == 302

    # Supervisor approves the closure, then reopens
    assert reference in supervisor.get("/supervision").get_data(as_text=True)
    assert act(supervisor, reference, "approve_closure").status_code == 302
    db.session.refresh(case)
    assert case.stage == "closure"
    assert act(supervisor, reference, "reopen", reason="new_information").status_code == 302
    db.session.refresh(case)
    assert case.stage == "assessment"

    # The officer's timeline has every step
    page = officer.get(f"/cases/{reference}").get_data(as_text=True)
    for text in ("Gia đình yên tâm", "Gỡ tài khoản giả", "Tư vấn tâm lý", "Nguy cơ cao",
                 "Gặp em tại trường"):
        assert text in page
    assert audit_count(action="case.transition", object_id=reference) == 6


def test_version_conflict_keeps_the_input(people, login, make_case):
    case = make_case("assessment", planned=True)
    officer = login(people.officer)
    supervisor = login(people.supervisor)
    page = form_page(officer, case.reference, "support")
    stale = re.search(r'name="support-version" type="hidden" value="(\d+)"', page).group(1)
    # Someone else saves the case in between.
    assert act(supervisor, case.reference, "assign", lead_officer=people.officer.id,
               assignees=people.officer2.id).status_code == 302
    response = officer.post(f"/cases/{case.reference}/support", data={
        "support-csrf_token": token(officer, f"/cases/{case.reference}/actions/support"),
        "support-version": stale, "support-note": "Nhu cầu rất riêng của em"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="conflict"' in html and "Nhu cầu rất riêng của em" in html
    # The form again on its page, carrying the newer version: saving again applies it.
    assert 'id="act-support"' in html
    fresh = re.search(r'name="support-version" type="hidden" value="(\d+)"', html).group(1)
    assert int(fresh) > int(stale)
    db.session.refresh(case)
    assert case.stage == "assessment"


@pytest.mark.parametrize("version", [None, "", "bốn", "-1", "0", "9" * 40])
def test_a_form_without_the_version_it_was_shown_with_conflicts(people, login, make_case,
                                                                 version):
    """A hand-made or damaged form cannot skip the check that protects a newer
    save: it is a conflict, nothing is written, and the form comes back with
    the case's real version so that saving again is a deliberate choice."""
    case = make_case("assessment", planned=True)
    officer = login(people.officer)
    before = case.version_id
    moves = audit_count(action="case.transition", object_id=case.reference)
    data = {"support-csrf_token": token(officer, f"/cases/{case.reference}/actions/support"),
            "support-note": "Bắt đầu hỗ trợ"}
    if version is not None:
        data["support-version"] = version
    response = officer.post(f"/cases/{case.reference}/support", data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="conflict"' in html
    assert f'name="support-version" type="hidden" value="{before}"' in html
    db.session.refresh(case)
    assert case.stage == "assessment" and case.version_id == before
    assert audit_count(action="case.transition", object_id=case.reference) == moves


@pytest.mark.parametrize("action, fields", [
    ("assign", {"lead_officer": "officer"}),  # only a supervisor assigns
    ("assess", {"harm": "high", "access": "low", "obstacles": "low", "risk_level": "high",
                "notes": "Nguy cơ cao"}),
])
def test_a_refusal_is_audited_whatever_version_the_form_names(people, login, make_case,
                                                              action, fields):
    """Who may act is checked before which version they saw: a stale or missing
    version does not turn a refused attempt into an unrecorded conflict."""
    case = make_case("intake", assigned=True)
    actor = login(people.counselor if action == "assess" else people.officer)
    assert actor.get(f"/cases/{case.reference}").status_code == 200  # sees it, may not do it
    values = {name: getattr(people, value).id if value in ("officer",) else value
              for name, value in fields.items()}
    for version in (str(case.version_id - 1), None):
        data = {f"{action}-csrf_token": token(actor, f"/cases/{case.reference}"),
                **{f"{action}-{name}": value for name, value in values.items()}}
        if version is not None:
            data[f"{action}-version"] = version
        denied = audit_count(action="case.denied", object_id=case.reference)
        response = actor.post(f"/cases/{case.reference}/{action}", data=data)
        assert response.status_code == 403
        assert audit_count(action="case.denied", object_id=case.reference) == denied + 1
    db.session.refresh(case)
    assert case.stage == "intake"


def test_my_cases_puts_overdue_first(people, login, make_case, travel):
    late = make_case("intake", assigned=True)
    travel(hours=100)
    fresh = make_case("intake", assigned=True)
    officer = login(people.officer)
    html = officer.get("/cases").get_data(as_text=True)
    assert html.index(late.reference) < html.index(fresh.reference)
    assert "is-overdue" in html and "badge overdue" in html
