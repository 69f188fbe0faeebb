"""Fixtures of the case screens: the domain's people and cases, and logged-in clients."""
from __future__ import annotations

import re

import pyotp
import pytest

from caseapp import clock
from caseapp.accounts import service as accounts
from caseapp.extensions import db
from tests.case_actions import action_href
from tests.cases.conftest import (  # noqa: F401  (fixtures, re-exported)
    make_case,
    password_hash,
    people,
)
from tests.conftest import PASSWORD, Auth, MadeUser

TOKEN_RE = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"')


def enrol(user) -> MadeUser:
    """Give a test user a second factor, as the first login would."""
    accounts.begin_totp_enrolment(user)
    secret = accounts.enrolment_secret(user)
    totp = pyotp.TOTP(secret)
    accounts.confirm_totp_enrolment(user, totp.generate_otp(totp.timecode(clock.now())))
    user.totp_last_step = None
    db.session.commit()
    return MadeUser(user, PASSWORD, secret)


@pytest.fixture
def login(app):
    """``login(user)``: a fresh client logged in as ``user`` (one client per person)."""
    enrolled: dict[str, MadeUser] = {}  # a second login of the same person reuses the phone

    def log_in(user):
        client = app.test_client()
        if user.id not in enrolled:
            enrolled[user.id] = enrol(user) if user.role in app.config["TOTP_ROLES"] \
                else MadeUser(user, PASSWORD, None)
        made = enrolled[user.id]
        response = Auth(client).login(made)
        assert response.status_code in (200, 302), response.status_code
        client.user = user
        return client
    return log_in


def token(client, path: str = "/cases") -> str:
    html = client.get(path).get_data(as_text=True)
    match = TOKEN_RE.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def api_token(client) -> str:
    return client.get("/api/v1/me").json["csrf_token"]


def act(client, reference: str, action: str, item: str | None = None, *, follow=False,
        **fields):
    """POST one action form of the case page, its field names prefixed like the page's."""
    prefix = f"{action}-{item}" if item else action
    # The form where a person finds it (its own page, linked from the case
    # page); an action not offered to them has no link: the token is the case
    # page's then, as a forged form would carry.
    path = f"/cases/{reference}"
    page = client.get(path).get_data(as_text=True)
    href = None if f'data-action="{action}"' in page else action_href(page, action, item)
    if href:
        path, page = href, client.get(href).get_data(as_text=True)
    version = re.search(rf'name="{re.escape(prefix)}-version" type="hidden" value="(\d+)"', page)
    form = {f"{prefix}-csrf_token": token(client, path)}
    if version:
        form[f"{prefix}-version"] = version.group(1)
    else:
        # A forged form (the action is not offered) names the case's current
        # version, read where its author could (the API), so that what is
        # tested is the action's refusal, not a conflict.
        shown = client.get(f"/api/v1/cases/{reference}")
        if shown.status_code == 200:
            form[f"{prefix}-version"] = str(shown.get_json()["case"]["version"])
    for name, value in fields.items():
        form[name if name == "next" else f"{prefix}-{name}"] = value
    url = f"/cases/{reference}/{action}" + (f"/{item}" if item else "")
    return client.post(url, data=form, follow_redirects=follow)
