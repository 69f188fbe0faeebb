"""Printable forms of Decree 56/2017 (Mẫu 01 to 06): each stage's record prints
in Vietnamese, only for people who may see the child's data, and every print
is one audit entry (listed on "who has seen this child") without child data."""
from __future__ import annotations

import json
import re
from datetime import date
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from sqlalchemy import select

import audit
from caseapp import clock
from caseapp.auditlog.who_viewed import child_data_views
from caseapp.cases import service
from caseapp.cases.data import (
    AssignmentData,
    DecisionData,
    PersonData,
    PlanData,
    PlanItem,
    ReferralStatusData,
    SupportActionData,
)
from caseapp.cases.deadlines import VIETNAM
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import printing as print_rules
from caseapp.printing import panel as printing_panel
from tests.case_actions import section_page
from tests.cases.conftest import (
    ASSESSMENT_NOTE,
    CHILD_NAME,
    HANDLE,
    NARRATIVE,
    REPORTER_NAME,
    SECRETS,
    assessment_data,
    audit_count,
    audit_rows,
    closure_data,
    intake_data,
    needs_data,
    referral_data,
    support_data,
)

from .test_break_glass import request_glass

NEEDS_NOTE = "Cần tư vấn tâm lý hằng tuần và hỗ trợ học tập"
PLAN_GOALS = "Giúp em cảm thấy an toàn khi dùng mạng và trở lại lớp học"
PLAN_ACTION = "Hướng dẫn gia đình khoá tài khoản, báo cáo nội dung vi phạm"
EMERGENCY_TEXT = "Đã liên hệ công an xã đến nhà em trong đêm"
OUTCOME = "Em đã an toàn, đi học lại"
REFERRAL_OUTCOME = "Tài khoản giả mạo đã bị gỡ bỏ"
DETAIL_VALUE = "Đối tượng biết trường học của em"
# Every text of the case above, for "no child data here" checks.
ALL_SECRETS = [*SECRETS, NEEDS_NOTE, PLAN_GOALS, PLAN_ACTION, EMERGENCY_TEXT, OUTCOME,
               REFERRAL_OUTCOME, DETAIL_VALUE, "Cần gỡ tài khoản giả mạo"]


def print_url(case, form):
    return f"/cases/{case.reference}/print/{form}"


def prints(reference=None):
    where = {"action": "case.print"}
    if reference:
        where["object_id"] = reference
    return audit_rows(**where)


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


