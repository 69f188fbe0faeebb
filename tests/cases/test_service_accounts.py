"""Service accounts file the intakes no member of staff typed (issue 18): nobody
logs in as one, no admin can open one, no list of people offers one, and only
one can file an intake from outside."""
from __future__ import annotations

import pytest

from caseapp.accounts import service_accounts
from caseapp.accounts.service import AccountError
from caseapp.admin import service as admin_service
from caseapp.auditing.integrity import intact
from caseapp.cases import screens, service
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from tests.conftest import csrf_token

from .conftest import audit_rows, intake_data


@pytest.fixture
def account(people):
    made = service_accounts.service_account("public", "XA", people.commune,
                                            "Biểu mẫu công khai")
    db.session.commit()
    return made


def test_a_service_account_is_made_once_disabled_and_sealed(people, account):
    again = service_accounts.service_account("public", "XA", people.commune, "other name")
    assert again.id == account.id and account.display_name == "Biểu mẫu công khai"
    assert account.is_service and not account.is_active and not account.is_enabled
    assert intact(account)
    assert not people.counselor.is_service


def test_nobody_logs_in_as_a_service_account(client, people, account):
    for password in (service_accounts.NO_PASSWORD, "", "một câu mật khẩu dài để thử"):
        response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                               "username": account.username,
                                               "password": password})
        assert response.status_code in (200, 401)  # the form again, with its refusal
        assert client.get("/cases/mine").status_code in (302, 401)


@pytest.mark.parametrize("change", ["enable", "password", "role", "second_factor"])
def test_no_admin_can_open_a_service_account(people, account, change):
    admin = people.admin
    with pytest.raises(AccountError):
        if change == "enable":
            admin_service.set_enabled(admin, account, True)
        elif change == "password":
            admin_service.set_password(admin, account, "một câu mật khẩu dài để thử")
        elif change == "role":
            admin_service.update_user(admin, account, role="supervisor", unit_code="XA",
                                      display_name="x")
        else:
            admin_service.reset_second_factor(admin, account)
    db.session.rollback()
    assert not account.is_enabled and account.role == "counselor"
    assert account.password_hash == service_accounts.NO_PASSWORD


def test_a_person_cannot_use_a_service_account_name(people):
    with pytest.raises(AccountError):
        admin_service.create_user("system", admin_service.NewUser(
            username="public:XA", display_name="x", role="counselor", unit_code="XA",
            password="một câu mật khẩu dài để thử nghiệm"))


def test_an_outside_intake_is_filed_by_the_service_account(people, account):
    case = service.record_outside_intake(account, people.commune, intake_data(unit_code=""),
                                         via="public")
    db.session.commit()
    assert case.recorded_by_id == account.id and case.unit_id == people.commune.id
    entry = audit_rows(action="case.create", object_id=case.reference)[-1]
    assert entry.actor_id == account.id and '"via":"public"' in entry.details.replace(" ", "")
    # Never offered as someone to assign, though its role is a recorder's.
    assert account.id not in {row.id for row in screens.assignable_users(people.supervisor)}


def test_a_person_cannot_file_an_outside_intake(people):
    before = db.session.query(Case).count()
    with pytest.raises(PermissionDenied):
        service.record_outside_intake(people.counselor, people.other_district,
                                      intake_data(unit_code=""))
    assert db.session.query(Case).count() == before
