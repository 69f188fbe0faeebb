"""Taking harmful content down in a real browser at a phone's width (390 px),
in Vietnamese: the case page's line leads to the section, where the officer
records an item, a request and its outcome through the page's forms; a
refused form comes back with its message; the supervisor's figures page fits
too. Screenshots go to ``$CASEAPP_SCREENSHOTS`` when it is set."""
from __future__ import annotations

import os

import pytest

from caseapp import clock
from caseapp.cases.deadlines import VIETNAM
from tests.browser.test_case_care import make_world
from tests.browser.test_case_lifecycle import fits, log_in, open_page

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH = 390
LINK = "https://www.tiktok.com/@mot.tai.khoan.rat.dai.de.thu.do.rong.man.hinh/video/7301234567890123456"


def shot(page, name: str) -> None:
    folder = os.environ.get("CASEAPP_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}-{WIDTH}.png"), full_page=True)


def submit(page, action):
    with page.expect_navigation():
        page.locator(f"form[data-action={action}] button[type=submit]").click()


def test_takedown_at_a_phones_width(live_server, browser):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, WIDTH, errors)
    log_in(page, base, "cb.minh", people["cb.minh"][1])
    page.goto(f"{base}/cases/{reference}")
    with page.expect_navigation():
        page.click("a[data-section-link=takedown]")
    fits(page, WIDTH)
    assert "Gỡ nội dung độc hại" in page.content()

    page.click("#takedown-item summary")
    page.select_option("#takedown-item-platform", "tiktok")
    submit(page, "takedown_item")  # no link: refused, in Vietnamese
    assert "Nhập đường dẫn hoặc tên tài khoản của nội dung." in page.content()
    fits(page, WIDTH)
    assert errors == ["Failed to load resource: the server responded with a status of 422 "
                      "(UNPROCESSABLE ENTITY)"]  # the refused form's answer, nothing else
    errors.clear()
    page.fill("#takedown-item-link", LINK)
    submit(page, "takedown_item")
    assert "Đã ghi nhận nội dung" in page.content()
    fits(page, WIDTH)

    page.click("#takedown-request summary")
    page.select_option("#takedown-request-item", index=1)
    page.check("input[name=takedown-request-channel][value=trusted_flagger]")
    today = clock.now().astimezone(VIETNAM).strftime("%d/%m/%Y")
    page.fill("#takedown-request-sent_on", today)
    page.fill("#takedown-request-ticket", "TT-2026-000123456789-ABCDEFGHIJ")
    submit(page, "takedown_request")
    assert "Đã ghi nhận yêu cầu gỡ." in page.content()
    fits(page, WIDTH)
    shot(page, "takedown-section")

    page.locator("details[id^=takedown-outcome-] summary").first.click()
    page.select_option("select[name=takedown-outcome-outcome]", "removed")
    page.fill("input[name=takedown-outcome-on]", today)
    submit(page, "takedown_outcome")
    assert "Đã ghi nhận kết quả của yêu cầu." in page.content()
    fits(page, WIDTH)

    page.goto(f"{base}/cases/{reference}")
    line = page.locator("a[data-section-link=takedown]").inner_text()
    assert "1 nội dung, đã gỡ 1" in line
    assert errors == []

    supervisor = open_page(browser, base, WIDTH, errors)
    log_in(supervisor, base, "gs.tuan", people["gs.tuan"][1])
    supervisor.goto(f"{base}/supervision/takedown")
    fits(supervisor, WIDTH)
    html = supervisor.content()
    assert 'data-platform="tiktok"' in html and reference not in html and LINK not in html
    shot(supervisor, "takedown-figures")
    assert errors == []