def assert_no_child_data(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, secret


def all_audit_text() -> str:
    rows = db.session.execute(select(audit.audit_entries)).all()
    return "\n".join(json.dumps([str(v) for v in row], ensure_ascii=False) for row in rows)


# --- the forms, stage by stage -----------------------------------------------------------------

def test_each_form_prints_once_its_stage_record_exists(people, login, app):
    people.officer.locale = "en"  # the user works in English; the forms stay Vietnamese
    db.session.commit()
    officer = login(people.officer)
    case = service.record_intake(people.counselor, intake_data(
        child_group="abused", incident_place="Nhóm Zalo của lớp",
        people=(PersonData("father", "Phạm Văn Khiêm", 41, "Công nhân"),)))
    service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    db.session.commit()

    def check(form, *texts, missing=None):
        response = officer.get(print_url(case, form))
        assert response.status_code == 200, (form, response.status_code)
        html = body(response)
        assert '<html lang="vi">' in html and f"Mẫu số {form}" in html
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "56/2017/NĐ-CP" in html
        assert CHILD_NAME in html and case.reference in html
        assert "ban hành kèm theo" not in html.casefold()
        for text in texts:
            assert text in html, (form, text)
        if missing:
            refused = officer.get(print_url(case, missing))
            assert refused.status_code == 404
            assert f"Form {missing} cannot be printed yet" in body(refused)
            assert CHILD_NAME not in body(refused)
        return html

    html = check("01", "TIẾP NHẬN THÔNG TIN TRẺ EM BỊ XÂM HẠI", REPORTER_NAME, HANDLE,
                 NARRATIVE, "Chuyển từ Tổng đài 111", "Tống tiền bằng hình ảnh nhạy cảm",
                 "Nhóm Zalo của lớp", "Phạm Văn Khiêm", "Công nhân", "04/03/2012",
                 missing="02")
    # Official text, never the user's English.
    assert "Child's full name" not in html and "Sextortion" not in html

    service.record_support_action(people.officer, case, SupportActionData(
        kind="separation", description=EMERGENCY_TEXT))
    service.transition(people.officer, case, "assessment", assessment_data(
        immediate_danger=True, caregiver_harms=True, emergency_measures=True))
    db.session.commit()
    html = check("02", ASSESSMENT_NOTE, EMERGENCY_TEXT, "Dựa theo Mẫu số 02",
                 "Tạm thời cách ly trẻ em", missing="03")
    assert re.search(r"Mức độ nguy cơ</th><td><span class=\"levels\"><span class=\"box "
                     r"checked\">☒ Cao", html)
    assert "Cao: 1; Trung bình: 1; Thấp: 1" in html  # harm high, access medium, obstacles low

    service.record_needs_assessment(people.officer, case, needs_data(notes=NEEDS_NOTE))
    db.session.commit()
    check("03", NEEDS_NOTE, "Cán bộ phụ trách, mẹ của em", "Chủ tịch UBND xã",
          "Tình trạng thể chất, tâm lý, tình cảm của trẻ em", missing="04")

    service.draft_plan(people.officer, case, PlanData(goals=PLAN_GOALS, items=(
        PlanItem(action=PLAN_ACTION, who="cb.minh", due=date(2031, 6, 30),
                 start=date(2031, 1, 5), provider="Trung tâm Công tác xã hội",
                 cost=1_500_000),)))
    db.session.commit()
    check("04", PLAN_GOALS, PLAN_ACTION, "05/01/2031", "30/06/2031", "1.500.000",
          "Trung tâm Công tác xã hội", "Chưa phê duyệt", missing="05")

    service.approve_plan(people.supervisor, case, case.latest_plan.id)
    db.session.commit()
    html = check("05", "QUYẾT ĐỊNH", "CHỦ TỊCH ỦY BAN NHÂN DÂN", "DỰ THẢO", PLAN_GOALS,
                 PLAN_ACTION, "Căn cứ Luật Trẻ em", "(Ký, ghi rõ họ tên, đóng dấu)",
                 missing="06")
    service.record_decision(people.officer, case, DecisionData(
        "31/QĐ-UBND", clock.now().astimezone(VIETNAM).date(), "Nguyễn Văn Chủ"))
    service.transition(people.officer, case, "support", support_data())
    db.session.commit()
    html = check("05", "31/QĐ-UBND", "Nguyễn Văn Chủ")
    assert "DỰ THẢO" not in html
    assert "Quyết định phê duyệt số 31/QĐ-UBND" in check("04")

    service.transition(people.officer, case, "referral",
                       referral_data(sharing_basis="legal_duty"))
    db.session.commit()
    (referral,) = case.referrals
    service.update_referral(people.officer, case, referral.id, ReferralStatusData(
        status="completed", outcome=REFERRAL_OUTCOME))
    service.request_closure(people.officer, case, closure_data(outcome_summary=OUTCOME))
    db.session.commit()
    html = check("06", "RÀ SOÁT, ĐÁNH GIÁ TÌNH TRẠNG CỦA TRẺ EM SAU KHI THỰC HIỆN KẾ HOẠCH",
                 OUTCOME, "Đã hỗ trợ xong, trẻ an toàn", "Đang chờ thông qua",
                 REFERRAL_OUTCOME, "Phòng An ninh mạng", EMERGENCY_TEXT,
                 "b) Đánh giá khả năng tự bảo vệ, phục hồi của trẻ em")
    assert "Cao: 0; Trung bình: 1; Thấp: 2" in html  # 1a: harm low, access low, obstacles medium
    assert "Cao: 1; Trung bình: 1; Thấp: 0" in html  # 1b: self-protection high, recovery medium

    service.approve_closure(people.supervisor, case)
    db.session.commit()
    assert "Đã thông qua lúc" in check("06", OUTCOME)
    # Every form stays printable on a closed case.
    for form in ("01", "02", "03", "04", "05"):
        check(form)

    # The case page itself is in English, with the links to the six forms.
    page = body(officer.get(f"/cases/{case.reference}"))
    panel = page.split('id="printing"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'data-form="(\d+)"', panel) == ["01", "02", "03", "04", "05", "06"]
    assert "Print form 01 (full copy): report received" in panel
    assert "Print form 01 (copy for the family)" in panel
    assert 'lang="en"' in page


def test_a_minor_has_no_form_05(people, login, make_case):
    case = make_case("support", child={"date_of_birth": date(2009, 2, 1)})
    assert case.is_minor
    officer = login(people.officer)
    response = officer.get(print_url(case, "05"))
    assert response.status_code == 404 and CHILD_NAME not in body(response)
    plan = body(officer.get(print_url(case, "04")))
    assert "Đã được thông qua" in plan and "chờ Chủ tịch" not in plan


def test_form_01_prints_consent_as_it_was_recorded(people, login):
    """A 13-year-old whose consent was not asked is not "under 7"."""
    from caseapp.cases.data import ConsentData

    case = service.record_intake(people.counselor, intake_data(
        consent=ConsentData(guardian="given"), child={"date_of_birth": None,
                                                      "estimated_age": 13}))
    db.session.commit()
    html = body(login(people.counselor).get(print_url(case, "01")))
    child_row = html.split('data-field="dong-y-tre-em"', 1)[1].split("</tr>", 1)[0]
    assert "Chưa hỏi ý kiến" in child_row and "dưới 7" not in child_row
    assert "Trách nhiệm tiếp nhận, ghi chép thông tin (Điều 25" in html
    young = service.record_intake(people.counselor, intake_data(
        consent=ConsentData(guardian="given"), child={"date_of_birth": None,
                                                      "estimated_age": 5}))
    db.session.commit()
    html = body(login(people.counselor).get(print_url(young, "01")))
    child_row = html.split('data-field="dong-y-tre-em"', 1)[1].split("</tr>", 1)[0]
    assert "Không áp dụng (trẻ em dưới 7 tuổi)" in child_row


def test_a_revised_plan_prints_the_approved_version_as_form_05(people, login, make_case):
    case = make_case("support")
    service.draft_plan(people.officer, case, PlanData(goals=PLAN_GOALS, items=(
        PlanItem(action=PLAN_ACTION),)))
    service.approve_plan(people.supervisor, case, case.latest_plan.id)
    service.draft_plan(people.officer, case, PlanData(goals="Mục tiêu sửa đổi", items=(
        PlanItem(action="Hoạt động mới"),)))
    db.session.commit()
    officer = login(people.officer)
    approved = body(officer.get(print_url(case, "05")))
    assert PLAN_GOALS in approved and "Mục tiêu sửa đổi" not in approved
    assert "phiên bản 3" in approved  # the note that a revision awaits approval
    latest = body(officer.get(print_url(case, "04")))
    assert "Mục tiêu sửa đổi" in latest and "Chưa phê duyệt" in latest


def test_form_06_is_gone_after_a_reopen(people, login, make_case):
    case = make_case("closure")
    service.reopen(people.supervisor, case, service.ReopenData(reason="new_information"))
    db.session.commit()
    response = login(people.officer).get(print_url(case, "06"))
    assert response.status_code == 404 and CHILD_NAME not in body(response)


# --- audit -------------------------------------------------------------------------------------

def test_each_print_writes_one_entry_without_child_data(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    views_before = audit_count(action="case.view", object_id=case.reference)
    for n, form in enumerate(("01", "02", "03", "01"), 1):
        assert officer.get(print_url(case, form)).status_code == 200
        assert len(prints(case.reference)) == n
    # The print is the access: no separate "case.view" entry.
    assert audit_count(action="case.view", object_id=case.reference) == views_before
    entries = prints(case.reference)
    assert [json.loads(e.details) for e in entries] == [
        {"form": form, "via": "assignment", "route": "printing.print_form"}
        for form in ("01", "02", "03", "01")]
    assert {(e.actor_id, e.object_type, e.outcome) for e in entries} == {
        (people.officer.id, "case", "ok")}
    assert_no_child_data(all_audit_text())


def test_prints_show_on_who_has_seen_this_child(people, login, make_case):
    case = make_case("assessment")
    officer = login(people.officer)
    officer.get(print_url(case, "02"))
    (entry,) = prints(case.reference)
    views = child_data_views(case)
    (listed,) = [v for v in views if v.action == "case.print"]
    assert (listed.seq, listed.actor_id, listed.username, listed.route, listed.via) == (
        entry.seq, people.officer.id, "cb.minh", "printing.print_form", "assignment")
    page = section_page(officer, case.reference, "who-viewed")
    section = page.split('id="who-viewed"', 1)[1].split("</details>", 1)[0]
    assert "in Mẫu 02" in section and "printing.print_form" not in section


# --- who may print -----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["other_officer", "other_supervisor", "officer2", "admin"])
def test_outside_scope_is_a_404_audited(people, login, make_case, who):
    case = make_case("support")
    client = login(getattr(people, who))
    denied = audit_count(action="case.denied")
    for form in ("01", "03"):
        response = client.get(print_url(case, form))
        assert response.status_code == 404
        assert_no_child_data(body(response))
    assert audit_count(action="case.denied") == denied + 2
    rows = audit_rows(action="case.denied")[-2:]
    assert {json.loads(r.details)["action"] for r in rows} == {"web:print"}
    assert prints() == []


def test_intake_recorder_prints_until_the_case_leaves_intake(people, login, make_case):
    case = make_case("intake")
    counselor = login(people.counselor)
    assert CHILD_NAME in body(counselor.get(print_url(case, "01")))
    service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    service.transition(people.officer, case, "assessment",
                       assessment_data(risk_level="low"))
    db.session.commit()
    response = counselor.get(print_url(case, "01"))
    assert response.status_code == 404 and CHILD_NAME not in body(response)


def test_metadata_only_supervisor_cannot_print(people, login, make_case):
    case = make_case("support")
    supervisor = login(people.supervisor)
    page = body(supervisor.get(f"/cases/{case.reference}"))
    assert 'id="printing"' not in page and "/print/" not in page
    for form in ("01", "02", "03", "04", "09"):
        response = supervisor.get(print_url(case, form))
        assert response.status_code in (403, 404)
        assert_no_child_data(body(response))
    assert supervisor.get(print_url(case, "01")).status_code == 403
    assert prints() == []
    denials = [json.loads(r.details)["action"] for r in audit_rows(action="case.denied")]
    assert denials.count("print") >= 4
    with pytest.raises(PermissionDenied):
        print_rules.grant_case_print(people.supervisor, case, "01")
    with pytest.raises(ValueError):
        print_rules.grant_case_print(people.officer, case, "07")


def test_break_glass_is_read_only_on_screen_and_prints_nothing(people, login, make_case):
    """A printout is a copy that leaves the app: not through break-glass."""
    case = make_case("support")
    supervisor = login(people.supervisor)
    assert request_glass(supervisor, case.reference).status_code == 302
    page = body(supervisor.get(f"/cases/{case.reference}"))
    assert CHILD_NAME in page and 'id="printing"' not in page
    response = supervisor.get(print_url(case, "03"))
    assert response.status_code == 403 and CHILD_NAME not in body(response)
    assert prints(case.reference) == []
    assert audit_rows(action="case.denied")[-1].actor_id == people.supervisor.id


# --- URLs that are not forms -------------------------------------------------------------------

@pytest.mark.parametrize("segment", ["07", "00", "1", "Nguyễn Văn An", "01.pdf", "01 "])
def test_unknown_form_is_a_404_and_never_logged(people, login, make_case, segment):
    case = make_case("support")
    client = login(people.officer)
    before = audit_count()
    response = client.get(print_url(case, segment))
    assert response.status_code == 404 and CHILD_NAME not in body(response)
    # Nothing at all was written: not a print, not the segment.
    assert audit_count() == before and prints() == []


def test_a_name_in_place_of_the_reference_is_not_logged(people, login, make_case):
    make_case("support")
    response = login(people.officer).get("/cases/Pham Thi Quynh Nhu/print/01")
    assert response.status_code == 404
    assert "Quynh" not in all_audit_text() and prints() == []


def test_printing_needs_a_login(app, make_case, people):
    case = make_case("support")
    response = app.test_client().get(print_url(case, "01"))
    assert response.status_code in (302, 401)
    assert CHILD_NAME not in body(response) and prints() == []


# --- the page ----------------------------------------------------------------------------------

def test_page_is_printable_under_the_strict_csp(people, login, make_case):
    case = make_case("support")
    client = login(people.officer)
    response = client.get(print_url(case, "01"))
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert '<link rel="stylesheet" href="/static/print.css">' in html
    assert '<script src="/static/print.js" defer></script>' in html
    # No inline script, style or event handler: every <script> has a src.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None
    assert "data-print" in html
    # Not the app's navigation chrome: a plain document with its own toolbar.
    assert 'class="topbar"' not in html and "app.css" not in html
    with client.get("/static/print.css") as static:
        css = static.get_data(as_text=True)
    assert "@page" in css and "A4" in css and "@media print" in css
    assert re.search(r"@media print\s*\{[^@]*\.print-toolbar", css)
    with client.get("/static/print.js") as static:
        js = static.get_data(as_text=True)
    assert "window.print()" in js


def test_form_text_does_not_depend_on_the_translations(people, login, make_case, app):
    """The official form text is written in Vietnamese, not looked up per user."""
    case = make_case("closure")
    people.officer.locale = "en"
    db.session.commit()
    client = login(people.officer)
    for form in ("01", "02", "03", "06"):
        html = body(client.get(print_url(case, form)))
        assert "Họ và tên trẻ em" in html and "(Ký, ghi rõ họ tên)" in html
        for english in ("Child's full name", "High", "Medium", "Low", "Signature"):
            assert f">{english}<" not in html


def test_dates_print_in_local_time(people, login, make_case):
    case = make_case("intake")
    html = body(login(people.counselor).get(print_url(case, "01")))
    local = case.received_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%H:%M. Ngày %d tháng %m năm %Y") in html
    assert f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}" in html


def test_panel_lists_the_forms_that_exist_only_beside_child_data(people, make_case, app):
    case = make_case("support")
    assert printing_panel.panel_context(people.officer, case, False) is None
    panel = printing_panel.panel_context(people.officer, case, True)
    assert [spec.code for spec in panel["forms"]] == ["01", "02", "03", "04", "05"]
    with app.test_request_context():
        html = render_template(printing_panel.PANEL.template, panel=panel)
    staff = [f"/cases/{case.reference}/print/{form}" for form in ("01", "02", "03", "04", "05")]
    # Form 01's two copies side by side, each saying which it is.
    assert re.findall(r'href="([^"]+)"', html) == [staff[0], f"{staff[0]}?copy=family",
                                                   *staff[1:]]
    assert_no_child_data(html)


def test_the_family_copy_leaves_out_reporter_offender_and_police(people, login, make_case):
    from tests.cases.conftest import (
        ADDRESS,
        CHILD_PHONE,
        GUARDIAN_CONTACT,
        HANDLE,
        REPORTER_NAME,
        REPORTER_PHONE,
        SCHOOL,
    )

    case = make_case("support")
    client = login(people.officer)
    staff = body(client.get(print_url(case, "01")))
    assert REPORTER_NAME in staff and "ke.la.mat.danh" in staff
    family = body(client.get(print_url(case, "01") + "?copy=family"))
    assert CHILD_NAME in family and 'id="family-copy"' in family
    # Nor where the child lives, studies or can be reached: the guardian asking may be
    # the person the child was moved away from.
    for withheld in (REPORTER_NAME, REPORTER_PHONE, "ke.la.mat.danh", HANDLE, ADDRESS, SCHOOL,
                     CHILD_PHONE, GUARDIAN_CONTACT):
        assert withheld not in family
    entries = [json.loads(e.details) for e in prints(case.reference)]
    assert [e.get("copy") for e in entries] == [None, "family"]
    # Only form 01 has such a copy: the others name agencies and the police.
    assert client.get(print_url(case, "03") + "?copy=family").status_code == 404
    assert len(prints(case.reference)) == 2


def test_the_family_copy_leaves_out_where_the_child_stays_and_studies(people, login, make_unit,
                                                                      make_user):
    """Free texts and a school union's own name can say where the child is."""
    school = make_unit("TRUONGLTT", people.commune, "Liên đội Trường THCS Lý Tự Trọng")
    school.school_type = "lower_secondary"
    counselor = make_user("counselor", school, "tvv.truong", totp=False).user  # login() enrols
    db.session.commit()
    case = service.record_intake(counselor, intake_data(
        "TRUONGLTT", incident_place="Nhà bà ngoại, thôn Bắc",
        family_circumstances="Mẹ đã đưa em về ở nhà bà ngoại",
        help_before_report="Cô giáo chủ nhiệm đã đưa em về nhà bà",
        intake_notes="Hiện em ở số nhà 12",
        people=(PersonData("mother", "Trần Thị Mẹ", 38, "Giáo viên Trường Tiểu học Tân Lập"),)))
    db.session.commit()
    client = login(counselor)
    staff = body(client.get(print_url(case, "01")))
    family = body(client.get(print_url(case, "01") + "?copy=family"))
    withheld = ("thôn Bắc", "nhà bà ngoại", "số nhà 12", "Trường Tiểu học Tân Lập",
                "LIÊN ĐỘI TRƯỜNG THCS LÝ TỰ TRỌNG", "TRUONGLTT")
    for text in withheld:
        assert text in staff, text  # positive control
        assert text not in family, text
    assert "Trần Thị Mẹ" in family  # the parents' names stay (form 01 asks for them)
