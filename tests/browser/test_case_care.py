"""Case care in a real browser at a phone's width: evidence upload and its
refusal of a disguised script, consent to share, a data-subject request
answered by a supervisor, the printed form 01 and its copy for the family.
Every page fits 390 px and logs no console error."""
from __future__ import annotations

import pytest

from caseapp.admin import service as admin_service
from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData, SupportData
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.browser.test_case_lifecycle import fits, log_in, open_page, open_section
from tests.care.test_evidence import png
from tests.cases.conftest import (
    CHILD_NAME,
    REPORTER_NAME,
    assessment_data,
    intake_data,
    plan_approved,
)

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

WIDTH = 390


def make_world(app) -> tuple[dict, str]:
    people = {}
    with app.app_context(), key_scope():
        admin_service.create_unit("system", "HUYEN", "Huyện đoàn Đức Trọng")
        admin_service.create_unit("system", "XA", "Đoàn xã Hiệp Thạnh", "HUYEN")
        for username, role, unit in [("tvv.lan", "counselor", "XA"), ("cb.minh", "officer", "XA"),
                                     ("gs.tuan", "supervisor", "HUYEN")]:
            user, secret = create_staff(username, role, unit, username)
            db.session.commit()
            people[username] = (user, secret)
        case = cases.record_intake(people["tvv.lan"][0], intake_data(
            "XA", harm_categories=("cyberbullying",)))
        cases.assign(people["gs.tuan"][0], case, AssignmentData(people["cb.minh"][0].id, ()))
        cases.transition(people["cb.minh"][0], case, "assessment",
                         assessment_data(risk_level="medium"))
        plan_approved(people["cb.minh"][0], people["gs.tuan"][0], case)
        cases.transition(people["cb.minh"][0], case, "support", SupportData())
        db.session.commit()
        reference = case.reference
        people = {name: (user.id, secret) for name, (user, secret) in people.items()}
    return people, reference


def post(page, action):
    form = page.locator(f"form[data-action={action}]")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_case_care_at_a_phones_width(live_server, browser):
    people, reference = make_world(live_server)
    base = live_server.config["LIVE_URL"]
    errors: list[str] = []
    officer = open_page(browser, base, WIDTH, errors)
    log_in(officer, base, "cb.minh", people["cb.minh"][1])
    officer.goto(f"{base}/cases/{reference}")
    fits(officer, WIDTH)

    # Evidence (its own page, from the case page's line): a script named .png
    # is refused with a message, a real PNG is kept.
    open_section(officer, "evidence")
    upload = officer.locator("form[data-action=evidence_upload]")
    upload.locator("input[type=file]").set_input_files(files=[{
        "name": "anh.png", "mimeType": "image/png", "buffer": b"#!/bin/sh\nrm -rf /\n"}])
    upload.locator("input[type=checkbox]").check()
    post(officer, "evidence_upload")
    assert officer.locator("#evidence .error, #evidence .flash-error").count() >= 1
    fits(officer, WIDTH)
    upload = officer.locator("form[data-action=evidence_upload]")
    upload.locator("input[type=file]").set_input_files(files=[{
        "name": "anh.png", "mimeType": "image/png", "buffer": png()}])
    upload.locator("input[type=checkbox]").check()
    post(officer, "evidence_upload")
    assert officer.locator("tr[data-attachment]").count() == 1

    # Consent to share with the cyber police, on the child's and guardian's word.
    officer.goto(f"{base}/cases/{reference}")
    open_section(officer, "consent")
    officer.locator("#sharing-consents summary").click()
    consent = officer.locator("form[data-action=sharing_consent]")
    consent.locator("select[name=consent-agency]").select_option("cybercrime_police")
    consent.locator("input[name=consent-child]").check()
    consent.locator("input[name=consent-guardian]").check()
    post(officer, "sharing_consent")
    assert officer.locator("li.consent").count() == 1

    # The guardian asks to see the child's data: recorded, answered by the supervisor.
    officer.goto(f"{base}/cases/{reference}")
    open_section(officer, "data-rights")
    officer.locator("#data-requests summary").click()
    request = officer.locator("form[data-action=data_request]")
    request.locator("input[name=data_request-kind][value=access]").check()
    request.locator("input[name=data_request-requested_by][value=guardian]").check()
    post(officer, "data_request")
    assert officer.locator("li.data-request.status-open").count() == 1
    fits(officer, WIDTH)

    # Form 01 and its copy for the family print at a phone's width too.
    officer.goto(f"{base}/cases/{reference}/print/01")
    assert CHILD_NAME in officer.content() and REPORTER_NAME in officer.content()
    fits(officer, WIDTH)
    officer.goto(f"{base}/cases/{reference}/print/01?copy=family")
    assert CHILD_NAME in officer.content() and REPORTER_NAME not in officer.content()
    fits(officer, WIDTH)

    supervisor = open_page(browser, base, WIDTH, errors)
    log_in(supervisor, base, "gs.tuan", people["gs.tuan"][1])
    supervisor.goto(f"{base}/supervision")
    assert supervisor.locator("#data-requests tr[data-request]").count() == 1
    fits(supervisor, WIDTH)
    supervisor.goto(f"{base}/cases/{reference}")
    assert CHILD_NAME not in supervisor.content()  # metadata only
    open_section(supervisor, "data-rights")
    answer = supervisor.locator("form[data-action=answer_data_request]")
    answer.locator("input[value=granted]").check()
    answer.locator("textarea").fill("Đã gửi bản Mẫu 01 dành cho gia đình")
    post(supervisor, "answer_data_request")
    assert supervisor.locator("li.data-request.status-granted").count() == 1
    fits(supervisor, WIDTH)
    # The refused upload answered 422 on purpose (Chromium logs that); nothing else.
    assert [e for e in errors if "status of 422" not in e] == [], errors
    assert len(errors) == 1, errors
