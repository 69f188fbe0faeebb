"""The public help form: one intake case with the right unit, channel and flags,
the child's words sealed; safe to offer to anyone (token, honeypot, sizes,
limits, one cookie and no session)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from caseapp.accounts.models import User, UserSession
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.public_help import codes
from caseapp.public_help.models import PublicRequest
from tests.cases.conftest import audit_rows

from .conftest import PHONE, TOKEN_RE, answers, page_token, send, tracking_code


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit(action: str) -> list:
    return audit_rows(action=action)


def test_the_form_shows_the_emergency_numbers_and_the_way_out(visitor, people):
    for path, words in (("/help", "Rời trang nhanh"), ("/en/help", "Leave quickly")):
        response = visitor.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and words in html
        assert 'href="tel:111"' in html and 'href="tel:113"' in html
        assert html.index("tel:113") < html.index("<form")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert 'type="file"' not in html and "Xã" not in path


def test_a_request_becomes_one_sealed_intake_case(visitor, people):
    before = count(Case)
    response = send(visitor)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = tracking_code(response)
    assert len(codes.normalise(code)) == 16
    # Nothing the person wrote comes back.
    assert "CANARY-STORY" not in html and PHONE not in html and "Lan" not in html
    assert count(Case) == before + 1
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    assert case.unit_id == people.commune.id and case.stage == "intake"
    assert case.channel_code == "online_form" and case.help_requested is True
    assert case.requested_by_code == "child" and not case.immediate_danger
    assert sorted(c.code for c in case.harm_categories) == ["grooming", "sextortion"]
    recorder = db.session.get(User, case.recorded_by_id)
    assert recorder.username == "public:XA" and recorder.is_service
    stored = PublicRequest.query.filter_by(case_id=case.id).one()
    assert stored.code_hash == codes.code_hash(codes.normalise(code))
    # The child's words are sealed: not in any column in clear.
    raw = db.session.execute(text("SELECT * FROM cases WHERE id = :id"),
                             {"id": case.id}).one()
    flat = repr(tuple(raw))
    assert "CANARY-STORY" not in flat and PHONE not in flat and code not in flat
    entry = audit("case.create")[-1]
    assert "public_form" in entry.details and "CANARY" not in entry.details


def test_in_danger_now_puts_the_case_first(visitor, people):
    send(visitor, danger="yes")
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    assert case.immediate_danger is True


def test_the_english_twin_files_the_same_way(visitor, people):
    response = send(visitor, "/en/help", who="relative")
    assert response.status_code == 200 and "Keep this code" in response.get_data(as_text=True)
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    assert case.requested_by_code == "relative" and case.channel_code == "online_form"


def test_the_default_unit_takes_a_request_with_no_unit(app, visitor, people, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_HELP_DEFAULT_UNIT", "HUYEN")
    send(visitor, unit="")
    case = db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))
    assert case.unit_id == people.district.id


def test_no_unit_and_no_default_is_asked_again(visitor, people):
    before = count(Case)
    response = send(visitor, unit="")
    assert response.status_code == 400
    assert "Chọn trường hoặc xã" in response.get_data(as_text=True)
    assert count(Case) == before


@pytest.mark.parametrize("token", ["missing", "forged", "expired", "other_cookie"])
def test_a_post_without_the_page_s_token_is_refused(app, visitor, people, token, travel):
    before, cases_audit = count(Case), len(audit("public_help.token_refused"))
    good = page_token(visitor)
    if token == "missing":
        response = visitor.post("/help", data=answers())
    elif token == "forged":
        forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        visitor.set_cookie(codes.COOKIE_NAME, forged)
        response = visitor.post("/help", data={"csrf": forged, **answers()})
    elif token == "other_cookie":
        visitor.set_cookie(codes.COOKIE_NAME, page_token(app.test_client()))
        response = visitor.post("/help", data={"csrf": good, **answers()})
    else:
        travel(minutes=app.config["PUBLIC_HELP_FORM_MINUTES"] + 1)
        response = send(visitor, token=good)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "hãy điền lại" in html and "CANARY-STORY" not in html
    assert count(Case) == before
    assert len(audit("public_help.token_refused")) == cases_audit + 1


def test_one_cookie_and_no_session_row(visitor, people):
    sessions = count(UserSession)
    for path in ("/help", "/en/help", "/help/status"):
        response = visitor.get(path)
        cookies = response.headers.getlist("Set-Cookie")
        assert len(cookies) == 1 and cookies[0].startswith(codes.COOKIE_NAME + "=")
        assert "HttpOnly" in cookies[0] and "SameSite=Strict" in cookies[0]
    response = send(visitor)
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith(codes.COOKIE_NAME + "=")
    assert count(UserSession) == sessions


def test_a_filled_honeypot_comes_back_with_the_answers_to_send_again(visitor, people):
    """A person may fill the hidden field (a page without its style, an assistive
    tool): their request is not lost, it comes back with the field shown."""
    before, asked = count(Case), len(audit("public_help.asked_again"))
    response = send(visitor, extra_note="an autofilled word")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="tracking-code"' not in html
    assert "Yêu cầu của bạn chưa được gửi" in html and "CANARY-STORY" in html
    field = re.search(r'<div class="field" id="form">(.*?)</div>', html, re.S)
    assert field and 'name="extra_note" value=""' in field.group(1)
    assert "Để trống ô này" in field.group(1)
    assert count(Case) == before and count(PublicRequest) == 0
    entries = audit("public_help.asked_again")
    assert len(entries) == asked + 1 and "autofilled" not in (entries[-1].details or "")
    # Sent again with the box empty, it arrives.
    token = TOKEN_RE.search(html).group(1)
    sent = visitor.post("/help", data={"csrf": token, **answers()})
    assert sent.status_code == 200 and tracking_code(sent)
    assert count(Case) == before + 1 and count(PublicRequest) == 1


def test_a_honeypot_filled_again_is_never_answered_as_sent(visitor, people):
    """Filled on every post (a robot, or a tool that fills it each time): the
    form comes back each time, nothing is created and no code is given."""
    before = count(Case)
    response = send(visitor, extra_note="http://spam.example")
    for _ in range(2):
        token = TOKEN_RE.search(response.get_data(as_text=True)).group(1)
        response = visitor.post("/help", data={"csrf": token, **answers(
            extra_note="http://spam.example")})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and 'id="tracking-code"' not in html
        assert "Yêu cầu của bạn chưa được gửi" in html and "spam.example" not in html
    assert count(Case) == before and count(PublicRequest) == 0


def test_the_honeypot_is_no_field_autofill_fills(visitor):
    """A person's browser must never fill it (the report would be dropped): no
    name, id or label that autofill matches (Chrome's and Firefox's field
    heuristics: web site, URL, name, e-mail, phone, address, company...), and
    the password managers' own "skip this field" marks."""
    html = visitor.get("/help").get_data(as_text=True)
    field = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S).group(1)
    name = re.search(r'<input[^>]* name="([^"]+)"', field).group(1)
    assert re.search(r"web|url|site|home|page|name|mail|phone|tel|addr|company|org|city|zip"
                     r"|postal|country|user|login|pass", name + field.split("<input")[0],
                     re.I) is None, field
    for mark in ('autocomplete="off"', 'tabindex="-1"', "data-lpignore", "data-1p-ignore"):
        assert mark in field
    assert name not in {n for n in re.findall(r'name="([^"]+)"', html.split(field)[0])}


