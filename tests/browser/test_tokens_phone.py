"""The admin's partner-token screen in a real browser at a phone's width (390 px),
in Vietnamese: a refused form says why, an issued token's secret is shown once
(and is gone when the page is opened again), a token is revoked; nothing is
wider than the screen."""
from __future__ import annotations

import pytest

from caseapp.admin import service as admin_service
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.browser.test_case_lifecycle import fits, log_in, open_menu, open_page

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH = 390


def test_tokens_at_a_phones_width(live_server, browser):
    with live_server.app_context(), key_scope():
        admin_service.create_unit("system", "XA", "Xã Hiệp Hoà có một cái tên khá dài để thử")
        _, secret = create_staff("qtv.an", "admin", "XA", "Quản trị An")
        db.session.commit()
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, WIDTH, errors)
    log_in(page, base, "qtv.an", secret)
    open_menu(page)
    with page.expect_navigation():
        page.click("a[href='/admin/tokens']")
    fits(page, WIDTH)
    assert "Mã truy cập API của đối tác" in page.content()

    page.fill("#partner_name", "Tổng đài quốc gia bảo vệ trẻ em 111")
    page.fill("#days", "4000")
    page.check("input[name=scopes][value='intake:create']")
    with page.expect_navigation():
        page.click("form[action='/admin/tokens'] button[type=submit]")
    assert "Mã truy cập có hiệu lực từ 1 đến 365 ngày." in page.content()
    assert page.locator("#token-secret").count() == 0
    fits(page, WIDTH)

    page.fill("#days", "90")
    with page.expect_navigation():
        page.click("form[action='/admin/tokens'] button[type=submit]")
    shown = page.locator("#token-secret").inner_text()
    assert shown.startswith("cat_")
    fits(page, WIDTH)

    page.goto(base + "/admin/tokens")
    assert shown not in page.content() and "Đang hiệu lực" in page.content()
    fits(page, WIDTH)
    with page.expect_navigation():
        page.click("tr[id^=token-] details.confirm summary")  # it asks first
        page.click("tr[id^=token-] button[type=submit]")
    assert "Mã truy cập đã bị thu hồi" in page.content() and "Đã thu hồi" in page.content()
    fits(page, WIDTH)
    assert errors == []
