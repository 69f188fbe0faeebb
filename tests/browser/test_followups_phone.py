"""Follow-ups in a real browser at a phone's width (390 px), in Vietnamese:
the case page's line leads to the section, the officer plans a follow-up
through its form (a refused one first, with its message), and the line then
names the next one. Nothing is wider than the screen."""
from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.cases.deadlines import VIETNAM
from tests.browser.test_case_care import make_world
from tests.browser.test_case_lifecycle import fits, log_in, open_page

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH = 390


def submit(page, action):
    with page.expect_navigation():
        page.locator(f"form[data-action={action}] button[type=submit]").click()


def test_a_follow_up_planned_at_a_phones_width(live_server, browser):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, WIDTH, errors)
    log_in(page, base, "cb.minh", people["cb.minh"][1])
    page.goto(f"{base}/cases/{reference}")
    with page.expect_navigation():
        page.click("a[data-section-link=followups]")
    fits(page, WIDTH)

    page.click("#follow-up-form summary")
    fits(page, WIDTH)
    submit(page, "follow-up-form")  # nothing filled in: refused, in Vietnamese
    assert "Hãy nhập ngày theo dõi." in page.content()
    fits(page, WIDTH)
    errors.clear()
    day = (clock.now().astimezone(VIETNAM) + timedelta(days=3)).strftime("%d/%m/%Y")
    page.fill("#followup-due_on", day)
    page.check("input[name=followup-kind][value=home_visit]")
    page.select_option("#followup-assignee_id", index=1)
    submit(page, "follow-up-form")
    fits(page, WIDTH)
    assert day in page.content()

    page.goto(f"{base}/cases/{reference}")
    line = page.locator("a[data-section-link=followups]").inner_text()
    assert day[:5] in line or day in line, line
    fits(page, WIDTH)
    assert errors == []
