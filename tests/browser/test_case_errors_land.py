"""A refused action on the case page, in a real browser at a phone's width: the
page opens at the form, with the summary at the form's top and the message
under the field, both in view without scrolling; "what to do next" is at the
top of the page; "add a row" opens at the new row with what was typed."""
from __future__ import annotations

import pytest

from tests.browser.test_case_care import make_world
from tests.browser.test_case_lifecycle import fits, log_in, open_form, open_page, open_section

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH, HEIGHT = 390, 900


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT


def submit(page, selector: str):
    with page.expect_navigation():
        page.locator(selector).click()
    page.wait_for_load_state("load")


def test_a_refused_action_lands_at_its_form(live_server, browser):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    officer = open_page(browser, base, WIDTH, errors)
    # First without the plan form's script: every form must work without it.
    officer.route("**/static/plan_rows.js", lambda route: route.abort())
    log_in(officer, base, "cb.minh", people["cb.minh"][1])
    officer.goto(f"{base}/cases/{reference}")
    fits(officer, WIDTH)

    # What to do next is near the top: its links in view as the page opens.
    assert in_view(officer, "#next h2")
    assert officer.locator("#next a[href='#act-note']").count() == 1
    # The plan's form is on its own page: the link there leads to it.
    assert officer.locator(f"#next a[href='/cases/{reference}/actions/plan']").count() == 1
    # History is folded below the forms; who has seen the child is a line there
    # leading to its own page.
    assert officer.locator("#who-viewed").count() == 0
    assert officer.locator("#history a[data-section-link=who-viewed]").count() == 1
    assert not officer.locator("#timeline").evaluate("e => e.open")

    # The note form is far down the page on a phone; send it empty.
    note = officer.locator("form[data-action=note]")
    assert note.locator("textarea[required]").count() == 1
    assert note.locator(".required-mark").first.is_visible()
    submit(officer, "form[data-action=note] button.primary")
    assert officer.url.endswith(f"/cases/{reference}/note#act-note"), officer.url
    # The note's own page comes back (not the long case page), its title in view.
    assert officer.locator("#next").count() == 0
    assert officer.locator("#act-note h1").inner_text() == "Thêm ghi chú"
    assert in_view(officer, "#act-note h1")
    assert in_view(officer, "#act-note .error-summary")
    assert in_view(officer, "#note-text-error")
    assert officer.locator("#note-text-error").inner_text().strip() == "Ghi nội dung ghi chú."
    assert officer.locator("#note-text").get_attribute("aria-invalid") == "true"
    # The summary links to the field; the top of the page says it too.
    link = officer.locator("#act-note .error-summary a")
    assert link.get_attribute("href") == "#note-text"
    assert officer.locator("#back-to-case").get_attribute("href") == \
        f"/cases/{reference}#actions"
    fits(officer, WIDTH)

    # Saved: back at the top, with the message that it worked.
    officer.locator("#note-text").fill("Đã gọi điện cho mẹ của em")
    submit(officer, "form[data-action=note] button.primary")
    assert officer.url.endswith(f"/cases/{reference}#top"), officer.url
    assert in_view(officer, ".flash-info")

    # A feature's form on its own page lands the same way (consent to share, folded).
    open_section(officer, "consent")
    officer.locator("#consent-form summary").click()
    submit(officer, "form[data-action=sharing_consent] button.primary")
    assert officer.url.endswith("#consent-form"), officer.url
    assert officer.locator("#consent-form").evaluate("e => e.open")
    assert in_view(officer, "#consent-form .error-summary")
    assert in_view(officer, "#consent-agency-error")

    # The plan's "add a row" opens at the new, empty row, with what was typed kept.
    officer.goto(f"{base}/cases/{reference}")
    open_form(officer, "plan")
    plan = officer.locator("form[data-action=plan]")
    rows = plan.locator("[data-row]").count()
    plan.locator("#plan-items-0-action").fill("Tư vấn tâm lý hằng tuần")
    submit(officer, "form[data-action=plan] button.add-row")
    assert officer.url.endswith(f"#plan-items-{rows}-row"), officer.url
    plan = officer.locator("form[data-action=plan]")
    assert plan.locator("[data-row]").count() == rows + 1
    assert plan.locator("#plan-items-0-action").input_value() == "Tư vấn tâm lý hằng tuần"
    assert in_view(officer, f"#plan-items-{rows}-row .row-no")
    fits(officer, WIDTH)

    # With the script, the row is added in the page; what is typed in it is saved.
    officer.unroute("**/static/plan_rows.js")
    officer.goto(f"{base}/cases/{reference}")
    open_form(officer, "plan")
    plan = officer.locator("form[data-action=plan]")
    rows = plan.locator("[data-row]").count()
    url = officer.url
    plan.locator("button.add-row").click()
    assert officer.url == url and plan.locator("[data-row]").count() == rows + 1
    new_row = plan.locator("[data-row]").nth(rows)
    assert new_row.locator(".row-no").inner_text() == f"Hoạt động {rows + 1}"
    action = new_row.locator(f"#plan-items-{rows}-action")
    assert action.evaluate("e => e === document.activeElement")
    assert action.input_value() == ""
    action.fill("Thăm gia đình hằng tháng")
    submit(officer, "form[data-action=plan] button.primary")
    assert officer.url.endswith("#top") and officer.locator(".flash-info").count() == 1
    officer.locator("#records summary").click()
    assert officer.locator("#records .plan-table").first.inner_text().count(
        "Thăm gia đình hằng tháng") == 1

    # The refused submits answered 422 on purpose (Chromium logs that), and the
    # script was blocked on purpose at first; nothing else.
    assert [e for e in errors if "status of 422" not in e
            and "ERR_FAILED" not in e] == [], errors