@pytest.mark.parametrize("field,size", [("story", 3001), ("name", 101), ("phone", 21),
                                        ("other_contact", 201)])
def test_an_oversize_answer_is_refused_with_a_message(visitor, people, field, size):
    before, users = count(Case), count(User)
    response = send(visitor, **{field: "9" * size})
    assert response.status_code == 400
    assert "quá dài" in response.get_data(as_text=True)
    assert count(Case) == before and count(User) == users  # not even the service account


def test_a_huge_body_is_refused_before_it_is_read(visitor, people):
    before = count(Case)
    response = send(visitor, story="x" * 40_000)
    assert response.status_code == 413 and count(Case) == before


def test_unknown_choices_are_refused(visitor, people):
    before = count(Case)
    response = send(visitor, harms=["csam_upload"], platforms=["myspace"], who="robot")
    assert response.status_code == 400 and count(Case) == before


@pytest.mark.parametrize("scope", ["address", "global"])
def test_past_the_limit_the_page_says_to_call_and_saves_nothing(app, people, monkeypatch,
                                                                scope):
    setting = "PUBLIC_HELP_LIMIT_PER_ADDRESS" if scope == "address" \
        else "PUBLIC_HELP_LIMIT_GLOBAL"
    monkeypatch.setitem(app.config, setting, "2 per hour")
    first = app.test_client()
    for _ in range(2):
        assert send(first).status_code == 200
    before = count(Case)
    # The global limit holds for another address too.
    other = app.test_client() if scope == "global" else first
    environ = {"REMOTE_ADDR": "10.9.8.7"} if scope == "global" else {}
    token = page_token(other)
    response = other.post("/help", data={"csrf": token, **answers()}, environ_base=environ)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "tel:111" in html and "tel:113" in html and "Gọi 111" in html
    assert count(Case) == before
    if scope == "address":
        third = app.test_client()
        token = page_token(third)
        assert third.post("/help", data={"csrf": token, **answers()},
                          environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200


def test_past_the_posts_limit_a_post_of_our_form_keeps_its_story_on_the_page(
        app, people, monkeypatch):
    """A school's shared address can spend the limit of posts: the child's
    story comes back to copy (their own, under the page's token), a forged
    post's does not."""
    monkeypatch.setitem(app.config, "PUBLIC_HELP_POSTS_PER_ADDRESS", "1 per hour")
    visitor = app.test_client()
    assert send(visitor, story="").status_code == 400  # a mistake spends the one post
    response = send(visitor)
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "CANARY-STORY" in html and "tel:111" in html
    forged = visitor.post("/help", data={"csrf": "forged", **answers()})
    assert forged.status_code == 429 and "CANARY-STORY" not in forged.get_data(as_text=True)


def test_a_form_stays_good_while_another_help_page_is_opened_beside_it(visitor, people):
    """A child opens "I have a code" or the English page in another tab while
    writing: the first tab's form is still sent (they share the page token)."""
    token = page_token(visitor)
    for other in ("/help/status", "/en/help", "/help"):
        assert visitor.get(other).status_code == 200
    response = visitor.post("/help", data={"csrf": token, **answers()})
    assert response.status_code == 200 and tracking_code(response)


def test_a_sent_form_cannot_be_sent_again(visitor, people):
    token = page_token(visitor)
    assert visitor.post("/help", data={"csrf": token, **answers()}).status_code == 200
    before = count(Case)
    again = visitor.post("/help", data={"csrf": token, **answers()})
    assert again.status_code == 400 and count(Case) == before
    assert 'id="tracking-code"' not in again.get_data(as_text=True)


def test_a_token_past_its_half_life_is_not_reused_for_a_new_page(app, visitor, travel):
    first = page_token(visitor)
    assert page_token(visitor) == first
    travel(seconds=app.config["PUBLIC_HELP_FORM_MINUTES"] * 60 // 2 + 1)
    assert page_token(visitor) != first


def test_the_browser_keeps_no_copy_of_the_answers(visitor):
    """Back after sending or leaving must not put the story back on screen."""
    for path in ("/help", "/en/help", "/help/status"):
        html = visitor.get(path).get_data(as_text=True)
        forms = re.findall(r"<form [^>]*>", html)
        assert forms and all('autocomplete="off"' in form for form in forms), (path, forms)
