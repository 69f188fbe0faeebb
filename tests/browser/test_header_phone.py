"""The header at a phone's width (390 px): one line, the navigation folded into
a "Menu" (<details>, no script needed) that opens, is reached with the keyboard
and whose links work; at 1280 px the links are a bar, no menu to open. After an
assignment on the supervision page, the confirmation is on screen (#messages)."""
from __future__ import annotations

import os

import pytest

from caseapp.cases import service as cases
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.test_case_care import make_world
from tests.browser.test_case_lifecycle import fits, log_in, open_page
from tests.cases.conftest import intake_data

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]


def shot(page, name: str) -> None:
    folder = os.environ.get("CASEAPP_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}-390.png"))


def test_the_header_folds_into_a_menu_on_a_phone(live_server, browser):
    people, _reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, 390, errors)
    page.context.set_extra_http_headers({})
    log_in(page, base, "cb.minh", people["cb.minh"][1])
    page.goto(base + "/cases")
    fits(page, 390)
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 80, header
    # The product's whole name, on two lines if need be, never cut off.
    assert page.locator("header .brand").evaluate("e => e.scrollWidth <= e.clientWidth")
    shot(page, "header-closed")
    toggle = page.locator("summary#menu-toggle")
    assert toggle.is_visible() and toggle.inner_text().startswith("Trình đơn")
    nav = page.locator("header nav.nav")
    assert not nav.is_visible()
    # No script: a click (or Enter on the summary) opens it; its links work.
    page.keyboard.press("Tab")  # the brand first, then the menu: the order of the page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "menu-toggle"
    page.keyboard.press("Enter")
    assert nav.is_visible()
    shot(page, "header-open")
    # The menu says where the person is: the list of cases, and nothing else.
    current = nav.locator('[aria-current="page"]')
    assert current.count() == 1 and current.inner_text() == "Hồ sơ"
    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("Escape")
    assert not nav.is_visible()
    assert page.evaluate("document.activeElement.id") == "menu-toggle"
    page.keyboard.press("Enter")
    assert nav.is_visible()
    # A tap outside it closes it too.
    page.mouse.click(200, 600)
    assert not nav.is_visible()
    toggle.click()
    assert nav.is_visible()
    link = nav.get_by_role("link", name="Thông báo")
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 40
    fits(page, 390)
    with page.expect_navigation():
        link.click()
    assert page.url == base + "/notifications"
    assert page.locator("h1").inner_text() == "Thông báo"
    assert nav.locator('[aria-current="page"]').text_content().strip().startswith("Thông báo")
    # Closed again on the next page; the language switch inside it works too.
    assert not nav.is_visible()
    toggle.click()
    with page.expect_navigation():
        nav.get_by_role("button", name="English").click()
    assert page.url == base + "/notifications" and page.locator("h1").inner_text() == \
        "Notifications"
    assert page.locator("summary#menu-toggle").inner_text().startswith("Menu")
    assert errors == []

    # A wide screen: the links in the bar, no menu to open.
    wide = open_page(browser, base, 1280, errors)
    log_in(wide, base, "gs.tuan", people["gs.tuan"][1])  # (a TOTP code is used once)
    wide.goto(base + "/cases")
    assert not wide.locator("summary#menu-toggle").is_visible()
    assert wide.locator("header nav.nav").get_by_role("link", name="Thông báo").is_visible()
    if os.environ.get("CASEAPP_SCREENSHOTS"):
        wide.screenshot(path=os.path.join(os.environ["CASEAPP_SCREENSHOTS"], "header-1280.png"))
    assert errors == []


def test_an_assignment_shows_its_confirmation_on_a_phone(live_server, browser):
    people, _reference = make_world(live_server)
    with live_server.app_context(), key_scope():
        from caseapp.accounts.models import User
        counselor = db.session.get(User, people["tvv.lan"][0])
        for _ in range(4):
            cases.record_intake(counselor, intake_data("XA"))
        db.session.commit()
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, 390, errors)
    log_in(page, base, "gs.tuan", people["gs.tuan"][1])
    page.goto(base + "/supervision")
    form = page.locator("form.assign-inline").last
    form.locator("select").select_option(index=1)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith("#messages"), page.url
    flash = page.locator("#messages .flash-info")
    assert flash.count() == 1 and flash.is_visible()
    box = flash.bounding_box()
    viewport = page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    assert errors == []
