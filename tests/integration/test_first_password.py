"""A password someone else chose is replaced at the first login, before anything else:
the admin's from quickstart, an account an admin made, a reset an admin asked for."""
from __future__ import annotations

import re

import pytest

from caseapp.accounts import service as accounts
from caseapp.admin import changes
from caseapp.admin import service as admin_service
from caseapp.cli.quickstart import DEMO_UNIT, _make_admin, temporary_password
from caseapp.extensions import db
from tests.conftest import PASSWORD, Auth, MadeUser, csrf_token

NEW_PASSWORD = "một câu mật khẩu mới của riêng tôi"


def change_password(client, current: str):
    return client.post("/account", data={
        "csrf_token": csrf_token(client, "/account"), "current_password": current,
        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def assert_held_at_the_account_page(client, pages, api_calls):
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].endswith("/account"), path
    for method, path in api_calls:
        answer = client.open(path, method=method, json={},
                             headers={"X-CSRFToken": csrf_token(client, "/account")})
        assert answer.status_code == 403, (method, path)
        assert answer.is_json and "mật khẩu" in answer.get_json()["detail"]


def test_the_quickstart_password_is_typed_on_any_keyboard_and_passes_the_policy(app):
    drawn = {temporary_password() for _ in range(200)}
    assert len(drawn) == 200
    for password in drawn:
        assert re.fullmatch(r"[bcdefghjknprstuvx2-9]{4}(-[bcdefghjknprstuvx2-9]{4}){4}",
                            password)
        assert password.isascii()
    admin_service.create_unit("system", *DEMO_UNIT)
    password = _make_admin(accounts.SYSTEM)
    admin = accounts.find_user("admin")
    assert admin.must_change_password and admin.role == "admin"
    assert admin_service.checked_hash(password, "admin", "Quản trị viên")  # policy holds


def test_the_quickstart_admin_changes_the_printed_password_first(client):
    admin_service.create_unit("system", *DEMO_UNIT)
    printed = _make_admin(accounts.SYSTEM)
    db.session.commit()
    admin = accounts.find_user("admin")
    auth = Auth(client)
    answer = auth.login(MadeUser(admin, printed, None))
    assert answer.headers["Location"] == "/login/enrol"
    auth.enrol()
    assert_held_at_the_account_page(
        client, ["/", "/admin/users", "/admin/units", f"/admin/users/{admin.id}",
                 "/account-changes", "/audit"],
        [("GET", "/api/v1/me"), ("GET", "/api/v1/cases"), ("POST", "/api/v1/cases")])
    page = client.get("/account").get_data(as_text=True)
    assert "Đổi mật khẩu" in page
    assert change_password(client, printed).status_code == 302
    db.session.refresh(admin)
    assert not admin.must_change_password
    assert client.get("/admin/users").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_an_account_an_admin_made_changes_its_password_first(app, make_unit, make_user):
    district = make_unit()
    admin = make_user("admin", unit=district)
    supervisor = make_user("supervisor", unit=district)
    made = admin_service.create_user(admin.user, admin_service.NewUser(
        "tvv.moi", "counselor", district.code, PASSWORD, temporary_password=False))
    assert made.must_change_password  # a screen cannot say "their own"
    changes.confirm(supervisor.user, changes.pending_of(made)[0])
    db.session.commit()
    client = app.test_client()
    auth = Auth(client)
    assert auth.login(MadeUser(made, PASSWORD, None)).headers["Location"] == "/login/enrol"
    auth.enrol()
    assert_held_at_the_account_page(client, ["/cases", "/cases/new", "/cases/HS-0000-0001"],
                                    [("GET", "/api/v1/cases"), ("POST", "/api/v1/cases")])
    assert change_password(client, PASSWORD).status_code == 302
    assert client.get("/cases").status_code == 200


def test_a_password_an_admin_reset_is_changed_first(app, make_unit, make_user):
    district = make_unit()
    admin = make_user("admin", unit=district)
    supervisor = make_user("supervisor", unit=district)
    officer = make_user("officer", unit=district)
    admin_client = app.test_client()
    Auth(admin_client).login(admin)
    reset = "mật khẩu tạm thời do quản trị đặt"
    answer = admin_client.post(f"/admin/users/{officer.user.id}/password", data={
        "csrf_token": csrf_token(admin_client, f"/admin/users/{officer.user.id}"),
        "password": reset})
    assert answer.status_code == 302
    changes.confirm(supervisor.user, changes.pending_of(officer.user)[0])
    db.session.commit()
    assert officer.user.must_change_password
    client = app.test_client()
    Auth(client).login(officer, password=reset)
    assert_held_at_the_account_page(client, ["/", "/cases", "/supervision", "/admin/users"],
                                    [("GET", "/api/v1/me"), ("POST", "/api/v1/cases")])
    assert change_password(client, reset).status_code == 302
    assert client.get("/cases").status_code == 200


@pytest.mark.parametrize("own, forced", [(False, True), (True, False)])
def test_the_command_line_says_whose_password_it_is(runner, make_unit, own, forced):
    unit = make_unit()
    args = ["users", "create", "cb.cli", "--role", "officer", "--unit", unit.code,
            "--password-stdin"] + (["--own-password"] if own else [])
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert accounts.find_user("cb.cli").must_change_password is forced
    assert ("choose their own password" in result.output) is forced
