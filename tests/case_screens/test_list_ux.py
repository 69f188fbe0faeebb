"""The lists as a person walks them (UX walk at 390 px): "previous page" as
well as "next page", the page's place in its list ("4–6 trong 7"), a way back
from a case to the list and page it was opened from, "My cases" searched by
reference, the right title for a supervisor, an officer's "what to do next"
that waits on the supervisor's step, and notices that stack on a phone.
Forged tokens and back links are refused without a 500 or anyone else's rows."""
from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import update

from caseapp import clock, paging
from caseapp.cases import queries
from caseapp.cases import service as cases_service
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications import service as notices
from caseapp.notifications.models import Notification
from caseapp.supervision import service as supervision
from tests.case_screens.test_case_list_pages import ROW, many  # noqa: F401
from tests.case_screens.test_supervision_lists import overdue, section  # noqa: F401
from tests.cases.conftest import needs_data, plan_data
from tests.conftest import csrf_token

NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)"')
PREV = re.compile(r'<a class="button" rel="prev" href="([^"]+)"')
POSITION = re.compile(r'<p class="position" id="list-position">([^<]+)</p>')
BACK = re.compile(r'<a class="back-to-list" id="back-to-list" href="([^"]+)">')
CASE_LINK = re.compile(r'href="(/cases/HS-[A-Z0-9]{8}\?back=[^"]+)"')


def follow(match) -> str | None:
    return unescape(match.group(1)) if match else None


def walk_both_ways(client, start: str, cut=lambda html: html):
    """Every page forward by "next page", then back by "previous page" from the
    last: the rows of each page, in both directions, and the position lines."""
    forward, lines, url = [], [], start
    while url:
        html = client.get(url).get_data(as_text=True)
        forward.append(ROW.findall(cut(html)) if ROW.findall(cut(html)) else
                       re.findall(r'data-id="(\d+)"', html))
        found = POSITION.search(html)
        lines.append(found.group(1) if found else None)
        last, url = html, follow(NEXT.search(html))
    backward, url = [], follow(PREV.search(last))
    while url:
        html = client.get(url).get_data(as_text=True)
        backward.append(ROW.findall(cut(html)) if ROW.findall(cut(html)) else
                        re.findall(r'data-id="(\d+)"', html))
        url = follow(PREV.search(html))
    return forward, backward, lines


# --- 1. "previous page" and the position line ---------------------------------------------

def test_my_cases_go_back_page_by_page_with_their_place(people, login, many, monkeypatch):  # noqa: F811
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    forward, backward, lines = walk_both_ways(client, "/cases")
    assert [len(p) for p in forward] == [3, 3, 1]
    # Back from the last page: the same pages, in reverse, down to the first.
    assert backward == list(reversed(forward[:-1]))
    assert lines == ["1–3 trong 7", "4–6 trong 7", "7–7 trong 7"]
    last = client.get(NEXT.search(client.get("/cases").get_data(as_text=True)).group(1)
                      .replace("&amp;", "&")).get_data(as_text=True)
    assert "Trang trước" in last and 'rel="prev" href="/cases"' in last  # page 2 → page 1


def test_the_position_line_is_in_english_too(people, login, many, monkeypatch):  # noqa: F811
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "locale": "en",
                                   "next": "/"})
    html = client.get("/cases").get_data(as_text=True)
    assert POSITION.search(html).group(1) == "1–3 of 7" and "Previous page" not in html


