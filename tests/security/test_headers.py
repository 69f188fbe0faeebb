"""Security headers on every route, and error pages that reveal nothing."""
from __future__ import annotations

import pytest

from tests.conftest import Auth

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            yield rule.rule


# The public help form's pages send no Referer at all (caseapp.public_help).
NO_REFERRER = ("/help", "/en/help")


def assert_secure(response, path):
    for name, value in REQUIRED.items():
        if name == "Referrer-Policy" and path.startswith(NO_REFERRER):
            value = "no-referrer"
        assert response.headers.get(name) == value, (path, name)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert response.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("who", ["anonymous", "counselor", "admin"])
def test_every_get_route_sends_security_headers(app, client, make_user, who):
    if who != "anonymous":
        Auth(client).login(make_user(who, totp=(who == "admin")))
    routes = list(get_routes(app))
    assert "/login" in routes and "/help" in routes and "/admin/users" in routes
    for path in routes:
        response = client.get(path)
        assert_secure(response, path)


def test_error_pages_have_headers_and_say_nothing(client):
    response = client.get("/no/such/page?child=Nguyen")
    assert response.status_code == 404
    assert_secure(response, "404")
    body = response.get_data(as_text=True)
    assert "Nguyen" not in body and "Traceback" not in body
    assert "Không tìm thấy" in body


def test_non_admin_gets_403_on_admin_pages(client, auth, make_user):
    auth.login(make_user("supervisor"))
    for path in ("/admin/users", "/admin/units", "/admin/users/new", "/admin/units/new"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Không được phép" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    for path in ("/", "/account", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_500_page_rolls_back_and_reveals_nothing(app, client, make_user, monkeypatch):
    counselor = make_user("counselor")
    Auth(client).login(counselor)

    def explode():
        raise RuntimeError("child name Nguyễn Thị A in an exception message")

    monkeypatch.setitem(app.view_functions, "public_help.form", explode)
    response = client.get("/help")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Nguyễn" not in body and "RuntimeError" not in body
    assert "Mã tham chiếu" in body
    assert_secure(response, "/help")  # the form's own page: no-referrer


def test_open_redirect_is_refused(client, auth, make_user):
    counselor = make_user("counselor")
    from tests.conftest import csrf_token

    token = csrf_token(client)
    response = client.post("/login?next=https://evil.example/", data={
        "csrf_token": token, "username": counselor.username, "password": counselor.password})
    assert response.headers["Location"] == "/login/code"
    response = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"),
                                                "code": counselor.code()})
    assert response.headers["Location"] == "/"
