"""The Decree 56 procedure in a real browser, at a phone's width for the people who
work from a phone: intake (form 01) → risk assessment (02) → needs and meeting (03)
→ plan (04) sent back and approved → the commune's decision (05) recorded →
support → review (06) → closure; with two officers (a reassignment) and a
supervisor who reads what they approve, without console errors."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest

from caseapp.admin import service as admin_service
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

CHILD = "Nguyễn Thị Bích Ngọc"  # synthetic
# Dates are typed as dd/mm/yyyy whatever the browser's language (this Chromium's is English).
NOW = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.strftime("%d/%m/%Y")
HARM_DAY = (NOW - timedelta(days=3)).strftime("%d/%m/%Y")
REPORTER = "Nguyễn Văn Hùng"  # synthetic; asks to stay anonymous


def make_people(app) -> dict:
    people = {}
    with app.app_context(), key_scope():
        admin_service.create_unit("system", "HUYEN", "Huyện đoàn Đức Trọng")
        admin_service.create_unit("system", "XA", "Đoàn xã Hiệp Thạnh", "HUYEN")
        for username, role, unit, name in [
                ("tvv.lan", "counselor", "XA", "Trần Lan"),
                ("cb.minh", "officer", "XA", "Lê Minh"),
                ("cb.hoa", "officer", "HUYEN", "Phạm Hoa"),
                ("gs.tuan", "supervisor", "HUYEN", "Đỗ Tuấn")]:
            user, secret = create_staff(username, role, unit, name)
            db.session.commit()
            people[username] = (user.id, secret)
    return people


def open_page(browser, base, width, errors):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def log_in(page, base, username, secret):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    if secret:
        page.wait_for_url(base + "/login/code")
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        page.click("button.primary")
    page.wait_for_url(base + "/")


def open_menu(page):
    """On a phone the navigation is folded into "Trình đơn" (a <details>): open it."""
    toggle = page.locator("summary#menu-toggle")
    if toggle.is_visible() and not page.locator("details#menu").evaluate("d => d.open"):
        toggle.click()


def fits(page, width):
    # A click that follows a link returns before the next page has loaded;
    # measure the page the person is looking at, not the one being replaced.
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def open_form(page, action):
    """Go where ``action``'s form is, as a person does: it is on the case page
    (the note; a supervisor's decision under what they read), or the case
    page's link leads to the action's own page, which fits the screen too."""
    if page.locator(f"form[data-action={action}]").count() == 0:
        with page.expect_navigation():
            page.locator(f"a[data-action-link={action}]").first.click()
        fits(page, page.viewport_size["width"])
    assert page.locator(f"form[data-action={action}]").count() == 1, page.url


def open_section(page, section):
    """Follow the case page's line to a feature's own page (evidence, consent,
    data requests, who has seen the child...), which fits the screen too."""
    with page.expect_navigation():
        page.locator(f"a[data-section-link={section}]").first.click()
    fits(page, page.viewport_size["width"])
    assert page.locator(f".section-page[data-section={section}]").count() == 1, page.url


def submit(page, action):
    form = page.locator(f"form[data-action={action}]")
    with page.expect_navigation():
        form.locator("button[type=submit]:not(.add-row)").click()
    assert page.locator(".flash-info").count() == 1, page.content()


def test_intake_to_closure(live_server, browser):
    people = make_people(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []

    # The counselor records the report on a phone.
    phone = open_page(browser, base, 390, errors)
    log_in(phone, base, "tvv.lan", people["tvv.lan"][1])
    open_menu(phone)
    with phone.expect_navigation():
        phone.click("nav >> text=Hồ sơ")
    with phone.expect_navigation():
        phone.click("text=Tiếp nhận thông báo mới")
    fits(phone, 390)
    # Required fields are marked before anything is typed, and explained.
    assert phone.locator(".required-legend").is_visible()
    assert phone.locator("input[name=child_name][aria-required=true]").count() == 1
    assert phone.locator("#safe_tonight-group[aria-required=true]").count() == 1
    # The danger question comes first, and the time received is shown as dd/mm/yyyy hh:mm.
    first = phone.locator("form.intake fieldset.group").first
    assert first.locator("input[name=immediate_danger]").count() == 1
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}",
                        phone.input_value("input[name=received_at]"))
    # The hotline's call number is asked only for a call through 111.
    assert not phone.locator("input[name=hotline_call_number]").is_visible()

    # Saved empty: every mistake at once, in Vietnamese, at the top, nothing saved.
    phone.fill("input[name=received_at]", "")
    with phone.expect_navigation():
        phone.click("text=Lưu thông báo")
    summary = phone.locator("#error-summary")
    assert summary.is_visible() and "chưa được lưu" in summary.inner_text()
    assert summary.locator("a").count() >= 7, summary.inner_text()
    assert "Hãy cho biết đêm nay trẻ có an toàn không" in summary.inner_text()
    assert phone.evaluate("document.getElementById('error-summary')"
                          ".getBoundingClientRect().top") < 900
    fits(phone, 390)
    # A link of the summary leads to its field.
    summary.locator("a[href='#child_name']").click()
    assert phone.evaluate("document.activeElement.name") == "child_name"

    phone.check("input[name=immediate_danger]")
    phone.check("input[name=safe_tonight][value=no]")
    phone.fill("input[name=child_whereabouts]", "Ở nhà bà ngoại")
    phone.fill("input[name=received_at]", NOW.strftime("%d/%m/%Y %H:%M"))
    phone.select_option("select[name=channel]", "hotline_111")
    assert phone.locator("input[name=hotline_call_number]").is_visible()
    phone.fill("input[name=hotline_call_number]", "111-2026-0457")
    phone.check("input[name=requested_by][value=relative]")
    phone.check("input[name=help_requested][value=yes]")
    phone.check("input[name=reporter_anonymous]")
    phone.fill("input[name=reporter_name]", REPORTER)
    phone.fill("input[name=reporter_relation]", "bố")
    phone.fill("input[name=reporter_phone]", "0912 555 666")
    phone.fill("input[name=child_name]", CHILD)
    # A day that does not exist is refused with a message, the rest kept.
    phone.fill("input[name=child_dob]", "31/02/2011")
    phone.check("input[name=child_gender][value=female]")
    phone.check("input[name=child_group][value=abused]")
    phone.fill("textarea[name=child_access_needs]", "Em khiếm thính: nhắn tin, không gọi điện")
    phone.fill("input[name=harm_date]", HARM_DAY)
    phone.fill("input[name=harm_when]", "buổi tối")
    phone.fill("input[name=incident_place]", "Nhóm Facebook của lớp")
    phone.fill("input[name=mother_name]", "Trần Thị Mai")
    phone.fill("input[name=mother_age]", "38")
    phone.check("input[name=harm_categories][value=sextortion]")
    phone.check("input[name=harm_categories][value=cyberbullying]")
    phone.check("input[name=platforms][value=facebook]")
    phone.fill("textarea[name=offender_accounts]", "https://facebook.com/tk.gia.mao.123")
    phone.fill("textarea[name=narrative]", "Em bị đe doạ phát tán ảnh riêng tư")
    phone.fill("textarea[name=advice_given]", "Không trả lời đối tượng, giữ lại tin nhắn")
    phone.select_option("select[name=consent_child]", "given")
    phone.select_option("select[name=consent_guardian]", "given")
    with phone.expect_navigation():
        phone.click("text=Lưu thông báo")
    summary = phone.locator("#error-summary")
    assert "Ngày này không có trên lịch" in summary.inner_text()
    assert phone.input_value("textarea[name=advice_given]") == (
        "Không trả lời đối tượng, giữ lại tin nhắn")
    assert phone.input_value("input[name=hotline_call_number]") == "111-2026-0457"
    phone.fill("input[name=child_dob]", "15/09/2011")
    with phone.expect_navigation():
        phone.click("text=Lưu thông báo")
    reference = re.search(r"/cases/(HS-[A-Z0-9]{8})$", phone.url).group(1)
    child = phone.locator("#child").inner_text()
    assert CHILD in child and "15/09/2011" in child and HARM_DAY in child
    assert "111-2026-0457" in child and "Ở nhà bà ngoại" in child and "khiếm thính" in child
    # The counselor who took the call knows the reporter; "not safe tonight" is danger.
    assert REPORTER in child and "Đề nghị giữ bí mật danh tính" in child
    assert phone.locator(".badge.danger").count() == 1
    fits(phone, 390)
    errors[:] = [e for e in errors if "422" not in e]  # the two refused saves above

    # The supervisor (on a phone too) assigns the first officer from the queue.
    sup = open_page(browser, base, 390, errors)
    log_in(sup, base, "gs.tuan", people["gs.tuan"][1])
    open_menu(sup)
    with sup.expect_navigation():
        sup.click("nav >> text=Giám sát")
    assert reference in sup.locator("#unassigned").inner_text()
    fits(sup, 390)
    row = sup.locator("#unassigned tr", has_text=reference)
    row.locator("select").select_option(people["cb.minh"][0])
    with sup.expect_navigation():
        row.locator("button[type=submit]").click()
    assert reference not in sup.locator("#unassigned").inner_text()
    sup.goto(f"{base}/cases/{reference}")
    assert CHILD not in sup.content()
    assert sup.locator("#metadata-only").count() == 1

    # The first officer records an emergency measure and the risk assessment (form 02).
    minh = open_page(browser, base, 1280, errors)
    log_in(minh, base, "cb.minh", people["cb.minh"][1])
    minh.goto(f"{base}/cases")
    assert minh.locator("tr", has_text=reference).count() == 1
    with minh.expect_navigation():
        minh.click(f"text={reference}")
    open_form(minh, "support_action")
    minh.select_option("select[name=support_action-kind]", "separation")
    minh.fill("textarea[name=support_action-description]", "Đưa em về nhà bà ngoại")
    submit(minh, "support_action")
    open_form(minh, "assess")
    for criterion, level in (("harm", "high"), ("access", "medium"), ("obstacles", "low")):
        minh.check(f"input[name=assess-{criterion}][value={level}]")
    minh.check("input[name=assess-risk_level][value=high]")
    minh.fill("textarea[name=assess-notes]", "Đối tượng biết trường của em")
    submit(minh, "assess")
    assert "Đối tượng biết trường của em" in minh.content()

    # The supervisor reassigns the case to the second officer.
    sup.goto(f"{base}/cases/{reference}")
    open_form(sup, "assign")
    sup.locator("select[name=assign-lead_officer]").select_option(people["cb.hoa"][0])
    submit(sup, "assign")

    # The second officer (on a phone): the needs and their meeting (03), the plan (04).
    hoa = open_page(browser, base, 390, errors)
    log_in(hoa, base, "cb.hoa", people["cb.hoa"][1])
    hoa.goto(f"{base}/cases/{reference}")
    fits(hoa, 390)
    assert CHILD in hoa.content()
    # The lead officer is on the case: they know who reported.
    assert REPORTER in hoa.locator("#child").inner_text()
    assert hoa.locator("form[data-action=support]").count() == 0  # no plan yet
    assert hoa.locator("a[data-action-link=support]").count() == 0
    open_form(hoa, "needs")
    hoa.fill("textarea[name=needs-condition]", "Em lo sợ, không dám đi học")
    hoa.fill("textarea[name=needs-family]", "Mẹ quan tâm, có khả năng bảo vệ em")
    hoa.fill("textarea[name=needs-service_needs]", "Tư vấn tâm lý; gỡ tài khoản giả")
    hoa.fill("input[name=needs-meeting_date]", TODAY)
    hoa.fill("textarea[name=needs-meeting_participants]", "Cán bộ phụ trách, mẹ của em")
    hoa.fill("textarea[name=needs-notes]", "Cần hỗ trợ tâm lý và gỡ tài khoản giả")
    submit(hoa, "needs")
    open_form(hoa, "plan")
    hoa.fill("textarea[name=plan-goals]", "Em an toàn, đi học lại")
    hoa.fill("input[name=plan-items-0-action]", "Tư vấn tâm lý hằng tuần")
    hoa.fill("input[name=plan-items-0-cost]", "1.200.000")
    submit(hoa, "plan")
    fits(hoa, 390)

    # The supervisor reads the plan (not the child's name) and sends it back.
    sup.goto(f"{base}/cases/{reference}")
    approval = sup.locator("#approval").inner_text()
    assert "Tư vấn tâm lý hằng tuần" in approval and "1.200.000" in approval
    assert CHILD not in sup.content() and "0912 555 666" not in sup.content()
    assert REPORTER not in sup.content()
    fits(sup, 390)
    open_form(sup, "return_plan")  # under what they read, no second page
    sup.fill("form[data-action=return_plan] textarea", "Ghi rõ người phụ trách từng việc")
    submit(sup, "return_plan")

    # The officer sees why, and revises the plan.
    hoa.goto(f"{base}/cases/{reference}")
    assert "Ghi rõ người phụ trách từng việc" in hoa.locator("#plan-returned").inner_text()
    open_form(hoa, "plan")
    hoa.fill("textarea[name=plan-goals]", "Em an toàn, đi học lại")
    hoa.fill("input[name=plan-items-0-action]", "Tư vấn tâm lý hằng tuần")
    hoa.fill("input[name=plan-items-0-who]", "Cán bộ Phạm Hoa")
    submit(hoa, "plan")

    # The supervisor approves; the commune's decision is then due.
    sup.goto(f"{base}/cases/{reference}")
    assert "Cán bộ Phạm Hoa" in sup.locator("#approval").inner_text()
    open_form(sup, "approve_plan")
    submit(sup, "approve_plan")
    assert sup.locator("[data-step=decision][data-state=missing]").count() == 1

    # The officer records the commune's decision (05) and starts support.
    hoa.goto(f"{base}/cases/{reference}")
    open_form(hoa, "decision")
    hoa.fill("input[name=decision-number]", "12/QĐ-UBND")
    hoa.fill("input[name=decision-decided_on]", TODAY)
    hoa.fill("input[name=decision-signatory]", "Nguyễn Văn Chủ")
    submit(hoa, "decision")
    assert hoa.locator("[data-step=decision][data-state=done]").count() == 1
    open_form(hoa, "support")
    hoa.fill("textarea[name=support-note]", "Bắt đầu theo kế hoạch")
    submit(hoa, "support")
    open_form(hoa, "note")
    hoa.fill("textarea[name=note-text]", "Đã gặp em và gia đình")
    submit(hoa, "note")
    open_form(hoa, "request_closure")
    hoa.select_option("select[name=request_closure-reason]", "resolved")
    hoa.fill("textarea[name=request_closure-outcome_summary]", "Em đã an toàn, đi học lại")
    for part, level in (("harm", "low"), ("access", "low"), ("obstacles", "medium"),
                        ("self_protection", "high"), ("recovery", "medium")):
        hoa.check(f"input[name=request_closure-review_{part}][value={level}]")
    submit(hoa, "request_closure")
    fits(hoa, 390)

    # The first officer no longer sees the case.
    response = minh.goto(f"{base}/cases/{reference}")
    assert response.status == 404
    errors[:] = [e for e in errors if "404" not in e]  # the expected 404 above

    # The supervisor reads the review (06) and approves the closure.
    sup.goto(f"{base}/supervision")
    assert reference in sup.locator("#closures").inner_text()
    sup.goto(f"{base}/cases/{reference}")
    assert "Em đã an toàn, đi học lại" in sup.locator("#approval").inner_text()
    open_form(sup, "approve_closure")
    submit(sup, "approve_closure")
    assert "Đã đóng" in sup.locator(".badge.stage").inner_text()
    fits(sup, 390)
    assert errors == [], errors  # no CSP violations or script errors
