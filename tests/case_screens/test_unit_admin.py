"""Admins rename and deactivate units (the quickstart's sample unit included); a
deactivated unit takes no new case, account or sub-unit, and is refused while
something still depends on it. Every change and refusal is audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import audit_entries
from caseapp import permissions
from caseapp.accounts import service as accounts
from caseapp.admin import service as admin_service
from caseapp.cases import service as cases
from caseapp.cli.quickstart import DEMO_UNIT
from caseapp.extensions import db
from caseapp.units import service as units
from tests.cases.conftest import intake_data
from tests.conftest import PASSWORD

from .conftest import token


def audited(action: str, code: str) -> list[tuple[str, str | None]]:
    return [(r.outcome, r.details) for r in db.session.execute(
        select(audit_entries).where(audit_entries.c.action == action,
                                    audit_entries.c.object_id == code)).all()]


def test_an_admin_renames_and_deactivates_the_quickstart_sample_unit(app, login):
    sample = admin_service.create_unit("system", *DEMO_UNIT)  # as quickstart makes it
    admin = admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
        "admin", "admin", sample.code, PASSWORD, temporary_password=False))
    db.session.commit()
    client = login(admin)
    page = client.get("/admin/units").get_data(as_text=True)
    assert "Đổi tên hoặc ngừng hoạt động" in page
    answer = client.post(f"/admin/units/{sample.code}/name", data={
        "csrf_token": token(client, "/admin/units"), "name": "Huyện đoàn Đức Trọng"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert units.by_code(sample.code).name == "Huyện đoàn Đức Trọng"
    assert "Huyện đoàn Đức Trọng" in client.get("/admin/units").get_data(as_text=True)
    # The admin's own account lives there: admins see no case, so it does not block.
    answer = client.post(f"/admin/units/{sample.code}/deactivate",
                         data={"csrf_token": token(client, "/admin/units")})
    assert answer.status_code == 302
    db.session.expire_all()
    assert not units.by_code(sample.code).is_active
    assert "Không còn hoạt động" in client.get("/admin/units").get_data(as_text=True)
    answer = client.post(f"/admin/units/{sample.code}/reactivate",
                         data={"csrf_token": token(client, "/admin/units")})
    db.session.expire_all()
    assert answer.status_code == 302 and units.by_code(sample.code).is_active
    assert [o for o, _ in audited("unit.update", sample.code)] == ["ok"]
    assert "Đức Trọng" in audited("unit.update", sample.code)[0][1]
    assert [o for o, _ in audited("unit.deactivate", sample.code)] == ["ok"]
    assert [o for o, _ in audited("unit.reactivate", sample.code)] == ["ok"]


def test_a_unit_with_open_cases_staff_or_active_sub_units_stays_active(
        app, people, make_case, login):
    make_case("support")  # in the commune, with its counselor and officer
    client = login(people.admin)
    answer = client.post(f"/admin/units/{people.commune.code}/deactivate",
                         data={"csrf_token": token(client, "/admin/units")})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "chưa thể ngừng hoạt động" in page
    assert "1 hồ sơ đang mở" in page and "2 tài khoản cán bộ" in page
    assert f'id="unit-error-{people.commune.code}"' in page  # beside the unit, opened
    db.session.expire_all()
    assert units.by_code(people.commune.code).is_active
    answer = client.post(f"/admin/units/{people.district.code}/deactivate",
                         data={"csrf_token": token(client, "/admin/units")})
    assert answer.status_code == 409
    assert "đơn vị cấp dưới" in answer.get_data(as_text=True)
    assert [o for o, _ in audited("unit.deactivate", people.commune.code)] == ["denied"]


def test_a_deactivated_unit_takes_no_new_case_account_or_sub_unit(app, people, make_unit):
    gone = make_unit("XACU", parent=people.district)
    admin_service.deactivate_unit("system", gone)
    with pytest.raises(permissions.PermissionDenied):
        cases.record_intake(people.supervisor, intake_data(gone.code))
    with pytest.raises(accounts.AccountError) as refused:
        admin_service.create_user(people.admin, admin_service.NewUser(
            "tvv.cu", "counselor", gone.code, PASSWORD))
    assert refused.value.field == "unit"
    with pytest.raises(accounts.AccountError):
        admin_service.update_user(people.admin, people.officer, role="officer",
                                  unit_code=gone.code, display_name="")
    with pytest.raises(units.UnitError):
        admin_service.create_unit(people.admin, "XACU2", "Chi đoàn", gone.code)


def test_the_unit_forms_say_what_is_wrong_in_vietnamese(people, login):
    client = login(people.admin)
    answer = client.post(f"/admin/units/{people.commune.code}/name",
                         data={"csrf_token": token(client, "/admin/units"), "name": "  "})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    # Its own words: "Trường này là bắt buộc" would read "this school is required".
    assert "Hãy nhập tên mới của đơn vị." in page and "Trường này là bắt buộc" not in page
    assert f'value="{people.commune.name}"' in page  # the name as it is, not the blank
    db.session.expire_all()
    assert units.by_code(people.commune.code).name == people.commune.name


@pytest.mark.parametrize("role", ["counselor", "officer", "supervisor"])
def test_only_admins_rename_or_deactivate_units(people, login, role):
    who = {"counselor": people.counselor, "officer": people.officer,
           "supervisor": people.supervisor}[role]
    client = login(who)
    csrf = token(client, "/account")
    for url, data in ((f"/admin/units/{people.commune.code}/name", {"name": "Chiếm quyền"}),
                      (f"/admin/units/{people.commune.code}/deactivate", {})):
        assert client.post(url, data={"csrf_token": csrf, **data}).status_code == 403
    db.session.expire_all()
    unit = units.by_code(people.commune.code)
    assert unit.is_active and unit.name != "Chiếm quyền"
    with pytest.raises(permissions.PermissionDenied):
        admin_service.deactivate_unit(who, unit)


def test_a_forged_unit_change_without_the_form_token_is_refused(people, login):
    client = login(people.admin)
    assert client.post(f"/admin/units/{people.commune.code}/deactivate").status_code == 400
    assert client.post(f"/admin/units/{people.commune.code}/name",
                       data={"name": "Không có mã"}).status_code == 400
    assert client.post("/admin/units/NOPE/deactivate",
                       data={"csrf_token": token(client, "/admin/units")}).status_code == 404
    db.session.expire_all()
    assert units.by_code(people.commune.code).is_active


def test_a_move_waiting_for_confirmation_cannot_land_in_a_unit_deactivated_meanwhile(
        make_unit, make_user):
    """Asked while the unit was active, confirmed after it was deactivated: refused."""
    from caseapp.accounts.models import AccountChange
    from caseapp.admin import changes

    top = make_unit("HUYENP")
    admin = make_user("admin", unit=top)
    supervisor = make_user("supervisor", unit=top)
    new_unit = admin_service.create_unit("system", "XAX", "Xã X", top.code)
    db.session.commit()
    counselor = make_user("counselor", unit=top)
    admin_service.update_user(admin.user, counselor.user, role="counselor",
                              unit_code=new_unit.code, display_name="")
    admin_service.deactivate_unit(admin.user, new_unit)
    db.session.commit()
    change = db.session.scalars(select(AccountChange).where(
        AccountChange.user_id == counselor.user.id, AccountChange.status == "pending")).one()
    with pytest.raises(changes.ChangeError):
        changes.confirm(supervisor.user, change)
    db.session.rollback()
    assert counselor.user.unit.code == "HUYENP" and change.status == "pending"


@pytest.mark.parametrize("name", ["Xã\x00 Tân Phú", "\u202eúhP nâT ãX", "\x00"])
def test_a_unit_name_with_a_hidden_character_is_refused(people, login, name):
    """A NUL (PostgreSQL refuses it in text: a crash) or a character that
    reorders how the name reads: refused with a message, the name unchanged
    (found by fuzzing the forms)."""
    client = login(people.admin)
    answer = client.post(f"/admin/units/{people.commune.code}/name",
                         data={"csrf_token": token(client, "/admin/units"), "name": name})
    assert answer.status_code == 422
    assert "ký tự không được phép" in answer.get_data(as_text=True)
    made = client.post("/admin/units/new", data={
        "csrf_token": token(client, "/admin/units/new"), "code": "XAMOI", "name": name,
        "parent": people.commune.code})
    assert made.status_code == 422
    db.session.expire_all()
    assert units.by_code(people.commune.code).name == people.commune.name
    assert units.by_code("XAMOI") is None


def test_a_nul_in_any_form_is_refused(people, login):
    """Every form checks its fields for a NUL (here a new account's, whose
    display name was stored unchecked): a 422 naming the character, nothing
    written."""
    client = login(people.admin)
    answer = client.post("/admin/users/new", data={
        "csrf_token": token(client, "/admin/users/new"), "username": "nguoimoi",
        "display_name": "Người\x00mới", "role": "officer", "unit": people.commune.code,
        "password": "một mật khẩu dài đủ mạnh 2026"})
    assert answer.status_code == 422
    assert "ký tự không được phép" in answer.get_data(as_text=True)
    assert accounts.find_user("nguoimoi") is None


def test_a_display_name_that_reorders_its_text_is_refused(people):
    with pytest.raises(accounts.AccountError) as refused:
        admin_service.update_user(people.admin, people.officer, role="officer",
                                  unit_code=people.officer.unit.code,
                                  display_name="\u202eníM nễyugN")
    assert refused.value.field == "display_name"


@pytest.mark.parametrize("name", ["Nguyễn\x00Mai", "\u202eníM nễyugN"])
def test_the_account_page_refuses_a_hidden_character_with_422(people, login, name):
    """The account page answers a refused form as every form does (it said 200),
    with the reason on the page and the name unchanged."""
    client = login(people.admin)
    page = f"/admin/users/{people.officer.id}"
    before = people.officer.display_name
    answer = client.post(page, data={
        "csrf_token": token(client, page), "role": "officer",
        "unit": people.officer.unit.code, "display_name": name})
    assert answer.status_code == 422
    assert "ký tự không được phép" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert accounts.find_user(people.officer.username).display_name == before
