"""Admins manage units and users in the web UI."""
from __future__ import annotations

import re

from sqlalchemy import select

from caseapp.accounts import service
from caseapp.accounts.models import User
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from caseapp.units import service as units
from tests.conftest import PASSWORD, Auth, csrf_token
from tests.sql_statements import statements_run


def test_admin_creates_a_unit_and_a_user(client, make_user):
    admin = make_user("admin")
    Auth(client).login(admin)
    token = csrf_token(client, "/admin/units/new")
    response = client.post("/admin/units/new", data={
        "csrf_token": token, "code": "xa2", "name": "Đoàn xã Tân Hội",
        "parent": admin.user.unit.code, "school_type": ""})
    assert response.status_code == 302
    unit = units.by_code("XA2")
    assert unit.parent_id == admin.user.unit_id and unit.path.startswith(admin.user.unit.path)

    token = csrf_token(client, "/admin/users/new")
    response = client.post("/admin/users/new", data={
        "csrf_token": token, "username": "Thu.Tran", "display_name": "Trần Thu",
        "role": "counselor", "unit": "XA2", "password": PASSWORD})
    assert response.status_code == 302
    created = service.find_user("thu.tran")
    assert created.unit_id == unit.id and created.role == "counselor"


def test_admin_form_errors_are_shown_and_change_nothing(client, make_user):
    admin = make_user("admin")
    Auth(client).login(admin)
    token = csrf_token(client, "/admin/users/new")
    response = client.post("/admin/users/new", data={
        "csrf_token": token, "username": "weak.one", "role": "officer",
        "unit": admin.user.unit.code, "password": "short"})
    assert response.status_code == 422
    assert "ít nhất 12 ký tự" in response.get_data(as_text=True)
    assert service.find_user("weak.one") is None


def test_admin_cannot_disable_themselves(client, make_user):
    admin = make_user("admin")
    Auth(client).login(admin)
    token = csrf_token(client, f"/admin/users/{admin.user.id}")
    client.post(f"/admin/users/{admin.user.id}/disable", data={"csrf_token": token})
    assert admin.user.is_enabled


def test_disabling_an_account_is_asked_first_and_the_page_leads_back(client, make_user):
    admin = make_user("admin")
    victim = make_user("counselor")
    Auth(client).login(admin)
    html = client.get(f"/admin/users/{victim.user.id}").get_data(as_text=True)
    # The disable button is inside a folded confirmation, not a one-tap form.
    confirm = html[html.index('id="confirm-disable"'):]
    confirm = confirm[:confirm.index("</details>")]
    assert f"/admin/users/{victim.user.id}/disable" in confirm and "Khóa ngay" in confirm
    assert html.count(f"/admin/users/{victim.user.id}/disable") == 1
    assert 'href="/admin/users"' in html
    token = csrf_token(client, f"/admin/users/{victim.user.id}")
    client.post(f"/admin/users/{victim.user.id}/disable", data={"csrf_token": token})
    db.session.refresh(victim.user)
    assert not victim.user.is_enabled


def test_supervisor_cannot_use_admin_actions(client, make_user):
    supervisor = make_user("supervisor")
    victim = make_user("counselor")
    Auth(client).login(supervisor)
    token = csrf_token(client, "/account")
    response = client.post(f"/admin/users/{victim.user.id}/disable", data={"csrf_token": token})
    assert response.status_code == 403
    assert victim.user.is_enabled


def test_service_refuses_non_admin_actor(make_user):
    import pytest

    from caseapp.permissions import PermissionDenied

    officer = make_user("officer")
    with pytest.raises(PermissionDenied):
        admin_service.create_user(officer.user, admin_service.NewUser("x.y.z", "admin", "U1",
                                                                      PASSWORD))


def test_the_last_admin_cannot_be_demoted_or_disabled(make_user):
    import pytest

    admin = make_user("admin")
    with pytest.raises(service.AccountError):
        admin_service.update_user(service.SYSTEM, admin.user, role="officer",
                            unit_code=admin.user.unit.code, display_name="")
    with pytest.raises(service.AccountError):
        admin_service.set_enabled(service.SYSTEM, admin.user, False)
    second = make_user("admin")
    admin_service.set_enabled(service.SYSTEM, admin.user, False)
    assert not admin.user.is_enabled and second.user.is_enabled


