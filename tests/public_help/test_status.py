"""The tracking code: it shows only the stage in simple words, unknown and wrong
codes are answered alike, guessing is throttled and every miss is audited
without the code; a message left with it is sealed and reaches the right people."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from caseapp.cases import service as case_service
from caseapp.cases.data import AssignmentData
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.public_help import codes
from caseapp.public_help.models import PublicMessage
from tests.cases.conftest import audit_rows

from .conftest import PHONE, page_token, send, tracking_code

MESSAGE = "Em lại bị dọa nữa CANARY-MESSAGE-4471"


def sent(visitor, **overrides) -> tuple[str, Case]:
    code = tracking_code(send(visitor, **overrides))
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    return code, case


def look(client, code: str, path: str = "/help/status", **extra):
    token = page_token(client, path)
    return client.post(path, data={"csrf": token, "code": code, **extra})


def stage_words(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('id="stage">') + len('id="stage">')
    return html[start:html.index("<", start)]


def test_the_code_shows_only_the_stage(visitor, people):
    code, case = sent(visitor)
    response = look(visitor, code)
    assert response.status_code == 200
    assert stage_words(response).startswith("Đã nhận")
    html = response.get_data(as_text=True)
    for secret in ("CANARY-STORY", PHONE, "Lan", case.reference, "XA", people.commune.name):
        assert secret not in html
    # Typed loosely: lower case, spaces, O for 0 and I or L for 1.
    loose = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert stage_words(look(visitor, loose)).startswith("Đã nhận")
    assert look(visitor, code, "/en/help/status").get_data(as_text=True).count("Received") >= 1


def test_the_stage_follows_the_case(visitor, people):
    code, case = sent(visitor)
    case_service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    db.session.commit()
    assert stage_words(look(visitor, code)).startswith("Đang có người giúp")


@pytest.mark.parametrize("typed", ["", "ABCD", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "x" * 64,
                                   "'; DROP TABLE cases; --"])
def test_unknown_and_wrong_codes_get_the_same_answer_and_are_audited(visitor, people, typed):
    code, _case = sent(visitor)
    misses = len(audit_rows(action="public_help.lookup"))
    response = look(visitor, typed)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'id="not-found"' in html and 'id="stage"' not in html
    entries = audit_rows(action="public_help.lookup")
    assert len(entries) == misses + 1 and entries[-1].outcome == "denied"
    assert (typed[:4] or "@@") not in (entries[-1].details or "") or typed == ""
    assert code.replace("-", "") not in (entries[-1].details or "")


def test_a_wrong_code_and_an_unknown_one_read_the_same(visitor, people):
    code, _case = sent(visitor)
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    bodies = []
    for typed in (wrong, "QQQQ-QQQQ-QQQQ-QQQQ"):
        response = look(visitor, typed)
        bodies.append((response.status_code,
                       response.get_data(as_text=True).replace(typed, "")))
    # The pages differ only in their fresh form token.
    strip = [codes_free(body) for _, body in bodies]
    assert bodies[0][0] == bodies[1][0] == 404 and strip[0] == strip[1]


def codes_free(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", html)


def test_guessing_is_throttled_per_address_and_in_all(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_HELP_STATUS_LIMIT_PER_ADDRESS", "3 per hour")
    monkeypatch.setitem(app.config, "PUBLIC_HELP_STATUS_LIMIT_GLOBAL", "5 per hour")
    guesser = app.test_client()
    for _ in range(3):
        assert look(guesser, "AAAA-BBBB-CCCC-DDDD").status_code == 404
    misses = len(audit_rows(action="public_help.lookup"))
    response = look(guesser, "AAAA-BBBB-CCCC-DDDE")
    assert response.status_code == 429 and "tel:111" in response.get_data(as_text=True)
    # Refused before any look-up: no entry per throttled guess (the log cannot be flooded).
    assert len(audit_rows(action="public_help.lookup")) == misses
    # Another address: the fifth post of all is the last one looked up.
    other = app.test_client()
    statuses = []
    for _ in range(2):
        token = page_token(other, "/help/status")
        statuses.append(other.post("/help/status", environ_base={"REMOTE_ADDR": "10.7.7.7"},
                                   data={"csrf": token, "code": "AAAA-BBBB-CCCC-DDDD"}
                                   ).status_code)
    assert statuses == [404, 429]


def test_a_message_is_sealed_and_reaches_the_supervisors_then_the_lead(visitor, people):
    code, case = sent(visitor)
    response = look(visitor, code, message=MESSAGE)
    assert response.status_code == 200 and 'id="message-sent"' in response.get_data(
        as_text=True)
    assert MESSAGE not in response.get_data(as_text=True)
    stored = db.session.scalar(select(PublicMessage).where(PublicMessage.case_id == case.id))
    raw = db.session.execute(text("SELECT text FROM public_help_messages WHERE id = :id"),
                             {"id": stored.id}).scalar()
    assert b"CANARY-MESSAGE" not in bytes(raw)
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "public_message", Notification.case_reference == case.reference)))
    assert people.supervisor.id in told and people.officer.id not in told
    case_service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    db.session.commit()
    look(visitor, code, message="một lời nhắn nữa")
    told = list(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "public_message", Notification.case_reference == case.reference)))
    assert told.count(people.officer.id) == 1
    assert len(audit_rows(action="public_help.message")) >= 2
    assert all("CANARY" not in (e.details or "") for e in audit_rows(action="public_help.message"))


def test_an_oversize_message_is_refused_and_nothing_written(visitor, people):
    code, case = sent(visitor)
    response = look(visitor, code, message="y" * 1001)
    assert response.status_code == 400 and "quá dài" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PublicMessage)) == 0


def test_a_closed_request_says_closed_and_takes_no_message(visitor, people):
    code, case = sent(visitor)
    case.stage = "closure"  # (the workflow's way there is long; the page reads the stage)
    db.session.commit()
    response = look(visitor, code)
    assert stage_words(response).startswith("Đã đóng")
    assert 'name="message"' not in response.get_data(as_text=True)
    refused = look(visitor, code, message=MESSAGE)
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PublicMessage)) == 0


def test_the_code_is_never_stored_nor_in_a_url(visitor, people):
    response = send(visitor)
    code = tracking_code(response)
    html = response.get_data(as_text=True)
    assert "?code=" not in html and "/help/status/" not in html
    flat = repr(db.session.execute(text("SELECT * FROM public_help_requests")).all())
    assert code not in flat and codes.normalise(code) not in flat