def test_going_back_from_the_third_page_carries_a_before_token(people, login, many,  # noqa: F811
                                                               monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    client = login(people.supervisor)
    url, pages = "/cases", []
    for _ in range(3):
        html = client.get(url).get_data(as_text=True)
        pages.append(ROW.findall(html))
        url = follow(NEXT.search(html))
    back = follow(PREV.search(html))
    assert "before=" in back and "start=3" in back
    html = client.get(back).get_data(as_text=True)
    assert ROW.findall(html) == pages[1] and POSITION.search(html).group(1) == "3–4 trong 7"


def _mark(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("before", ["garbage", "%%%", "A" * 500, "fHx8", "MjAyNi0xMy0wMQ",
                                    "fDIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDB8bm90LWFuLWlk"])
def test_a_broken_before_token_shows_the_first_page(people, login, many, before,  # noqa: F811
                                                    monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    first = ROW.findall(client.get("/cases").get_data(as_text=True))
    response = client.get("/cases", query_string={"before": before})
    assert response.status_code == 200
    assert ROW.findall(response.get_data(as_text=True)) == first


def test_a_before_token_past_the_start_shows_the_whole_first_page(people, login, many,  # noqa: F811
                                                                  monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    first = ROW.findall(client.get("/cases").get_data(as_text=True))
    earliest = min((c for c in many if c.next_deadline_at), key=lambda c: c.next_deadline_at)
    mark = queries.PageMark(earliest.next_deadline_at - timedelta(days=1), earliest.received_at,
                            earliest.id).token()
    html = client.get("/cases", query_string={"before": mark, "start": "400"}).get_data(
        as_text=True)
    assert ROW.findall(html) == first and POSITION.search(html).group(1) == "1–3 trong 7"
    assert 'rel="prev"' not in html


def test_a_genuine_token_of_another_scope_shows_only_ones_own_cases(people, login, make_case,
                                                                    many):  # noqa: F811
    # A mark made from a case of the supervisor's unit, used by someone of another district.
    theirs = make_case("intake", unit=people.other_district, recorder=people.other_officer)
    mark = queries.PageMark.of(many[-1]).token()
    client = login(people.other_officer)
    for param in ("before", "after"):
        response = client.get("/cases", query_string={param: mark})
        assert response.status_code == 200
        shown = set(ROW.findall(response.get_data(as_text=True)))
        assert shown <= {theirs.reference}
        assert not shown & {c.reference for c in many}


@pytest.mark.parametrize("start", ["abc", "-1", "0", "99999999999", "9" * 9, "٣", "1e3"])
def test_a_forged_start_never_shows_a_wrong_place(people, login, many, start,  # noqa: F811
                                                  monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    mark = NEXT.search(client.get("/cases").get_data(as_text=True)).group(1)
    after = re.search(r"after=([^&\"]+)", mark).group(1)
    response = client.get("/cases", query_string={"after": after, "start": start})
    assert response.status_code == 200
    assert POSITION.search(response.get_data(as_text=True)) is None


def test_the_supervision_list_goes_back_too(people, login, overdue, monkeypatch):  # noqa: F811
    made, elsewhere = overdue
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.supervisor)
    forward, backward, lines = walk_both_ways(client, "/supervision/overdue",
                                              cut=lambda html: section(html, "overdue"))
    assert [len(p) for p in forward] == [2, 2, 1]
    assert backward == list(reversed(forward[:-1]))
    assert lines == ["1–2 trong 5", "3–4 trong 5", "5–5 trong 5"]
    assert elsewhere.reference not in {r for page in forward + backward for r in page}


def test_a_supervision_before_token_of_another_district_shows_nothing_of_it(
        people, login, overdue, monkeypatch):  # noqa: F811
    made, elsewhere = overdue
    monkeypatch.setattr(supervision, "SHOWN", 2)
    mark = supervision.CASE_LISTS["overdue"].keyset.token(elsewhere)
    client = login(people.supervisor)
    for forged in (mark, _mark([True, "x"]), _mark(["2026-01-01T00:00:00", 1, 2]), "!!"):
        response = client.get("/supervision/overdue", query_string={"before": forged})
        assert response.status_code == 200
        assert elsewhere.reference not in response.get_data(as_text=True)


@pytest.fixture
def notices_of_officer(people):
    now = clock.now()
    mine = []
    for minutes in (5, 1, 1, 30, 12, 0, 7):
        row = Notification(user_id=people.officer.id, kind="case_assigned",
                           case_reference="HS-ABCDEFGH",
                           created_at=now - timedelta(minutes=minutes))
        db.session.add(row)
        mine.append(row)
    other = Notification(user_id=people.officer2.id, kind="case_assigned",
                         case_reference="HS-ZZZZZZZZ", created_at=now - timedelta(minutes=3))
    db.session.add(other)
    db.session.commit()
    return mine, other


def test_notifications_go_back_and_never_show_someone_elses(people, login, notices_of_officer,
                                                            monkeypatch):
    mine, other = notices_of_officer
    monkeypatch.setattr(notices, "PAGE_SIZE", 3)
    client = login(people.officer)
    forward, backward, lines = walk_both_ways(client, "/notifications")
    assert [len(p) for p in forward] == [3, 3, 1]
    assert backward == list(reversed(forward[:-1]))
    assert lines == ["1–3 trong 7", "4–6 trong 7", "7–7 trong 7"]
    # The other person's notice as a mark: only one's own rows, from where it falls.
    mark = notices.KEYSET.token(other)
    for param in ("before", "after"):
        html = client.get("/notifications", query_string={param: mark}).get_data(as_text=True)
        assert f'data-id="{other.id}"' not in html and "HS-ZZZZZZZZ" not in html


# --- 2. the way back from a case to its list ------------------------------------------------

def test_a_case_opened_from_a_page_leads_back_to_that_page(people, login, many,  # noqa: F811
                                                          monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    second = follow(NEXT.search(client.get("/cases").get_data(as_text=True)))
    html = client.get(second).get_data(as_text=True)
    link = follow(CASE_LINK.search(html))
    page = client.get(link).get_data(as_text=True)
    back = follow(BACK.search(page))
    assert "Quay lại danh sách" in page
    assert back == second  # the same list, the same page
    assert ROW.findall(client.get(back).get_data(as_text=True)) == ROW.findall(html)


def test_a_case_opened_from_a_supervision_list_leads_back_to_it(people, login, overdue,  # noqa: F811
                                                               monkeypatch):
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.supervisor)
    html = client.get("/supervision/overdue").get_data(as_text=True)
    page = client.get(follow(CASE_LINK.search(section(html, "overdue")))).get_data(as_text=True)
    assert follow(BACK.search(page)) == "/supervision/overdue"


NAME = "Nguyen Van An"


@pytest.mark.parametrize("back", [
    "https://evil.example/cases", "//evil.example/cases", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "/cases/../admin/users", "/admin/users", "/cases/HS-ABCDEFGH",
    "/supervision/nothing", "/cases?name=" + NAME, "/cases?after=" + base64.urlsafe_b64encode(
        NAME.encode()).decode(), "/cases?after=" + _mark([NAME]), "/cases?ref=" + NAME,
    "/cases?closed=1&closed=1", "/cases?start=1%0d%0aX", "/cases#top", "/cases\r\nX: y",
    "/cases?start=" + "9" * 20, "http:/cases", "/cases?after", "", "/cases?" + "&".join(
        f"start={i}" for i in range(50)),
])
def test_a_back_link_not_of_our_lists_is_neither_shown_nor_echoed(people, login, make_case,
                                                                  back):
    case = make_case("intake", assigned=True)
    client = login(people.officer)
    response = client.get(f"/cases/{case.reference}", query_string={"back": back})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert BACK.search(html) is None and "Quay lại danh sách" not in html
    assert "evil" not in html and NAME not in html and "Nguyen" not in html


def test_back_link_keeps_only_checked_parameters():
    paging.register_list_page("/cases")
    mark = queries.PageMark(None, clock.now(), "0" * 8 + "-0000-4000-8000-" + "0" * 12).token()
    assert paging.back_link("/cases") == "/cases"
    assert paging.back_link(f"/cases?after={mark}&start=51&closed=1") == \
        f"/cases?after={mark}&start=51&closed=1"
    assert paging.back_link("/cases?ref=HS-C92H") == "/cases?ref=HS-C92H"
    assert paging.back_link("/cases?ref=Nam") is None
    assert paging.back_link("/cases?after=" + _mark([NAME])) is None
    assert paging.back_link("/cases?after=" + _mark(["2026-01-01T00:00:00+00:00", True, 3])) \
        is not None


# --- 3. "what to do next" for an officer waiting on the supervisor ---------------------------

@pytest.fixture
def plan_waiting(people, make_case):
    case = make_case("assessment")
    cases_service.record_needs_assessment(people.officer, case, needs_data())
    cases_service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    assert case.plan_approval_due_at is not None and case.plan_approved_at is None
    return case


def _next_box(html: str) -> str:
    start = html.index('id="next"')
    return html[start:html.index("</section>", start)]


def test_an_officer_waits_on_the_plans_approval(people, login, plan_waiting):
    box = _next_box(login(people.officer).get(f"/cases/{plan_waiting.reference}")
                    .get_data(as_text=True))
    assert "Đang chờ giám sát viên duyệt kế hoạch" in box
    assert 'id="waiting-plan_approval"' in box
    # Not the officer's own deadline, nor their overdue step, nor a link to approve.
    nearest = re.search(r'id="nearest-deadline">(.*?)</p>', box, re.S)
    assert nearest is None or "Phê duyệt kế hoạch hỗ trợ" not in nearest.group(1)
    assert "#act-approve_plan" not in box


def test_even_late_the_approval_is_not_the_officers_overdue_step(people, login, plan_waiting):
    db.session.execute(update(Case).where(Case.id == plan_waiting.id).values(
        plan_approval_due_at=clock.now() - timedelta(days=2)))
    db.session.commit()
    box = _next_box(login(people.officer).get(f"/cases/{plan_waiting.reference}")
                    .get_data(as_text=True))
    waiting = re.search(r'id="waiting-plan_approval">(.*?)</p>', box, re.S).group(1)
    assert "Quá hạn" not in waiting


def test_the_supervisor_sees_the_approval_as_their_step(people, login, plan_waiting):
    box = _next_box(login(people.supervisor).get(f"/cases/{plan_waiting.reference}")
                    .get_data(as_text=True))
    assert "Đang chờ giám sát viên" not in box
    assert "Phê duyệt kế hoạch hỗ trợ" in box and "#act-approve_plan" in box


# --- 4. the title of the list for the role -------------------------------------------------

def test_a_supervisors_list_is_titled_as_their_units(people, login):
    html = login(people.supervisor).get("/cases").get_data(as_text=True)
    assert "<h1>Hồ sơ của đơn vị</h1>" in html and "<title>Hồ sơ của đơn vị" in html
    assert "<h1>Hồ sơ của tôi</h1>" not in html
    html = login(people.officer).get("/cases").get_data(as_text=True)
    assert "<h1>Hồ sơ của tôi</h1>" in html


# --- 5. notices stack -------------------------------------------------------------------------

def test_each_notice_is_three_stacked_parts(people, login, notices_of_officer):
    html = login(people.officer).get("/notifications").get_data(as_text=True)
    rows = re.findall(r'<li class="notification[^"]*"[^>]*>(.*?)</li>', html, re.S)
    assert len(rows) == 7
    for row in rows:
        assert row.index('class="notification-when"') < row.index('class="notification-text"') \
            < row.index('class="notification-actions"')
        assert "HS-ABCDEFGH" in row.split('class="notification-actions"')[1]


# --- 6. "My cases" searched by reference -----------------------------------------------------

def test_search_by_reference_prefix_within_the_lists_scope(people, login, make_case):
    mine = make_case("intake", assigned=True)
    theirs = make_case("intake", unit=people.other_district, recorder=people.other_officer)
    # Give the other district's case the same beginning as ours.
    prefix = mine.reference[:6]
    db.session.execute(update(Case).where(Case.id == theirs.id).values(
        reference=prefix + ("22" if mine.reference[6:] != "22" else "33")))
    db.session.commit()
    client = login(people.officer)
    response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                           "ref": prefix.lower()})
    assert response.status_code == 302 and response.location.endswith(f"/cases?ref={prefix}")
    html = client.get(response.location).get_data(as_text=True)
    assert ROW.findall(html) == [mine.reference]
    assert f"1 hồ sơ có mã bắt đầu bằng {prefix}." in html
    assert f'value="{prefix}"' in html
    # The exact reference finds it alone ("HS" without its dash too).
    for typed in (mine.reference, "hs" + mine.reference[3:]):
        response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                               "ref": typed})
        assert ROW.findall(client.get(response.location).get_data(as_text=True)) == \
            [mine.reference]
    # Without "HS-" (as on a paper file): the whole reference, when it holds a digit...
    found = mine
    # (a reference's own "HS" after the dash would read as the prefix: "HS5" is "HS-5")
    while not any(c.isdigit() for c in found.reference[3:]) or \
            found.reference[3:].startswith("HS"):
        found = make_case("intake", assigned=True)
    bare = found.reference[3:]
    for typed in (bare, bare.lower(), f" {bare.lower()} "):
        response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                               "ref": typed})
        assert response.status_code == 302, typed
        assert response.location.endswith("/cases?ref=" + found.reference), typed
        listed = client.get(response.location).get_data(as_text=True)
        assert ROW.findall(listed) == [found.reference], typed
    # ... letters only too, when it is a case on the list (UX walk: one in
    # eleven references has no digit); the same letters of no case of theirs
    # (a name: "MAYNHANG") are refused and kept out of the URL.
    db.session.execute(update(Case).where(Case.id == found.id).values(reference="HS-YYZADPNK"))
    db.session.commit()
    response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                           "ref": "yyzadpnk"})
    assert response.status_code == 302
    assert response.location.endswith("/cases?ref=HS-YYZADPNK")
    response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                           "ref": "maynhang"})
    assert response.status_code == 422 and "Location" not in response.headers
    # ... not its beginning (a handle such as "tuan2k9" would reach the URL):
    # refused, kept in the box, with "HS-" it is a beginning.
    start = bare[:next(i for i, c in enumerate(bare) if c.isdigit()) + 1]
    response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                           "ref": start.lower()})
    assert response.status_code == 422 and 'id="search-error"' in \
        response.get_data(as_text=True)
    response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                           "ref": "hs-" + start.lower()})
    assert response.status_code == 302 and response.location.endswith("/cases?ref=HS-" + start)
    # ... but letters alone are not taken for one (a name's letters would be).
    for typed in ("NAM", "hang", "MAYNHA"):
        response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                               "ref": typed})
        assert response.status_code == 422 and 'id="search-error"' in \
            response.get_data(as_text=True)


