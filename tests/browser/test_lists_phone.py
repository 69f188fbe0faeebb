"""The paged lists at a phone's width (390 px), without JavaScript: "My cases"
with its search box and pager, a case opened from page 2 and back again, the
notices stacked one under the other, a supervision list. Screenshots go to
``$CASEAPP_SCREENSHOTS`` when it is set (to look at them)."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.cases import queries
from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData
from caseapp.crypto import key_scope
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.supervision import service as supervision
from tests.browser.test_case_care import make_world
from tests.browser.test_case_lifecycle import fits, log_in, open_page
from tests.cases.conftest import intake_data

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH = 390


def shot(page, name: str) -> None:
    folder = os.environ.get("CASEAPP_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}-{WIDTH}.png"), full_page=True)


def test_lists_at_a_phones_width(live_server, browser, monkeypatch):
    people, reference = make_world(live_server)
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    monkeypatch.setattr(supervision, "SHOWN", 3)
    with live_server.app_context(), key_scope():
        officer = db.session.get(User, people["cb.minh"][0])
        supervisor = db.session.get(User, people["gs.tuan"][0])
        counselor = db.session.get(User, people["tvv.lan"][0])
        for _ in range(6):
            case = cases.record_intake(counselor, intake_data("XA"))
            cases.assign(supervisor, case, AssignmentData(officer.id, ()))
        now = clock.now()
        for minutes, kind in ((1, "assigned"), (5, "deadline_missed"), (9, "plan_approved"),
                              (30, "deadline_soon"), (60, "match_found")):
            db.session.add(Notification(user_id=officer.id, kind=kind, case_reference=reference,
                                        created_at=now - timedelta(minutes=minutes)))
        db.session.commit()
        assert db.session.scalar(select(User.id).where(User.id == officer.id))
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, WIDTH, errors)
    page.context.set_extra_http_headers({})
    log_in(page, base, "cb.minh", people["cb.minh"][1])

    page.goto(base + "/cases")
    fits(page, WIDTH)
    assert page.locator("#list-position").inner_text() == "1–3 trong 7"
    shot(page, "my-cases")
    page.click("a[rel=next]")
    fits(page, WIDTH)
    assert page.locator("#list-position").inner_text() == "4–6 trong 7"
    second = page.url
    page.locator("table.case-list a").first.click()
    page.wait_for_load_state("load")
    fits(page, WIDTH)
    back = page.locator("#back-to-list")
    assert back.inner_text() == "← Quay lại danh sách"
    shot(page, "case-back-link")
    back.click()
    page.wait_for_load_state("load")
    assert page.url == second
    page.click("a[rel=prev]")
    page.wait_for_load_state("load")
    assert page.locator("#list-position").inner_text() == "1–3 trong 7"

    # The search box: a reference's beginning, posted (nothing typed reaches the URL).
    page.fill("#ref", reference[:6])
    page.click(".list-search button")
    page.wait_for_load_state("load")
    assert f"ref={reference[:6]}" in page.url
    assert reference in page.locator("table.case-list").inner_text()
    fits(page, WIDTH)
    page.fill("#ref", "Nguyễn Văn An")
    page.click(".list-search button")
    page.wait_for_load_state("load")
    assert "Nguy" not in page.url and page.locator("#search-error").count() == 1
    fits(page, WIDTH)
    shot(page, "my-cases-search-refused")

    page.goto(base + "/notifications")
    fits(page, WIDTH)
    rows = page.locator("li.notification")
    assert rows.count() >= 5
    for i in range(rows.count()):
        row = rows.nth(i)
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        parts = [row.locator(f".notification-{part}").bounding_box()
                 for part in ("when", "text", "actions")]
        # Stacked: each part under the one before, none wider than the row.
        assert parts[0]["y"] < parts[1]["y"] < parts[2]["y"]
        assert all(p["x"] + p["width"] <= box["x"] + box["width"] + 0.5 for p in parts)
    shot(page, "notifications")

    page.context.clear_cookies()
    log_in(page, base, "gs.tuan", people["gs.tuan"][1])
    page.goto(base + "/cases")
    assert page.locator("h1").inner_text() == "Hồ sơ của đơn vị"
    fits(page, WIDTH)
    page.goto(base + "/supervision/plan-missing")
    fits(page, WIDTH)
    shot(page, "supervision-list")
    assert [e for e in errors if "status of 422" not in e] == []  # the refused search
