"""The 100% view in a real browser at a phone's width: a supervisor opens the
figures, follows a late case to its page, records an awareness session for a
school and sees it counted, and downloads the XLSX report, which verifies
against the log. Every page fits 390 px and logs no console error."""
from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import load_workbook

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData
from caseapp.crypto import key_scope
from caseapp.extensions import db
from caseapp.reports import service as reports
from tests.browser.conftest import create_staff
from tests.browser.test_case_lifecycle import fits, log_in, open_menu, open_page
from tests.cases.conftest import CHILD_NAME, intake_data

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH = 390


def make_world(app) -> tuple[dict, str]:
    with app.app_context(), key_scope():
        admin_service.create_unit("system", "HUYEN", "Huyện đoàn Đức Trọng")
        admin_service.create_unit("system", "XA", "Liên đội Tiểu học Hiệp Thạnh", "HUYEN",
                                  "primary")
        people = {}
        for username, role, unit in [("tvv.lan", "counselor", "XA"), ("cb.minh", "officer", "XA"),
                                     ("gs.tuan", "supervisor", "HUYEN")]:
            user, secret = create_staff(username, role, unit, username)
            db.session.commit()
            people[username] = (user, secret)
        # Received four days ago, assigned, never assessed: late (72 hours).
        received = (clock.now() - timedelta(days=4)).replace(second=0, microsecond=0)
        late = cases.record_intake(people["tvv.lan"][0], intake_data("XA", received_at=received))
        cases.assign(people["gs.tuan"][0], late, AssignmentData(people["cb.minh"][0].id, ()))
        db.session.commit()
        reference = late.reference
        people = {name: (user.id, secret) for name, (user, secret) in people.items()}
    return people, reference


def test_a_supervisor_follows_the_figures_at_a_phones_width(live_server, browser, tmp_path):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    page = open_page(browser, base, WIDTH, errors)
    log_in(page, base, "gs.tuan", people["gs.tuan"][1])

    open_menu(page)
    page.click("nav a[href='/figures']")
    page.wait_for_url(f"{base}/figures")
    assert page.locator("#handled .headline").is_visible()
    assert page.locator(f"#not-handled tr[data-reference='{reference}']").count() == 1
    assert page.locator("#awareness #schools-without li[data-unit=XA]").count() == 1
    assert CHILD_NAME not in page.content()
    fits(page, WIDTH)

    # The late case, followed to its page.
    late = page.locator(f"#late tr[data-reference='{reference}'] a")
    with page.expect_navigation():
        late.click()
    assert page.url == f"{base}/cases/{reference}"
    fits(page, WIDTH)

    # An awareness session for the school: the figures count it.
    page.goto(f"{base}/awareness")
    form = page.locator("#new-session form")
    form.locator("select[name=unit]").select_option("XA")
    form.locator("input[name=held_on]").fill(
        clock.now().date().strftime("%d/%m/%Y"))
    form.locator("input[name=audiences][value=children]").check()
    form.locator("input[name=attendees]").fill("120")
    form.locator("input[name=topic]").fill("An toàn trên mạng")
    fits(page, WIDTH)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".flash-info").count() == 1
    assert page.locator("#sessions tbody tr").count() == 1
    fits(page, WIDTH)
    page.goto(f"{base}/figures")
    assert page.locator("#awareness #schools-without li[data-unit=XA]").count() == 0

    # The XLSX report: downloaded, readable, and it verifies against the log.
    download_form = page.locator("#download form")
    download_form.locator("select[name=format]").select_option("xlsx")
    with page.expect_download() as info:
        download_form.locator("button[type=submit]").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.startswith("bao-cao-HUYEN-") and saved.suffix == ".xlsx"
    sheet = load_workbook(saved).worksheets[0]
    assert any(row[0] == "Tổng cộng" for row in sheet.iter_rows(values_only=True))
    with live_server.app_context():
        verdict = reports.verify_file(saved.read_bytes())
    assert verdict.ok, verdict.problems
    assert errors == []
