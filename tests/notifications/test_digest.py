"""The e-mail digest: unread notices since the last one, to the address a person
chose, at the frequency they chose; kinds and case references, never child data."""
from __future__ import annotations

import re

import pytest

from caseapp.extensions import db
from caseapp.notifications import digest
from caseapp.notifications.models import NotificationSettings
from caseapp.notifications.service import notify
from tests.case_screens.conftest import token
from tests.cases.conftest import SECRETS


@pytest.fixture
def mail_to(app, smtp):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="caseapp@xa.test")
    yield smtp
    app.config.update(SMTP_HOST=None, SMTP_PORT=25, MAIL_FROM=None)


def body(message) -> str:
    return message.get_content()


def test_a_daily_digest_lists_unread_notices_once(people, make_case, mail_to, travel):
    case = make_case("intake", assigned=True)  # the officer was assigned: one notice
    digest.save_settings(people.officer, "cb.minh@xa.test", "daily")
    digest.save_settings(people.officer2, "cb.hoa@xa.test", "daily")  # nothing unread
    db.session.commit()

    result = digest.send_digests()
    assert (result.sent, result.skipped) == (1, 1)
    ((to, message),) = mail_to.messages
    assert to == ["cb.minh@xa.test"] and message["To"] == "cb.minh@xa.test"
    assert message["From"] == "caseapp@xa.test"
    assert case.reference in body(message)
    assert "Bạn được phân công xử lý hồ sơ" in body(message)  # the person's language
    everything = message.as_string() + body(message)
    assert not [secret for secret in SECRETS if secret in everything]

    # The next run the same day sends nothing; a new notice waits for tomorrow.
    notify([people.officer.id], "plan_returned", case_reference=case.reference)
    db.session.commit()
    assert digest.send_digests().sent == 0
    travel(days=1)
    assert digest.send_digests().sent == 1
    second = body(mail_to.messages[-1][1])
    assert "trả lại" in second and "phân công" not in second


def test_a_weekly_digest_waits_a_week(people, make_case, mail_to, travel):
    make_case("intake", assigned=True)
    digest.save_settings(people.officer, "cb.minh@xa.test", "weekly")
    db.session.commit()
    assert digest.send_digests().sent == 1
    notify([people.officer.id], "deadline_soon", case_reference="HS-TEST0001")
    db.session.commit()
    travel(days=3)
    assert digest.send_digests().sent == 0
    travel(days=4)
    assert digest.send_digests().sent == 1


def test_read_notices_and_disabled_accounts_get_no_mail(people, make_case, mail_to):
    make_case("intake", assigned=True)
    digest.save_settings(people.officer, "cb.minh@xa.test", "daily")
    people.officer.is_enabled = False
    db.session.commit()
    assert digest.send_digests().sent == 0
    assert mail_to.messages == []


def test_without_a_mail_server_nothing_is_marked_sent(app, people, make_case):
    make_case("intake", assigned=True)
    digest.save_settings(people.officer, "cb.minh@xa.test", "daily")
    db.session.commit()
    with pytest.raises(RuntimeError):
        digest.send_digests()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens there
    try:
        with pytest.raises(OSError):
            digest.send_digests()
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25)
    db.session.rollback()
    assert db.session.get(NotificationSettings, people.officer.id).last_digest_at is None


def test_the_digest_command_sends_and_says_so(runner, people, make_case, mail_to):
    make_case("intake", assigned=True)
    digest.save_settings(people.officer, "cb.minh@xa.test", "daily")
    db.session.commit()
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "sent 1 digest(s)" in result.output
    assert len(mail_to.messages) == 1


def test_the_digest_command_without_a_server_fails_clearly(runner, people):
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code != 0
    assert "SMTP_HOST" in result.output


def test_a_person_sets_their_digest_on_the_notifications_page(people, login):
    client = login(people.officer)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'id="digest"' in page
    # Without the form's token: refused, nothing saved.
    refused = client.post("/notifications/digest", data={"email": "a@xa.test",
                                                         "digest": "daily"})
    assert refused.status_code == 400
    assert db.session.get(NotificationSettings, people.officer.id) is None
    # Not an address: said in Vietnamese, nothing saved.
    bad = client.post("/notifications/digest", data={
        "csrf_token": token(client, "/notifications"), "email": "không phải thư",
        "digest": "daily"})
    assert bad.status_code == 422
    assert "Đây không phải là địa chỉ thư điện tử." in bad.get_data(as_text=True)
    assert db.session.get(NotificationSettings, people.officer.id) is None
    # A digest with nowhere to go: refused.
    nowhere = client.post("/notifications/digest", data={
        "csrf_token": token(client, "/notifications"), "email": "", "digest": "weekly"})
    assert nowhere.status_code == 422
    saved = client.post("/notifications/digest", data={
        "csrf_token": token(client, "/notifications"), "email": "cb.minh@xa.test",
        "digest": "weekly"}, follow_redirects=True)
    assert saved.status_code == 200
    assert "Đã lưu thiết lập bản tóm tắt của bạn." in saved.get_data(as_text=True)
    assert "chưa gửi thư điện tử" in saved.get_data(as_text=True)  # no SMTP_HOST here
    settings = db.session.get(NotificationSettings, people.officer.id)
    db.session.refresh(settings)
    assert (settings.email, settings.digest) == ("cb.minh@xa.test", "weekly")
    assert re.search(r'value="cb\.minh@xa\.test"', client.get("/notifications")
                     .get_data(as_text=True))
    # An unknown frequency: refused.
    odd = client.post("/notifications/digest", data={
        "csrf_token": token(client, "/notifications"), "email": "x@xa.test",
        "digest": "hourly"})
    assert odd.status_code == 422
    db.session.refresh(settings)
    assert settings.digest == "weekly"


def test_each_person_sees_and_sets_only_their_own(people, login):
    digest.save_settings(people.officer, "cb.minh@xa.test", "daily")
    db.session.commit()
    other = login(people.officer2)
    assert "cb.minh@xa.test" not in other.get("/notifications").get_data(as_text=True)
    other.post("/notifications/digest", data={
        "csrf_token": token(other, "/notifications"), "email": "cb.hoa@xa.test",
        "digest": "daily", "user_id": people.officer.id})
    assert db.session.get(NotificationSettings, people.officer.id).email == "cb.minh@xa.test"


def test_one_refused_address_does_not_stop_the_others(people, make_case, mail_to):
    make_case("intake", assignees=[people.officer2])  # both officers have a notice
    digest.save_settings(people.officer, "refused.minh@xa.test", "daily")
    digest.save_settings(people.officer2, "cb.hoa@xa.test", "daily")
    db.session.commit()
    result = digest.send_digests()
    assert result.sent == 1
    assert [to for to, _ in mail_to.messages] == [["cb.hoa@xa.test"]]
    refused = db.session.get(NotificationSettings, people.officer.id)
    taken = db.session.get(NotificationSettings, people.officer2.id)
    assert refused.last_digest_at is None and taken.last_digest_at is not None
    # The next run tries the refused one again and does not repeat the other.
    assert digest.send_digests().sent == 0
    assert len(mail_to.messages) == 1


@pytest.mark.parametrize("address", ["a@ví.vn", "a@[10.0.0.1]", "a@localhost", "@xa.test",
                                     "a@xa.test\r\nBcc: b@xa.test", "a@xa.test, b@xa.test"])
def test_addresses_a_mail_server_could_refuse_or_misread_are_refused(people, address):
    with pytest.raises(ValueError):
        digest.save_settings(people.officer, address, "daily")