def test_search_keeps_the_case_links_way_back(people, login, make_case):
    mine = make_case("intake", assigned=True)
    client = login(people.officer)
    html = client.get("/cases", query_string={"ref": mine.reference[:5]}).get_data(as_text=True)
    page = client.get(follow(CASE_LINK.search(html))).get_data(as_text=True)
    assert follow(BACK.search(page)) == f"/cases?ref={mine.reference[:5]}"


@pytest.mark.parametrize("typed", [NAME, "Nguyễn", "HS-C92H' OR 1=1 --", "HS-IIII", "%", "_",
                                   "HS-ABCDEFGHJ", "x" * 300])
def test_search_refuses_what_is_not_a_reference_and_keeps_it_in_the_box_only(
        people, login, make_case, typed):
    """Refused (422, not cached), with what was typed still in the box to correct
    it, and nowhere else: not in the message, a link or a URL."""
    make_case("intake", assigned=True)
    client = login(people.officer)
    response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                           "ref": typed})
    assert response.status_code == 422 and "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Không có hồ sơ nào trong danh sách của bạn có mã này" in html
    assert 'id="search-error"' in html
    box = re.search(r'<input id="ref" name="ref" type="search" value="([^"]*)"', html)
    assert unescape(box.group(1)) == typed[:100]
    rest = html.replace(box.group(0), "")
    assert typed not in rest or typed in ("%", "_")
    assert "Nguyen" not in rest and "Nguyễn" not in rest
    assert 'aria-invalid="true"' in html and "search-error" in box.group(0) + rest


