"""No path from an admin to a child: account changes need a second person.

The path a hostile review took: an admin raised their own role, created an
officer, logged in as it and printed a child's form. Each step below is what
an admin (or two) would try; each is refused or waits for a supervisor of the
receiving unit (or another admin), and the supervisors are told.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.accounts import service as accounts
from caseapp.accounts.models import AccountChange
from caseapp.admin import changes
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.permissions import PermissionDenied
from tests.cases.conftest import audit_count
from tests.conftest import PASSWORD, Auth, MadeUser, csrf_token

NEW_PASSWORD = "sông dài núi xa mây trắng bay"


@pytest.fixture
def org(make_unit, make_user):
    district = make_unit("HUYENX")
    commune = make_unit("XAX", parent=district)
    lone = make_unit("LEX")  # a unit with no supervisor anywhere above it

    class Org:
        pass

    org = Org()
    org.district, org.commune, org.lone = district, commune, lone
    org.admin = make_user("admin", unit=district, username="qtv.mot")
    org.admin2 = make_user("admin", unit=district, username="qtv.hai")
    org.admin3 = make_user("admin", unit=district, username="qtv.ba")
    org.supervisor = make_user("supervisor", unit=district, username="gs.huyen")
    return org


def admin_client(client, made):
    Auth(client).login(made)
    return client


def post_form(client, url, page, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def pending(user) -> list[AccountChange]:
    return changes.pending_of(user)


def test_an_admin_cannot_raise_their_own_role(client, org):
    admin = admin_client(client, org.admin)
    page = f"/admin/users/{org.admin.user.id}"
    response = post_form(client, page, page, role="supervisor", unit=org.district.code,
                         display_name="")
    assert response.status_code == 422  # refused, as every refused form
    assert "Không ai được tự đổi vai trò" in response.get_data(as_text=True)
    assert audit_count(action="user.update", outcome="denied", object_id=org.admin.user.id) == 1
    db.session.refresh(org.admin.user)
    assert org.admin.user.role == "admin" and pending(org.admin.user) == []
    assert admin


def test_an_officer_made_by_an_admin_opens_nothing_until_a_supervisor_confirms(app, client,
                                                                               org):
    admin_client(client, org.admin)
    response = post_form(client, "/admin/users/new", "/admin/users/new", username="cb.moi",
                         display_name="Cán bộ mới", role="officer", unit=org.commune.code,
                         password=PASSWORD)
    assert response.status_code == 302
    officer = accounts.find_user("cb.moi")
    assert officer.awaiting_confirmation and officer.must_change_password
    assert audit_count(action="account_change.requested", object_id=officer.id) == 1

    # The admin logs in as the new officer: refused, like a wrong password.
    attempt = app.test_client()
    assert Auth(attempt).login(MadeUser(officer, PASSWORD, None)).status_code == 401

    # Neither the admin who asked nor another admin may confirm: the unit has a supervisor.
    change = pending(officer)[0]
    for outsider in (org.admin.user, org.admin2.user):
        with pytest.raises(PermissionDenied):
            changes.confirm(outsider, change)
    # The supervisor was told, and confirms.
    told = db.session.scalars(select(Notification).where(
        Notification.user_id == org.supervisor.user.id)).all()
    assert [n.kind for n in told] == ["account_change_request"]
    supervisor = app.test_client()
    Auth(supervisor).login(org.supervisor)
    assert "cb.moi" in supervisor.get("/account-changes").get_data(as_text=True)
    decided = post_form(supervisor, f"/account-changes/{change.id}/confirm", "/account-changes")
    assert decided.status_code == 302
    db.session.refresh(officer)
    assert not officer.awaiting_confirmation


def test_a_confirmed_account_chooses_its_own_password_first(app, org, make_user):
    officer = admin_service.create_user(org.admin.user, admin_service.NewUser(
        "cb.hai", "counselor", org.commune.code, PASSWORD))
    changes.confirm(org.supervisor.user, pending(officer)[0])
    db.session.commit()
    client = app.test_client()
    answer = Auth(client).login(MadeUser(officer, PASSWORD, None))
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/enrol"
    Auth(client).enrol()  # a counselor sets up the second factor first
    assert client.get("/cases").headers["Location"].endswith("/account")
    assert client.get("/api/v1/cases").status_code == 403
    token = csrf_token(client, "/account")
    client.post("/account", data={"csrf_token": token, "current_password": PASSWORD,
                                  "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.refresh(officer)
    assert not officer.must_change_password
    assert client.get("/cases").status_code == 200


def test_two_admins_cannot_make_each_other_supervisors(org):
    """The two-admin variant: one asks, the other is the account; neither confirms."""
    admin_service.update_user(org.admin.user, org.admin2.user, role="supervisor",
                        unit_code=org.district.code, display_name="")
    change = pending(org.admin2.user)[0]
    for insider in (org.admin.user, org.admin2.user, org.admin3.user):
        assert not changes.permissions.can_confirm_account_change(insider, change)
        with pytest.raises(PermissionDenied):
            changes.confirm(insider, change)
    assert org.admin2.user.role == "admin"
    changes.confirm(org.supervisor.user, change)
    assert org.admin2.user.role == "supervisor"


def test_without_a_supervisor_another_admin_confirms(org):
    admin_service.update_user(org.admin.user, org.admin2.user, role="officer",
                        unit_code=org.lone.code, display_name="")
    change = pending(org.admin2.user)[0]
    assert {u.id for u in changes.permissions.account_change_confirmers(change)} == \
        {org.admin3.user.id}
    with pytest.raises(PermissionDenied):
        changes.confirm(org.admin.user, change)
    changes.confirm(org.admin3.user, change)
    assert org.admin2.user.unit_id == org.lone.id and org.admin2.user.role == "officer"


def test_a_new_admin_needs_another_admin(org):
    made = admin_service.create_user(org.admin.user, admin_service.NewUser(
        "qtv.bon", "admin", org.district.code, PASSWORD))
    change = pending(made)[0]
    assert not changes.permissions.can_confirm_account_change(org.supervisor.user, change)
    changes.confirm(org.admin2.user, change)
    assert not made.awaiting_confirmation


def test_a_password_reset_of_an_officer_waits_and_is_changed_at_next_login(app, org,
                                                                         make_user):
    officer = make_user("officer", unit=org.commune)
    assert admin_service.set_password(org.admin.user, officer.user, NEW_PASSWORD) is True
    db.session.commit()
    # Until confirmed the officer's own password still works; the admin's does not.
    client = app.test_client()
    assert Auth(client).login(officer, password=NEW_PASSWORD).status_code == 401
    with pytest.raises(PermissionDenied):
        changes.confirm(org.admin.user, pending(officer.user)[0])
    changes.confirm(org.supervisor.user, pending(officer.user)[0])
    db.session.commit()
    assert officer.user.must_change_password
    fresh = app.test_client()
    Auth(fresh).login(officer, password=NEW_PASSWORD)
    assert fresh.get("/cases").headers["Location"].endswith("/account")


def test_a_second_factor_reset_of_an_officer_waits(org, make_user):
    officer = make_user("officer", unit=org.commune)
    assert admin_service.reset_second_factor(org.admin.user, officer.user) is True
    assert officer.user.totp_enrolled
    changes.confirm(org.supervisor.user, pending(officer.user)[0])
    assert not officer.user.totp_enrolled


def test_a_declined_account_stays_shut(app, org):
    made = admin_service.create_user(org.admin.user, admin_service.NewUser(
        "tvv.khong", "counselor", org.commune.code, PASSWORD))
    changes.decline(org.supervisor.user, pending(made)[0])
    db.session.commit()
    assert not made.is_enabled
    client = app.test_client()
    assert Auth(client).login(MadeUser(made, PASSWORD, None)).status_code == 401


def test_moving_an_account_needs_the_receiving_units_supervisor(org, make_unit, make_user):
    other = make_unit("HUYENY")
    other_supervisor = make_user("supervisor", unit=other)
    officer = make_user("officer", unit=org.commune)
    admin_service.update_user(org.admin.user, officer.user, role="officer", unit_code=other.code,
                        display_name="")
    change = pending(officer.user)[0]
    assert not changes.permissions.can_confirm_account_change(org.supervisor.user, change)
    changes.confirm(other_supervisor.user, change)
    assert officer.user.unit_id == other.id


def test_the_command_line_sets_up_accounts_at_once_and_says_so(runner, org):
    result = runner.invoke(args=["users", "create", "cb.ngay", "--role", "officer", "--unit",
                                 org.commune.code, "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    made = accounts.find_user("cb.ngay")
    assert not made.awaiting_confirmation and made.must_change_password  # the operator chose it
    from audit.models import audit_entries

    details = db.session.execute(select(audit_entries.c.details).where(
        audit_entries.c.action == "user.create", audit_entries.c.object_id == made.id)).scalar()
    assert '"via":"cli"' in details


@pytest.mark.parametrize("where", ["admin", "account", "cli"])
def test_guessable_passwords_are_refused_everywhere(client, runner, org, make_user, where):
    weak = {"admin": "passwordpassword", "account": "caseappcaseapp", "cli": "aaaaaaaaaaaa"}
    if where == "cli":
        result = runner.invoke(args=["users", "create", "yeu.mk", "--role", "counselor",
                                     "--unit", org.commune.code, "--password-stdin"],
                               input=weak[where] + "\n")
        assert result.exit_code == 1 and "lặp lại" in result.output
        assert accounts.find_user("yeu.mk") is None
        return
    if where == "admin":
        Auth(client).login(org.admin)
        response = post_form(client, "/admin/users/new", "/admin/users/new", username="yeu.mk",
                             role="counselor", unit=org.commune.code, password=weak[where])
        assert "lặp lại" in response.get_data(as_text=True)
        assert accounts.find_user("yeu.mk") is None
        return
    person = make_user("counselor")
    Auth(client).login(person)
    response = post_form(client, "/account", "/account", current_password=PASSWORD,
                         new_password=weak[where], confirm=weak[where])
    assert "tổ chức" in response.get_data(as_text=True)


def test_an_admins_password_reset_needs_another_admin(org):
    """One admin taking over another would hold every admin power alone."""
    assert admin_service.set_password(org.admin.user, org.admin2.user, NEW_PASSWORD) is True
    assert admin_service.reset_second_factor(org.admin.user, org.admin2.user) is True
    assert org.admin2.user.totp_enrolled
    for change in pending(org.admin2.user):
        assert not changes.permissions.can_confirm_account_change(org.admin.user, change)
        assert not changes.permissions.can_confirm_account_change(org.admin2.user, change)
        assert not changes.permissions.can_confirm_account_change(org.supervisor.user, change)
        changes.confirm(org.admin3.user, change)
    assert not org.admin2.user.totp_enrolled and org.admin2.user.must_change_password


def test_an_admin_cannot_make_a_top_level_unit_on_the_screen(client, org):
    """A new top of the tree has no supervisor above it; its accounts would be
    confirmed by admins alone. The host's operator makes one with the CLI."""
    from caseapp.units import service as units

    Auth(client).login(org.admin)
    response = post_form(client, "/admin/units/new", "/admin/units/new", code="EVIL",
                         name="Đơn vị mới", parent="", school_type="")
    assert response.status_code == 422 and units.by_code("EVIL") is None


def test_an_officer_with_open_cases_cannot_be_moved(org, people, make_case):
    make_case("support", lead=people.officer)
    with pytest.raises(accounts.AccountError):
        admin_service.update_user(people.admin, people.officer, role="officer",
                            unit_code=people.other_district.code, display_name="")
    assert pending(people.officer) == []


def test_the_present_units_supervisors_hear_of_a_reset(org, make_user):
    officer = make_user("officer", unit=org.commune)
    admin_service.set_password(org.admin.user, officer.user, NEW_PASSWORD)
    kinds = {n.kind for n in db.session.scalars(select(Notification).where(
        Notification.user_id == org.supervisor.user.id))}
    assert "account_change_request" in kinds
