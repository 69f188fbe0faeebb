"""Break-glass in a real browser: a supervisor asks with a reason, reads the
child's details read-only, the lead officer is notified, and the access ends
on its own when the (server's) clock passes BREAK_GLASS_MINUTES."""
from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.browser.test_case_lifecycle import log_in, open_page, open_section
from tests.cases.conftest import CHILD_NAME, intake_data

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

REASON = "Em đang gặp nguy hiểm ngay lúc này, cán bộ phụ trách không nghe máy"


def make_world(app) -> tuple[dict, str]:
    people = {}
    with app.app_context(), key_scope():
        admin_service.create_unit("system", "TINH", "Tỉnh đoàn Lâm Đồng")
        admin_service.create_unit("system", "HUYEN", "Huyện đoàn Đức Trọng", "TINH")
        admin_service.create_unit("system", "XA", "Đoàn xã Hiệp Thạnh", "HUYEN")
        for username, role, unit in [("tvv.lan", "counselor", "XA"), ("cb.minh", "officer", "XA"),
                                     ("gs.tuan", "supervisor", "HUYEN"),
                                     ("gs.tinh", "supervisor", "TINH")]:
            user, secret = create_staff(username, role, unit, username)
            db.session.commit()
            people[username] = (user, secret)
        case = cases.record_intake(people["tvv.lan"][0], intake_data("XA"))
        cases.assign(people["gs.tuan"][0], case, AssignmentData(people["cb.minh"][0].id, ()))
        db.session.commit()
        reference = case.reference
        people = {name: (user.id, secret) for name, (user, secret) in people.items()}
    return people, reference


def test_break_glass_from_request_to_expiry(live_server, browser):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    try:
        sup = open_page(browser, base, 390, errors)
        log_in(sup, base, "gs.tuan", people["gs.tuan"][1])
        minh = open_page(browser, base, 1280, errors)
        log_in(minh, base, "cb.minh", people["cb.minh"][1])

        sup.goto(f"{base}/cases/{reference}")
        assert sup.locator("#metadata-only").count() == 1
        assert CHILD_NAME not in sup.content()

        # Too short a reason: refused, nothing opened.
        sup.fill("textarea[name=break_glass-reason]", "khẩn cấp")
        with sup.expect_navigation():
            sup.locator("form[data-action=break_glass] button[type=submit]").click()
        assert sup.locator("#break-glass .error").count() == 1
        assert CHILD_NAME not in sup.content()
        errors[:] = [e for e in errors if "422" not in e]  # the expected refusal above

        sup.fill("textarea[name=break_glass-reason]", REASON)
        with sup.expect_navigation():
            sup.locator("form[data-action=break_glass] button[type=submit]").click()
        assert sup.locator("#break-glass-active").count() == 1
        assert CHILD_NAME in sup.locator("#child").inner_text()
        assert sup.locator("form[data-action=note]").count() == 0  # read-only
        open_section(sup, "who-viewed")
        assert sup.locator("#who-viewed li.via-break_glass").count() >= 1
        sup.goto(f"{base}/cases/{reference}")

        # The lead officer is told, without the child's details.
        minh.goto(f"{base}/notifications")
        unread = int(minh.locator("#unread-count").inner_text())  # the assignment too
        notice = minh.locator(".notification[data-kind=break_glass]")
        assert reference in notice.inner_text() and CHILD_NAME not in minh.content()
        with minh.expect_navigation():
            notice.locator("form button").click()
        assert minh.locator(".notification.is-unread[data-kind=break_glass]").count() == 0
        left = minh.locator("#unread-count")
        assert (int(left.inner_text()) if left.count() else 0) == unread - 1
        minh.goto(f"{base}/cases/{reference}")
        open_section(minh, "who-viewed")
        assert minh.locator("#who-viewed li.via-break_glass").count() >= 1

        # Time passes on the server; the supervisor keeps the session alive.
        for _step in range(5):
            clock.travel(timedelta(minutes=10))
            sup.reload()
            assert CHILD_NAME in sup.content()
        clock.travel(timedelta(minutes=11))
        sup.reload()
        assert CHILD_NAME not in sup.content()
        assert sup.locator("#metadata-only").count() == 1
        assert sup.locator("#break-glass-active").count() == 0
        assert sup.locator("form[data-action=break_glass]").count() == 1

        sup.goto(f"{base}/supervision")
        uses = sup.locator("#break-glass-uses").inner_text()
        assert reference in uses and REASON in uses
        assert errors == [], errors
    finally:
        clock.reset()
