"""A real server in a thread and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from caseapp import MIGRATIONS_DIR, create_app
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from tests.conftest import settings_for_tests


@pytest.fixture
def live_server(tmp_path):
    app = create_app(settings_for_tests(str(tmp_path),
                                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/browser.db"),
                     env="testing")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
    # CASEAPP_BROWSER_PORT: a fixed port (a session that must keep to its own range)
    server = make_server("127.0.0.1", int(os.environ.get("CASEAPP_BROWSER_PORT", "0")), app,
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def create_staff(username: str, role: str, unit: str, name: str = "") -> tuple:
    """A user for a browser test, with TOTP enrolled (every role logs in with it).

    Returns (user, secret); the caller holds an app context and a key scope
    and commits. The enrolment's code step is cleared so the login can use it.
    """
    import pyotp

    from caseapp.accounts import service as accounts
    from tests.conftest import PASSWORD

    user = admin_service.create_user(accounts.SYSTEM,
                                admin_service.NewUser(username, role, unit, PASSWORD, name,
                                                      temporary_password=False))
    accounts.begin_totp_enrolment(user)
    secret = accounts.enrolment_secret(user)
    accounts.confirm_totp_enrolment(user, pyotp.TOTP(secret).now())
    user.totp_last_step = None
    return user, secret
