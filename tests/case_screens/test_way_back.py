"""The way back to the list a case was opened from survives the case's work:
the action pages, their forms (a hidden ``back`` field, checked again when
posted) and the redirect after a submit carry it; a case opened from a
notification leads back to the notifications. A forged ``back`` is ignored:
never followed, never shown, never a 500."""
from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from caseapp.extensions import db
from caseapp.notifications.models import Notification
from tests.case_actions import action_href, section_links

from .conftest import token

BACK = "/cases?closed=1"


def _back_of(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("back")
    return values[0] if values else None


def _hidden_back(page: str) -> list[str]:
    return [html_lib.unescape(v) for v in re.findall(
        r'<input type="hidden" name="back" value="([^"]*)"', page)]


def _back_link(page: str) -> str | None:
    found = re.search(r'id="back-to-list" href="([^"]+)"', page)
    return html_lib.unescape(found.group(1)) if found else None


def test_the_way_back_survives_an_action(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    page = officer.get(f"/cases/{case.reference}?back={quote(BACK, safe='')}").get_data(
        as_text=True)
    assert _back_link(page) == BACK
    # Every action link of the case page carries it, and the note's form on the page.
    href = html_lib.unescape(action_href(page, "support_action"))
    assert _back_of(href) == BACK
    note = re.search(r'<form method="post"[^>]*data-action="note".*?</form>', page, re.S)
    assert _hidden_back(note.group(0)) == [BACK]
    # The action's page: its links back to the case and its form carry it.
    action_page = officer.get(href).get_data(as_text=True)
    to_case = html_lib.unescape(re.search(r'id="back-to-case" href="([^"]+)"', action_page)
                                .group(1))
    assert to_case.startswith(f"/cases/{case.reference}?") and _back_of(to_case) == BACK
    assert _hidden_back(action_page) == [BACK]
    # A refused submit keeps it; a saved one lands on the case with it.
    url = f"/cases/{case.reference}/support_action"
    refused = officer.post(url, data={
        "support_action-csrf_token": token(officer, href), "back": BACK,
        "support_action-kind": "counselling", "support_action-description": ""})
    assert refused.status_code == 422
    assert _hidden_back(refused.get_data(as_text=True)) == [BACK]
    saved = officer.post(url, data={
        "support_action-csrf_token": token(officer, href), "back": BACK,
        "support_action-kind": "counselling",
        "support_action-description": "Gặp em tại trường"})
    assert saved.status_code == 302
    location = saved.headers["Location"]
    assert urlsplit(location).path == f"/cases/{case.reference}" and _back_of(location) == BACK
    assert location.endswith("#top")
    landed = officer.get(location.split("#")[0]).get_data(as_text=True)
    assert _back_link(landed) == BACK and "Quay lại danh sách" in landed


def test_the_note_on_the_case_page_keeps_the_way_back(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    path = f"/cases/{case.reference}?back={quote(BACK, safe='')}"
    saved = officer.post(f"/cases/{case.reference}/note", data={
        "note-csrf_token": token(officer, path), "back": BACK, "note-text": "Gọi lại cho mẹ em"})
    assert saved.status_code == 302 and _back_of(saved.headers["Location"]) == BACK


FORGED = [
    "https://evil.example/cases", "//evil.example/cases", "///evil.example/cases",
    "javascript:alert(1)", "/admin/users", "/cases/HS-ABCD", "/cases?ref=Nguyen",
    "/cases?ref=evil", "/cases?closed=2", "/cases?closed=1&closed=1", "/cases?after=%00",
    "/cases?evil=1", "/cases#evil", "/cases\r\nX-Evil: 1", "/cases?closed=1\x00",
    "/notifications?evil=1", "\\\\evil.example", "/%2F%2Fevil.example", "x" * 3000,
]


@pytest.mark.parametrize("forged", FORGED)
def test_a_forged_way_back_is_ignored(people, login, make_case, forged):
    case = make_case("support")
    officer = login(people.officer)
    query = f"?back={quote(forged, safe='')}"
    for url in (f"/cases/{case.reference}{query}",
                f"/cases/{case.reference}/actions/support_action{query}"):
        answer = officer.get(url)
        if "\x00" in forged:  # a NUL in the address: refused before the page (400)
            assert answer.status_code == 400, url
            continue
        assert answer.status_code == 200, url
        page = answer.get_data(as_text=True)
        assert "evil" not in page and "Nguyen" not in page and "javascript:" not in page
        assert 'id="back-to-list"' not in page and _hidden_back(page) == []
        assert "back=" not in " ".join(re.findall(r'href="([^"]+)"', page))
    # Posted in the form: saved, and the redirect carries nothing of it.
    form_url = f"/cases/{case.reference}/actions/support_action"
    saved = officer.post(f"/cases/{case.reference}/support_action", data={
        "support_action-csrf_token": token(officer, form_url), "back": forged,
        "support_action-kind": "counselling", "support_action-description": "Gặp em"})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/cases/{case.reference}#top")


def test_a_case_opened_from_a_notification_leads_back_to_them(people, login, make_case):
    case = make_case("support")
    db.session.add(Notification(user_id=people.officer.id, kind="assigned",
                                case_reference=case.reference))
    db.session.commit()
    officer = login(people.officer)
    page = officer.get("/notifications").get_data(as_text=True)
    link = html_lib.unescape(re.search(r'href="(/notifications/\d+/open[^"]*)"', page).group(1))
    assert _back_of(link) == "/notifications"
    opened = officer.get(link)
    assert opened.status_code == 302
    location = opened.headers["Location"]
    assert urlsplit(location).path == f"/cases/{case.reference}"
    assert _back_of(location) == "/notifications"
    case_page = officer.get(location).get_data(as_text=True)
    assert _back_link(case_page) == "/notifications"
    assert "Quay lại thông báo" in case_page
    # Through an action too.
    href = html_lib.unescape(action_href(case_page, "support_action"))
    assert _back_of(href) == "/notifications"
    # A forged way back on the notice's link: the notifications, nothing else.
    number = re.search(r"/notifications/(\d+)/open", link).group(1)
    for forged in ("https://evil.example/", "/cases?ref=Nguyen", "/admin/users", "/cases"):
        opened = officer.get(f"/notifications/{number}/open?back={quote(forged, safe='')}")
        assert opened.status_code == 302 and _back_of(opened.headers["Location"]) == \
            "/notifications"


def test_every_form_of_the_case_page_carries_the_way_back(people, login, make_case):
    """The features' forms on the case page too (consent, data requests, evidence,
    matches, emergency access): posted, their redirect keeps it."""
    case = make_case("support")
    officer = login(people.officer)
    path = f"/cases/{case.reference}?back={quote(BACK, safe='')}"
    page = officer.get(path).get_data(as_text=True)
    # The features' forms are on their sections' pages: the case page's links
    # to them carry the way back, and so do the forms there.
    pages = [page]
    for href in section_links(page).values():
        href = html_lib.unescape(href)
        assert _back_of(href) == BACK, href
        pages.append(officer.get(href).get_data(as_text=True))
    forms = [form for html in pages
             for form in re.findall(r"<form method=\"post\".*?</form>",
                                    html[html.index('<main class="content">'):], re.S)]
    assert len(forms) >= 4
    for form in forms:
        assert _hidden_back(form) == [BACK], form[:200]
    saved = officer.post(f"/cases/{case.reference}/data-requests", data={
        "data_request-csrf_token": token(officer, path), "back": BACK,
        "data_request-kind": "access", "data_request-requested_by": "guardian",
        "data_request-received_at": "", "data_request-details": ""})
    assert saved.status_code == 302 and _back_of(saved.headers["Location"]) == BACK
    forged = officer.post(f"/cases/{case.reference}/data-requests", data={
        "data_request-csrf_token": token(officer, path), "back": "https://evil.example/",
        "data_request-kind": "access", "data_request-requested_by": "guardian",
        "data_request-received_at": "", "data_request-details": ""})
    assert forged.status_code == 302 and "evil" not in forged.headers["Location"]
    assert _back_of(forged.headers["Location"]) is None


def test_switching_language_on_a_section_page_keeps_the_way_back(people, login, make_case):
    """UX walk: after English and back on the evidence page, the case had lost
    its link back to the list."""
    case = make_case("support", assigned=True)
    client = login(people.officer)
    page = client.get(f"/cases/{case.reference}/sections/evidence?back={quote(BACK, safe='')}"
                      ).get_data(as_text=True)
    nexts = re.findall(r'name="next" value="([^"]*)"', page)
    assert nexts, "no language form"
    assert _back_of(html_lib.unescape(nexts[0])) == BACK
