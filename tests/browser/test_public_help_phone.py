"""The public help form in Chromium at a phone's width (390 px): from the empty
form (its refusal in Vietnamese) to the tracking code, then the status page and a
message; nothing wider than the screen, the emergency numbers and "Leave quickly"
always in sight, which replaces the page (no new history entry). Without script
the form still sends."""
from __future__ import annotations

import os

import pytest

from caseapp.admin import service as admin_service
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.test_case_lifecycle import fits, open_page

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

NEUTRAL = "https://www.google.com/"


def shot(page, name: str) -> None:
    folder = os.environ.get("CASEAPP_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}-390.png"), full_page=True)


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900


def neutral(route):
    route.fulfill(status=200, content_type="text/html", body="<title>Google</title><p>ok</p>")


def fill(page, story: str) -> None:
    page.check("input[name=who][value=child]")
    page.check("input[name=danger][value=no]")
    page.check("input[name=harms][value=bullying]")
    page.fill("#story", story)
    page.check("input[name=contact_way][value=no_contact]")
    page.select_option("#unit", "XA")


def test_the_public_form_on_a_phone(live_server, browser):
    live_server.config["PUBLIC_HELP_LEAVE_URL"] = NEUTRAL
    with live_server.app_context(), key_scope():
        admin_service.create_unit("system", "XA", "Xã Hòa Bình", None)
        db.session.commit()
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, 390, errors)
    page.route(NEUTRAL + "**", neutral)
    page.goto(base + "/help")
    fits(page, 390)
    assert in_view(page, "#leave-quickly") and in_view(page, "a[href='tel:113']")
    assert page.locator("#leave-quickly").inner_text() == "Rời trang nhanh"
    shot(page, "public-help-empty")

    # The empty form: every question it needs, in Vietnamese, nothing sent.
    with page.expect_navigation():  # the answer is a new page: wait for it
        page.click("form.public-form button.primary")
    fits(page, 390)
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "Chưa có gì được gửi" in summary.inner_text()
    assert "Chọn ít nhất một điều đã xảy ra" in summary.inner_text()
    assert page.locator("a[href='tel:111']").first.is_visible()
    errors.remove("Failed to load resource: the server responded with a status of 400 "
                  "(BAD REQUEST)")  # the refused form's own status, nothing else

    fill(page, "Bạn cùng lớp chửi em trên TikTok mỗi tối")
    page.check("input[name=platforms][value=tiktok]")
    page.select_option("#age", "13")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert in_view(page, "#leave-quickly")  # always in sight, even at the bottom
    with page.expect_navigation():  # the answer is a new page: wait for it
        page.click("form.public-form button.primary")
    fits(page, 390)
    code = page.locator("#tracking-code").inner_text()
    assert len(code) == 19 and code.count("-") == 3
    assert "TikTok mỗi tối" not in page.content()
    shot(page, "public-help-code")
    assert [c["name"] for c in page.context.cookies()] == ["help_csrf"]

    with page.expect_navigation():  # the answer is a new page: wait for it
        page.click("a[href='/help/status']")
    fits(page, 390)
    page.fill("#code", code.lower().replace("-", " "))
    with page.expect_navigation():  # the answer is a new page: wait for it
        page.click("main button.primary")
    fits(page, 390)
    assert page.locator("#stage").inner_text().startswith("Đã nhận")
    assert page.url.removeprefix(base) == "/help/status"  # no code in the address
    page.fill("#message", "Tối nay bạn ấy lại nhắn nữa")
    with page.expect_navigation():  # the answer is a new page: wait for it
        page.click("main button.primary")
    assert page.locator("#message-sent").is_visible()
    fits(page, 390)
    shot(page, "public-help-status")

    # Leave quickly: the page is replaced (Back does not bring it back).
    length = page.evaluate("history.length")
    page.click("#leave-quickly")
    page.wait_for_url(NEUTRAL)
    assert page.evaluate("history.length") == length
    assert errors == [], errors


def test_the_form_sends_without_script(live_server, browser):
    with live_server.app_context(), key_scope():
        admin_service.create_unit("system", "XA", "Xã Hòa Bình", None)
        db.session.commit()
    base = live_server.config["LIVE_URL"]
    context = browser.new_context(viewport={"width": 390, "height": 900},
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/help")
    fits(page, 390)
    assert page.locator("#leave-quickly").get_attribute("href") \
        == live_server.config["PUBLIC_HELP_LEAVE_URL"]
    fill(page, "Có người dọa em")
    with page.expect_navigation():  # the answer is a new page: wait for it
        page.click("form.public-form button.primary")
    assert len(page.locator("#tracking-code").inner_text()) == 19
    fits(page, 390)
    context.close()
