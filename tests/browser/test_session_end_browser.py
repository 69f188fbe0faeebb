"""The idle warning in a real browser at a phone's width, with a one-minute idle
limit: it appears, "Ở lại đăng nhập" keeps the session past its old deadline, and
a note typed while the session ended comes back into the form after logging in
again, with nothing left in the browser's storage. The server's clock is moved
forward (same process) instead of waiting."""
from __future__ import annotations

import threading
from datetime import timedelta

import pyotp
import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from caseapp import MIGRATIONS_DIR, clock, create_app
from caseapp.admin import service as admin_service
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.conftest import PASSWORD, settings_for_tests

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]

NOTE = "Em kể bị nhắn tin đe doạ lúc 22 giờ; mẹ em đang ở cạnh."  # synthetic


@pytest.fixture
def short_idle_server(tmp_path):
    app = create_app(settings_for_tests(
        str(tmp_path), SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/browser.db",
        SESSION_IDLE_MINUTES=1, SESSION_WARN_SECONDS=57), env="testing")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with key_scope():
            admin_service.create_unit("system", "XA", "Đoàn xã Hiệp Thạnh")
            _user, secret = create_staff("tvv.lan", "counselor", "XA", "Trần Lan")
            db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", secret
    finally:
        server.shutdown()
        thread.join(timeout=10)
        clock.reset()
        with app.app_context():
            db.engine.dispose()


def log_in(page, base, secret, landing):
    page.goto(base + "/login")
    page.fill("input[name=username]", "tvv.lan")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")
    # The server's clock may have been moved: the code of its time step.
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock.now()))
    with page.expect_navigation():
        page.click("button.primary")
    page.wait_for_url(base + landing)


def open_phone(browser, errors):
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def test_the_idle_warning_appears_and_staying_signed_in_keeps_the_session(
        short_idle_server, browser):
    base, secret = short_idle_server
    errors: list[str] = []
    page = open_phone(browser, errors)
    log_in(page, base, secret, "/")
    page.goto(base + "/cases/new")
    page.fill("textarea[name=narrative]", NOTE)
    warning = page.locator("#session-watch [role=alertdialog]")
    warning.wait_for(state="visible", timeout=15000)
    assert "Phiên làm việc sắp hết hạn" in warning.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alertdialog"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    clock.travel(timedelta(seconds=40))  # the person reads, then decides
    page.click("text=Ở lại đăng nhập")
    warning.wait_for(state="hidden", timeout=10000)
    clock.travel(timedelta(seconds=25))  # past the old deadline, inside the new one
    assert page.input_value("textarea[name=narrative]") == NOTE
    page.goto(base + "/cases/new")
    assert page.url == base + "/cases/new"  # still signed in
    assert errors == [], errors


def test_a_note_typed_while_the_session_ended_comes_back_after_logging_in(
        short_idle_server, browser):
    base, secret = short_idle_server
    errors: list[str] = []
    page = open_phone(browser, errors)
    log_in(page, base, secret, "/")
    page.goto(base + "/cases/new")
    page.fill("textarea[name=narrative]", NOTE)
    clock.travel(timedelta(seconds=90))  # the idle limit passes while typing
    form = page.locator("form:has(textarea[name=narrative])")
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()
    assert page.url.startswith(base + "/login")
    assert "nội dung bạn vừa nhập được giữ lại trong 30 phút" in page.content()
    assert "Biểu mẫu đã hết hạn" not in page.content()
    log_in(page, base, secret, "/cases/new")
    page.wait_for_load_state("load")
    assert page.input_value("textarea[name=narrative]") == NOTE
    stored = page.evaluate("localStorage.length + sessionStorage.length")
    assert stored == 0
    assert errors == [], errors