def test_a_search_put_in_the_url_by_hand_is_dropped(people, login, make_case):
    make_case("intake", assigned=True)
    client = login(people.officer)
    response = client.get("/cases", query_string={"ref": NAME, "closed": "1"})
    assert response.status_code == 302 and response.location.endswith("/cases?closed=1")


def test_an_empty_search_is_the_whole_list(people, login, make_case):
    mine = make_case("intake", assigned=True)
    client = login(people.officer)
    for typed in ("", "HS-", "hs"):
        response = client.post("/cases", data={"csrf_token": csrf_token(client, "/cases"),
                                               "ref": typed})
        assert response.status_code == 302 and response.location.endswith("/cases")
        assert mine.reference in client.get("/cases").get_data(as_text=True)


def test_search_without_csrf_is_refused(people, login):
    client = login(people.officer)
    assert client.post("/cases", data={"ref": "HS-C9"}).status_code == 400


def test_switching_language_keeps_the_lists_page_and_the_cases_way_back(people, login, many,  # noqa: F811
                                                                        monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    client = login(people.supervisor)
    html = client.get("/cases").get_data(as_text=True)
    third = follow(NEXT.search(client.get(follow(NEXT.search(html))).get_data(as_text=True)))
    back = follow(PREV.search(client.get(third).get_data(as_text=True)))  # before=…&start=4
    html = client.get(back).get_data(as_text=True)
    kept = unescape(re.search(r'name="next" value="([^"]+)"', html).group(1))
    assert kept == back
    link = follow(CASE_LINK.search(html))
    page = client.get(link).get_data(as_text=True)
    kept = unescape(re.search(r'name="next" value="([^"]+)"', page).group(1))
    assert kept.startswith(link.split("?")[0] + "?back=/cases%3F")
    response = client.post("/language", data={"csrf_token": csrf_token(client, "/"),
                                              "locale": "en", "next": kept})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert follow(BACK.search(page)) == back and "Back to the list" in page
    # A forged back is not kept either.
    page = client.get(link.split("?")[0], query_string={"back": "https://evil.example/"})
    assert "evil" not in page.get_data(as_text=True)


def test_a_search_is_audited_as_the_list_is(people, login, make_case):
    from tests.cases.conftest import audit_count

    mine = make_case("intake", assigned=True)
    client = login(people.officer)
    client.get("/cases")
    before = audit_count()
    client.get("/cases")
    plain = audit_count() - before
    before = audit_count()
    client.get("/cases", query_string={"ref": mine.reference[:6]})
    assert audit_count() - before == plain


def test_the_danger_first_list_goes_back_across_its_two_ranges(people, login, overdue,  # noqa: F811
                                                               monkeypatch):
    made, elsewhere = overdue
    # Two of the five waiting cases in danger: read first, in a range of their own.
    db.session.execute(update(Case).where(Case.id.in_([made[1].id, made[3].id]))
                       .values(immediate_danger=True))
    db.session.commit()
    monkeypatch.setattr(supervision, "SHOWN", 2)
    client = login(people.supervisor)
    forward, backward, lines = walk_both_ways(client, "/supervision/unassigned",
                                              cut=lambda html: section(html, "unassigned"))
    assert [len(p) for p in forward] == [2, 2, 1]
    assert set(forward[0]) == {made[1].reference, made[3].reference}
    assert backward == list(reversed(forward[:-1]))
    assert lines == ["1–2 trong 5", "3–4 trong 5", "5–5 trong 5"]


@pytest.mark.parametrize("name", ["data-requests", "break-glass-uses", "closures", "plans"])
@pytest.mark.parametrize("before", ["garbage", _mark(["2026-01-01T00:00:00+00:00", 5]),
                                    _mark(["2026-01-01T00:00:00+00:00",
                                           "00000000-0000-4000-8000-000000000000"])])
def test_every_supervision_list_takes_a_forged_before_token(people, login, name, before):
    client = login(people.supervisor)
    response = client.get(f"/supervision/{name}", query_string={"before": before,
                                                                "start": "77"})
    assert response.status_code == 200
    assert 'id="list-position"' not in response.get_data(as_text=True)
