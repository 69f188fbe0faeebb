"""The hostile review of the public help form (issue 18): each attack it showed,
now refused. Its proofs asserted the flaw; these assert the fix."""
from __future__ import annotations

from sqlalchemy import func, select

from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.cases.conftest import audit_rows

from .conftest import answers, page_token, send, tracking_code


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_ages_are_ascii_digits_from_the_list(monkeypatch, app, visitor, people):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    before = count(Case)
    for age in ("²", "١٢", "0", "18", "1x"):
        response = send(visitor, age=age)
        assert response.status_code == 400, age
        assert "tuổi" in response.get_data(as_text=True)
    assert count(Case) == before


def test_control_characters_are_refused_with_a_message(monkeypatch, app, visitor, people):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    before = count(Case)
    for field, value in (("unit", "XA\x00"), ("story", "chuyện\x00"), ("name", "a\x07b")):
        response = send(visitor, **{field: value})
        assert response.status_code == 400, field
    assert count(Case) == before


def test_a_one_address_flood_leaves_the_form_to_everyone_else(monkeypatch, app, people):
    monkeypatch.setitem(app.config, "PUBLIC_HELP_POSTS_PER_ADDRESS", "3 per hour")
    monkeypatch.setitem(app.config, "PUBLIC_HELP_POSTS_GLOBAL", "10 per hour")
    bot = app.test_client()
    for _ in range(30):  # refused after its third post: the rest count nowhere
        bot.post("/help", data={}, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    child = app.test_client()
    assert send(child).status_code == 200


def test_a_transferred_public_case_is_not_reopened_to_the_new_unit(visitor, people, login):
    from caseapp.cases import service as case_service
    from caseapp.cases.data import AssignmentData
    from caseapp.permissions import cases as rules
    from caseapp.transfers import service as transfers

    from .test_triage import staff

    code = tracking_code(send(visitor))
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    case_service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    db.session.commit()
    transfer = transfers.request_transfer(people.supervisor, case, transfers.TransferData(
        "HUYEN2", "child_moved", "Gia đình chuyển nhà"))
    transfers.accept(people.other_supervisor, transfer)
    db.session.commit()
    newcomer = staff(people, "counselor", people.other_district, "tvv.moi")
    assert not rules.can_view_child_data(newcomer, case)
    assert login(newcomer).get(f"/cases/{case.reference}").status_code == 404
    # The person holding the code still reads "someone is helping you".
    token = page_token(visitor, "/help/status")
    html = visitor.post("/help/status", data={"csrf": token, "code": code}).get_data(
        as_text=True)
    assert "Đã nhận" not in html


def test_each_look_up_of_a_real_code_is_written_on_the_case(visitor, people):
    code = tracking_code(send(visitor))
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    token = page_token(visitor, "/help/status")
    assert visitor.post("/help/status", data={"csrf": token, "code": code}).status_code == 200
    (entry,) = audit_rows(action="public_help.status_viewed", object_id=case.reference)
    assert code not in str(entry.details) and code.replace("-", "") not in str(entry.details)


def test_messages_are_limited_per_day_not_only_in_all(monkeypatch, app, visitor, people,
                                                      travel):
    from caseapp.public_help import service

    monkeypatch.setitem(app.config, "PUBLIC_HELP_STATUS_LIMIT_PER_ADDRESS", "100 per hour")
    code = tracking_code(send(visitor))

    def leave(text):
        token = page_token(visitor, "/help/status")
        return visitor.post("/help/status", data={"csrf": token, "code": code,
                                                  "message": text})

    for n in range(service.MAX_MESSAGES_PER_DAY):
        assert leave(f"tin nhắn {n}").status_code == 200
    assert leave("một tin nữa").status_code == 400
    travel(days=1, hours=1)
    assert leave("hôm sau").status_code == 200


def test_a_parents_name_is_the_reporters_not_the_childs(visitor, people):
    from caseapp.cases import service as case_service
    from caseapp.public_help.service import NO_NAME

    send(visitor, who="relative", name="Mẹ bé Lan")
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    case_service.open_child_data(people.supervisor, case)
    assert case.child_full_name == NO_NAME and case.reporter_name == "Mẹ bé Lan"


def test_no_address_of_the_public_is_kept_in_the_log(visitor, people):
    response = visitor.post("/help", data={"csrf": page_token(visitor), **answers()},
                            environ_base={"REMOTE_ADDR": "203.0.113.55"})
    assert response.status_code == 200
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    entries = audit_rows(object_id=case.reference)
    assert entries and all(entry.client_addr is None for entry in entries)


def test_an_ipv6_network_shares_one_allowance(monkeypatch, app, people):
    from caseapp.core.safety import client_network

    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:bbbb::9")
    assert client_network("2001:db8:1:3::1") != client_network("2001:db8:1:2::1")
    assert client_network("198.51.100.7") == "198.51.100.7"
    monkeypatch.setitem(app.config, "PUBLIC_HELP_POSTS_PER_ADDRESS", "2 per hour")
    bot = app.test_client()
    codes = [bot.post("/help", data={}, environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n}"})
             .status_code for n in range(1, 5)]
    assert codes[2:] == [429, 429]


def test_over_https_the_forms_cookie_is_this_hosts_alone(monkeypatch, app, people):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = app.test_client().get("/help", base_url="https://localhost")
    (cookie,) = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("__Host-help_csrf=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
