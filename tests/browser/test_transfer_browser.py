"""A transfer between units in a real browser, on a phone (390 px): the sending
supervisor asks, the officer sees the case "being transferred" and keeps it,
the receiving supervisor finds it in the supervision queue, sees no child data,
accepts, and gets the case without a lead officer; the officer loses it."""
from __future__ import annotations

import pytest

from caseapp.admin import service as admin_service
from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.browser.test_case_lifecycle import fits, log_in, open_page, open_section
from tests.cases.conftest import CHILD_NAME, assessment_data, intake_data

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

REASON = "Gia đình em chuyển về huyện Lâm Hà từ tuần trước"
PHONE = 390


def make_world(app) -> tuple[dict, str]:
    people = {}
    with app.app_context(), key_scope():
        admin_service.create_unit("system", "TINH", "Tỉnh đoàn Lâm Đồng")
        admin_service.create_unit("system", "HUYEN", "Huyện đoàn Đức Trọng", "TINH")
        admin_service.create_unit("system", "XA", "Đoàn xã Hiệp Thạnh", "HUYEN")
        admin_service.create_unit("system", "HUYEN2", "Huyện đoàn Lâm Hà", "TINH")
        for username, role, unit in [("tvv.lan", "counselor", "XA"), ("cb.minh", "officer", "XA"),
                                     ("gs.tuan", "supervisor", "HUYEN"),
                                     ("gs.khac", "supervisor", "HUYEN2"),
                                     ("cb.khac", "officer", "HUYEN2")]:
            user, secret = create_staff(username, role, unit, username)
            db.session.commit()
            people[username] = (user, secret)
        case = cases.record_intake(people["tvv.lan"][0], intake_data("XA"))
        cases.assign(people["gs.tuan"][0], case, AssignmentData(people["cb.minh"][0].id, ()))
        cases.transition(people["cb.minh"][0], case, "assessment", assessment_data())
        db.session.commit()
        reference = case.reference
        people = {name: (user.id, secret) for name, (user, secret) in people.items()}
    return people, reference


def test_transfer_from_request_to_acceptance_on_a_phone(live_server, browser):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []

    sender = open_page(browser, base, PHONE, errors)
    log_in(sender, base, "gs.tuan", people["gs.tuan"][1])
    officer = open_page(browser, base, PHONE, errors)
    log_in(officer, base, "cb.minh", people["cb.minh"][1])
    receiver = open_page(browser, base, PHONE, errors)
    log_in(receiver, base, "gs.khac", people["gs.khac"][1])

    # The sending supervisor asks, from the case's "Transfer" section.
    sender.goto(f"{base}/cases/{reference}")
    open_section(sender, "transfer")
    sender.select_option("select[name=transfer-to_unit]", "HUYEN2")
    sender.check("input[name=transfer-reason_code][value=child_moved]")
    sender.fill("textarea[name=transfer-reason]", REASON)
    with sender.expect_navigation():
        sender.locator("form[data-action=transfer_request] button[type=submit]").click()
    assert sender.locator(".flash-info").count() == 1, sender.content()
    assert sender.locator("#transfer [data-transfer-status=pending]").count() == 1
    fits(sender, PHONE)

    # The officer still has the case, marked as being transferred.
    officer.goto(f"{base}/cases/{reference}")
    assert officer.locator("#transfer-banner").count() == 1
    assert CHILD_NAME in officer.content()
    fits(officer, PHONE)

    # The receiving supervisor: the queue lists it, the page shows no child data.
    receiver.goto(f"{base}/supervision")
    incoming = receiver.locator("#transfers-in")
    assert reference in incoming.inner_text()
    fits(receiver, PHONE)
    with receiver.expect_navigation():
        incoming.locator(f"a:has-text('{reference}')").click()
    fits(receiver, PHONE)
    assert CHILD_NAME not in receiver.content() and REASON not in receiver.content()
    with receiver.expect_navigation():
        receiver.locator("form[data-action=transfer_accept] button[type=submit]").click()
    assert receiver.locator(".flash-info").count() == 1, receiver.content()
    assert f"/cases/{reference}" in receiver.url
    assert CHILD_NAME not in receiver.content()  # metadata only, as for any supervisor
    assert "Đã chuyển từ Đoàn xã Hiệp Thạnh sang Huyện đoàn Lâm Hà" in receiver.content()
    fits(receiver, PHONE)

    # It waits for a lead officer in the receiving unit; the sending officer lost it.
    receiver.goto(f"{base}/supervision")
    assert reference in receiver.locator("#unassigned").inner_text()
    response = officer.goto(f"{base}/cases/{reference}")
    assert response.status == 404
    assert CHILD_NAME not in officer.content()
    # The browser reports the expected 404 page as a failed resource: nothing else.
    assert [e for e in errors if "404" not in e] == [], errors
