"""Each request gets its own context, whatever context the server runs in.

A server process that has an application context active (one forked inside a
CLI command, as `caseapp serve` once was) must still answer every request as
its own caller. The plain FlaskClient is used on purpose: the suite's
IsolatedClient already gives each request a fresh context.
"""
from __future__ import annotations

from flask import g
from flask.testing import FlaskClient

from tests.conftest import csrf_token


def test_an_active_app_context_is_not_reused_by_requests(app, make_user):
    counselor = make_user("counselor")
    person = FlaskClient(app, use_cookies=True)
    stranger = FlaskClient(app, use_cookies=True)
    with app.app_context():  # what a forked server would have inherited
        g.leaked_marker = "inherited"
        token = csrf_token(person, "/login")
        answer = person.post("/login", data={"csrf_token": token,
                                             "username": counselor.username,
                                             "password": counselor.password})
        assert answer.status_code == 302
        answer = person.post("/login/code", data={"csrf_token": csrf_token(person, "/login/code"),
                                                  "code": counselor.code()})
        assert answer.status_code == 302
        assert person.get("/api/v1/me").get_json()["username"] == counselor.username
        assert stranger.get("/api/v1/me").status_code == 401
        # The inherited g is untouched by the requests, and they never saw it.
        assert g.leaked_marker == "inherited"
        assert "_login_user" not in g and "csrf_token" not in g


def test_csrf_tokens_differ_between_sessions_in_one_process(app, make_user):
    first, second = FlaskClient(app, use_cookies=True), FlaskClient(app, use_cookies=True)
    with app.app_context():
        assert csrf_token(first, "/login") != csrf_token(second, "/login")