def test_admin_cannot_reset_own_password_from_the_admin_page(client, make_user):
    admin = make_user("admin")
    Auth(client).login(admin)
    token = csrf_token(client, f"/admin/users/{admin.user.id}")
    client.post(f"/admin/users/{admin.user.id}/password",
                data={"csrf_token": token, "password": "a new password for me"})
    from caseapp.accounts import passwords
    from caseapp.extensions import db

    db.session.refresh(admin.user)
    assert passwords.hasher().verify(admin.user.password_hash, PASSWORD)


def test_empty_forms_say_every_error_in_vietnamese(client, make_user):
    """WTForms has no Vietnamese: every validator's message is ours."""
    admin = make_user("admin")
    Auth(client).login(admin)
    for path, fields in (("/admin/units/new", {"code": "", "name": ""}),
                         ("/admin/users/new", {"username": "ab", "password": ""})):
        response = client.post(path, data={"csrf_token": csrf_token(client, path), **fields})
        html = response.get_data(as_text=True)
        assert "This field is required" not in html and "characters long" not in html
        assert "Trường này là bắt buộc." in html or "Nhập từ 3 đến 64 ký tự." in html
    unit_page = client.post("/admin/units/new", data={
        "csrf_token": csrf_token(client, "/admin/units/new"), "code": "", "name": ""})
    assert unit_page.get_data(as_text=True).count("Trường này là bắt buộc.") == 2
    assert units.by_code("") is None


def test_the_users_screen_pages_through_every_account_by_name(client, make_user, monkeypatch):
    admin = make_user("admin")
    for _ in range(4):
        make_user("officer")
    expected = sorted(db.session.scalars(select(User.username)))
    monkeypatch.setattr(admin_service, "USERS_PAGE_SIZE", 2)
    Auth(client).login(admin)
    seen, url, counts = [], "/admin/users", []
    for _ in range(10):  # bounded: a pager that does not move on fails, not hangs
        if not url:
            break
        response, statements = statements_run(lambda u=url: client.get(u))
        html = response.get_data(as_text=True)
        names = re.findall(r'<td data-label="[^"]+"><a href="/admin/users/[^"]+">([^<]+)</a>',
                           html)
        seen += names
        if len(names) == 2:
            counts.append(statements)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected and len(expected) >= 5
    assert len(set(counts)) == 1  # every full page costs the same statements


def test_past_the_choices_cap_units_are_typed_by_code(client, make_user, monkeypatch):
    """A province has thousands of units: the admin's forms (a new account, an
    account's unit, a new unit's parent) take a unit's code instead of a select
    of them all; the code is checked as a choice was."""
    from caseapp.units import forms as unit_forms

    monkeypatch.setattr(unit_forms, "UNIT_CHOICES_MAX", 0)
    admin = make_user("admin")
    Auth(client).login(admin)
    page = client.get("/admin/units/new").get_data(as_text=True)
    assert '<input id="parent" name="parent"' in page and '<select id="parent"' not in page
    home = admin.user.unit.code
    response = client.post("/admin/units/new", data={
        "csrf_token": csrf_token(client, "/admin/units/new"), "code": "xa3",
        "name": "Đoàn xã Tân Hội", "parent": f" {home.lower()} ", "school_type": ""})
    assert response.status_code == 302 and units.by_code("XA3").parent_id == admin.user.unit_id
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert '<input id="unit" name="unit"' in page
    for code in ("KHONGCO", "X" * 300):
        response = client.post("/admin/users/new", data={
            "csrf_token": csrf_token(client, "/admin/users/new"), "username": "thu.tran",
            "role": "counselor", "unit": code, "password": PASSWORD})
        assert response.status_code == 422 and service.find_user("thu.tran") is None
    response = client.post("/admin/users/new", data={
        "csrf_token": csrf_token(client, "/admin/users/new"), "username": "thu.tran",
        "role": "counselor", "unit": "xa3", "password": PASSWORD})
    assert response.status_code == 302
    created = service.find_user("thu.tran")
    assert created.unit.code == "XA3"
    # The account's page: its unit typed, its present code shown.
    page = client.get(f"/admin/users/{created.id}").get_data(as_text=True)
    assert '<input id="unit" name="unit"' in page and 'value="XA3"' in page
    # The partner tokens' form too.
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert '<select id="unit"' not in page and 'name="unit"' in page
