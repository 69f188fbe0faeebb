"""Log in, see the home page in Vietnamese, log out, in a real browser."""
from __future__ import annotations

import pyotp
import pytest

from caseapp.admin import service as admin_service
from caseapp.crypto import key_scope
from caseapp.extensions import db
from tests.browser.conftest import create_staff
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.no_db_isolation]


def make_officer(app):
    with app.app_context(), key_scope():
        admin_service.create_unit("system", "HUYEN", "Huyện đoàn Đức Trọng")
        _user, secret = create_staff("mai.le", "officer", "HUYEN", "Lê Mai")
        db.session.commit()
        return secret


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_login_home_logout(live_server, browser, width):
    secret = make_officer(live_server)
    base = live_server.config["LIVE_URL"]
    page = browser.new_page(viewport={"width": width, "height": 800})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.fill("input[name=username]", "mai.le")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(base + "/login/code")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button.primary")
    page.wait_for_url(base + "/")
    assert "Xin chào, Lê Mai" in page.locator("h1").inner_text()
    # Nothing on the page is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width <= 480:  # on a phone the navigation is folded into its menu
        page.click("summary#menu-toggle")
    page.click("text=Đăng xuất")
    page.wait_for_url(base + "/login")
    assert "Bạn đã đăng xuất" in page.content()
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    assert errors == [], errors  # no CSP violations or script errors
