"""Taking harmful content down: items and requests through the section's forms
and the API; a request without an answer is overdue on "My cases" and in the
notification scan; who may do what; forged and bad input change nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.takedown import service
from caseapp.takedown.models import TakedownItem, TakedownRequest
from tests.case_screens.conftest import api_token, token
from tests.cases.conftest import audit_rows

from .conftest import LINK, TICKET, item_and_request, rows, today


def section(reference: str) -> str:
    return f"/cases/{reference}/sections/takedown"


def overdue_notices(reference: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.kind == "takedown_overdue", Notification.case_reference == reference)))


# --- recording, through the page ----------------------------------------------------------------

def test_the_officer_records_an_item_a_request_and_its_outcome(people, login, make_case):
    case = make_case("support")
    client = login(people.officer)
    page = section(case.reference)
    response = client.post(f"/cases/{case.reference}/takedown/items", data={
        "takedown-item-csrf_token": token(client, page), "takedown-item-platform": "tiktok",
        "takedown-item-kind": "account", "takedown-item-link": LINK})
    assert response.status_code == 302
    (item,) = db.session.scalars(select(TakedownItem).where(TakedownItem.case_id == case.id))
    assert (item.platform, item.kind) == ("tiktok", "account")
    response = client.post(f"/cases/{case.reference}/takedown/requests", data={
        "takedown-request-csrf_token": token(client, page), "takedown-request-item": item.id,
        "takedown-request-channel": "trusted_flagger",
        "takedown-request-sent_on": today().strftime("%d/%m/%Y"),
        "takedown-request-ticket": TICKET})
    assert response.status_code == 302
    (request,) = db.session.scalars(select(TakedownRequest))
    assert request.channel == "trusted_flagger" and request.outcome is None
    html = client.get(page).get_data(as_text=True)
    assert LINK in html and TICKET in html  # the officer sees the child's data
    response = client.post(f"/cases/{case.reference}/takedown/outcome", data={
        "takedown-outcome-csrf_token": token(client, page),
        "takedown-outcome-request_id": request.id, "takedown-outcome-outcome": "removed",
        "takedown-outcome-on": today().strftime("%d/%m/%Y")})
    assert response.status_code == 302
    db.session.expire_all()
    assert request.outcome == "removed" and request.outcome_on == today()
    actions = [e.action for e in audit_rows(object_id=case.reference)]
    assert {"case.takedown_item", "case.takedown_request", "case.takedown_outcome"} <= \
        set(actions)
    line = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'data-section-link="takedown"' in line


def test_the_case_page_line_counts_items_removed_and_waiting(people, login, recorded):
    case, item, request = recorded
    other = service.add_item(people.officer, case, service.ItemData("zalo", "account",
                                                                    "zalo.me/canary999"))
    service.record_request(people.officer, case, service.RequestData(
        other.id, "police", today(), ""))
    service.record_outcome(people.officer, case, service.OutcomeData(request.id, "removed",
                                                                     today()))
    db.session.commit()
    found = service.counts(case)
    assert (found.items, found.removed, found.waiting, found.overdue) == (2, 1, 1, 0)


# --- overdue: My cases and the real scan ------------------------------------------------------

def test_a_request_without_an_answer_is_overdue_on_my_cases_and_notifies(
        people, login, recorded, runner, travel):
    case, _item, request = recorded
    client = login(people.officer)
    listed = client.get("/cases").get_data(as_text=True)
    assert case.reference in listed and "data-mark" not in listed
    assert runner.invoke(args=["notifications", "scan"]).exit_code == 0
    assert overdue_notices(case.reference) == []

    travel(days=service.answer_days() + 1)
    client = login(people.officer)  # the session ended meanwhile
    listed = client.get("/cases").get_data(as_text=True)
    row = listed[listed.index(case.reference):].split("</tr>")[0]
    assert "data-mark" in row and "Gỡ nội dung: chưa có trả lời đúng hạn" in row
    line = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "1 yêu cầu quá hạn chưa trả lời" in line  # the case page's line says it too
    result = runner.invoke(args=["notifications", "scan"])
    assert result.exit_code == 0, result.output
    notices = overdue_notices(case.reference)
    assert [n.user_id for n in notices] == [people.officer.id]
    assert notices[0].dedupe_key == f"takedown_overdue:{request.id}"
    runner.invoke(args=["notifications", "scan"])  # once per request, however often it runs
    assert len(overdue_notices(case.reference)) == 1
    assert "gỡ nội dung" in client.get("/notifications").get_data(as_text=True)

    # An answer ends it.
    service.record_outcome(people.officer, case, service.OutcomeData(
        request.id, "no_answer", today()))
    db.session.commit()
    assert "data-mark" not in client.get("/cases").get_data(as_text=True)


def test_the_answer_time_is_the_setting(app, people, make_case, travel):
    case = make_case("support")
    app.config["TAKEDOWN_ANSWER_DAYS"] = 2
    try:
        _item, request = item_and_request(people.officer, case)
    finally:
        app.config["TAKEDOWN_ANSWER_DAYS"] = 7
    from caseapp import clock
    assert not request.is_overdue(clock.now())
    travel(days=3)
    assert request.is_overdue(clock.now())
    assert service.overdue_among([case.id]) == {case.id}


def test_the_my_cases_marks_are_one_statement_per_page(people, login, make_case, travel):
    """The mark is read for the page's rows at once, not per row."""
    from tests.sql_statements import statements_run

    for _ in range(2):
        item_and_request(people.officer, make_case("support"))
    travel(days=service.answer_days() + 1)
    client = login(people.officer)
    client.get("/cases")
    _page, few = statements_run(lambda: client.get("/cases"))
    days = service.answer_days() + 1
    for _ in range(4):
        received = clock.now().replace(second=0, microsecond=0) - timedelta(days=days)
        item_and_request(people.officer, make_case("support", received_at=received),
                         sent_on=today() - timedelta(days=days))
    page, many = statements_run(lambda: client.get("/cases"))
    assert page.get_data(as_text=True).count("data-mark") == 6
    assert many == few


# --- who may do what -----------------------------------------------------------------------------

def test_another_units_case_is_404_and_audited(people, login, recorded):
    case, _item, request = recorded
    client = login(people.other_officer)
    before = len(audit_rows(action="case.denied"))
    for path, data in (("takedown/items", {"takedown-item-link": "x"}),
                       ("takedown/requests", {}),
                       ("takedown/outcome", {"takedown-outcome-request_id": request.id})):
        response = client.post(f"/cases/{case.reference}/{path}",
                               data={"csrf_token": token(client, "/cases"), **data})
        assert response.status_code == 404
    assert client.get(section(case.reference)).status_code == 404
    assert client.get(f"/api/v1/cases/{case.reference}/takedown").status_code == 404
    assert len(audit_rows(action="case.denied")) == before + 5
    assert rows(TakedownItem) == 1 and rows(TakedownRequest) == 1


def test_a_supervisor_sees_the_metadata_and_may_not_record(people, login, recorded):
    case, item, request = recorded
    client = login(people.supervisor)
    page = client.get(section(case.reference))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Facebook" in html and LINK not in html and TICKET not in html
    assert 'data-action="takedown_item"' not in html
    before = len(audit_rows(action="case.denied"))
    response = client.post(f"/cases/{case.reference}/takedown/items", data={
        "takedown-item-csrf_token": token(client, section(case.reference)),
        "takedown-item-platform": "x", "takedown-item-kind": "post",
        "takedown-item-link": "https://x.com/canary/status/1"})
    assert response.status_code == 403
    response = client.post(f"/cases/{case.reference}/takedown/outcome", data={
        "takedown-outcome-csrf_token": token(client, section(case.reference)),
        "takedown-outcome-request_id": request.id, "takedown-outcome-outcome": "removed",
        "takedown-outcome-on": today().strftime("%d/%m/%Y")})
    assert response.status_code == 403
    assert len(audit_rows(action="case.denied")) == before + 2
    db.session.expire_all()
    assert rows(TakedownItem) == 1 and request.outcome is None


def test_the_api_refuses_a_supervisor_with_403(people, login, recorded):
    case, item, _request = recorded
    client = login(people.supervisor)
    response = client.post(f"/api/v1/cases/{case.reference}/takedown/requests", json={
        "item_id": item.id, "channel": "police", "sent_on": today().isoformat()},
        headers={"X-CSRFToken": api_token(client)})
    assert response.status_code == 403 and rows(TakedownRequest) == 1
    listed = client.get(f"/api/v1/cases/{case.reference}/takedown").json
    assert listed["child_data_hidden"] is True
    assert listed["items"][0]["link"] is None
    assert listed["items"][0]["requests"][0]["ticket"] is None


# --- forged and bad input ----------------------------------------------------------------

def test_a_post_without_csrf_changes_nothing(people, login, recorded):
    case, _item, request = recorded
    client = login(people.officer)
    response = client.post(f"/cases/{case.reference}/takedown/outcome", data={
        "takedown-outcome-request_id": request.id, "takedown-outcome-outcome": "removed",
        "takedown-outcome-on": today().strftime("%d/%m/%Y")})
    assert response.status_code == 400
    response = client.post(f"/cases/{case.reference}/takedown/items", data={
        "takedown-item-platform": "x", "takedown-item-kind": "post",
        "takedown-item-link": "https://x.com/canary"})
    assert response.status_code == 400
    db.session.expire_all()
    assert request.outcome is None and rows(TakedownItem) == 1


def test_another_cases_request_or_item_is_refused(people, login, make_case, recorded):
    """The officer works on both cases: an id of one posted on the other is
    refused as unknown, and neither case changes."""
    case, item, request = recorded
    mine = make_case("support")
    client = login(people.officer)
    page = section(mine.reference)
    response = client.post(f"/cases/{mine.reference}/takedown/outcome", data={
        "takedown-outcome-csrf_token": token(client, page),
        "takedown-outcome-request_id": request.id, "takedown-outcome-outcome": "removed",
        "takedown-outcome-on": today().strftime("%d/%m/%Y")})
    assert response.status_code == 422
    response = client.post(f"/cases/{mine.reference}/takedown/requests", data={
        "takedown-request-csrf_token": token(client, page), "takedown-request-item": item.id,
        "takedown-request-channel": "police",
        "takedown-request-sent_on": today().strftime("%d/%m/%Y")})
    assert response.status_code == 422
    api = client.post(f"/api/v1/cases/{mine.reference}/takedown/requests/{request.id}/outcome",
                      json={"outcome": "removed", "on": today().isoformat()},
                      headers={"X-CSRFToken": api_token(client)})
    assert api.status_code == 422
    db.session.expire_all()
    assert request.outcome is None and rows(TakedownRequest) == 1
    assert rows(TakedownItem, mine) == 0 and rows(TakedownRequest, mine) == 0


@pytest.mark.parametrize("fields,message", [
    ({"takedown-item-platform": "myspace", "takedown-item-kind": "post",
      "takedown-item-link": LINK}, "Chọn nền tảng trong danh sách."),
    ({"takedown-item-platform": "facebook", "takedown-item-kind": "post",
      "takedown-item-link": ""}, "Nhập đường dẫn hoặc tên tài khoản của nội dung."),
])
def test_bad_item_input_gives_a_vietnamese_message_and_writes_nothing(
        people, login, make_case, fields, message):
    case = make_case("support")
    client = login(people.officer)
    response = client.post(f"/cases/{case.reference}/takedown/items", data={
        "takedown-item-csrf_token": token(client, section(case.reference)), **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert rows(TakedownItem, case) == 0


def test_bad_request_and_outcome_dates_are_refused_in_vietnamese(people, login, recorded):
    case, item, request = recorded
    client = login(people.officer)
    page = section(case.reference)
    future = (today() + timedelta(days=3)).strftime("%d/%m/%Y")
    response = client.post(f"/cases/{case.reference}/takedown/requests", data={
        "takedown-request-csrf_token": token(client, page), "takedown-request-item": item.id,
        "takedown-request-channel": "police", "takedown-request-sent_on": future})
    assert response.status_code == 422
    assert "Ngày này quá xa trong tương lai." in response.get_data(as_text=True)
    # Nor before the report reached the unit (it would shorten its own answer time).
    before = (case.received_at - timedelta(days=1)).strftime("%d/%m/%Y")
    response = client.post(f"/cases/{case.reference}/takedown/requests", data={
        "takedown-request-csrf_token": token(client, page), "takedown-request-item": item.id,
        "takedown-request-channel": "police", "takedown-request-sent_on": before})
    assert response.status_code == 422
    assert "trước khi tiếp nhận báo cáo" in response.get_data(as_text=True)
    earlier = (today() - timedelta(days=2)).strftime("%d/%m/%Y")
    response = client.post(f"/cases/{case.reference}/takedown/outcome", data={
        "takedown-outcome-csrf_token": token(client, page),
        "takedown-outcome-request_id": request.id, "takedown-outcome-outcome": "removed",
        "takedown-outcome-on": earlier})
    assert response.status_code == 422
    assert "Kết quả không thể có trước ngày gửi yêu cầu." in response.get_data(as_text=True)
    db.session.expire_all()
    assert rows(TakedownRequest) == 1 and request.outcome is None


# --- the API ------------------------------------------------------------------------------

def test_the_api_lists_and_creates_requests(people, login, make_case):
    case = make_case("support")
    client = login(people.officer)
    headers = {"X-CSRFToken": api_token(client)}
    made = client.post(f"/api/v1/cases/{case.reference}/takedown/items", json={
        "platform": "youtube", "kind": "post", "link": LINK}, headers=headers)
    assert made.status_code == 201, made.json
    item_id = made.json["takedown"]["item_id"]
    sent = client.post(f"/api/v1/cases/{case.reference}/takedown/requests", json={
        "item_id": item_id, "channel": "information_safety", "sent_on": today().isoformat(),
        "ticket": TICKET}, headers=headers)
    assert sent.status_code == 201, sent.json
    bad = client.post(f"/api/v1/cases/{case.reference}/takedown/requests", json={
        "item_id": item_id, "channel": "the_press", "sent_on": "yesterday"}, headers=headers)
    assert bad.status_code == 422 and {"channel", "sent_on"} <= set(bad.json["fields"])
    listed = client.get(f"/api/v1/cases/{case.reference}/takedown").json
    (item,) = listed["items"]
    assert item["link"] == LINK and item["requests"][0]["ticket"] == TICKET
    assert item["requests"][0]["overdue"] is False and item["removed"] is False
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/cases/{reference}/takedown/requests" in paths
    assert "TakedownRequestIn" in str(paths["/cases/{reference}/takedown/requests"])


def test_no_link_or_ticket_in_audit_entries_notices_or_urls(people, login, make_case, runner,
                                                            travel):
    case = make_case("support")
    client = login(people.officer)
    page = section(case.reference)
    made = client.post(f"/cases/{case.reference}/takedown/items", data={
        "takedown-item-csrf_token": token(client, page), "takedown-item-platform": "facebook",
        "takedown-item-kind": "group", "takedown-item-link": LINK,
        "takedown-item-note": "Canary ghi chú"})
    (item,) = db.session.scalars(select(TakedownItem))
    sent = client.post(f"/cases/{case.reference}/takedown/requests", data={
        "takedown-request-csrf_token": token(client, page), "takedown-request-item": item.id,
        "takedown-request-channel": "platform_report",
        "takedown-request-sent_on": today().strftime("%d/%m/%Y"),
        "takedown-request-ticket": TICKET})
    for response in (made, sent):
        assert response.status_code == 302
        assert LINK not in response.headers["Location"]
        assert TICKET not in response.headers["Location"]
    travel(days=service.answer_days() + 1)
    runner.invoke(args=["notifications", "scan"])
    for entry in audit_rows():
        for secret in (LINK, TICKET, "nhom.kin", "Canary ghi chú"):
            assert secret not in (entry.details or "")
    for notice in db.session.scalars(select(Notification)):
        assert TICKET not in str(notice.dedupe_key) and LINK not in str(notice.dedupe_key)


def test_a_shredded_case_keeps_no_link_index_and_shows_no_section(people, login, recorded):
    from caseapp import clock
    from caseapp.cases.retention import shred

    case, item, _request = recorded
    assert item.link_index is not None
    shred(case, clock.now(), reason="retention")
    db.session.commit()
    db.session.expire_all()
    assert item.link_index is None
    assert service.overdue_among([case.id], clock.now() + timedelta(days=30)) == set()
    from caseapp.takedown import figures
    rows, total = figures.by_platform(people.supervisor)
    assert total.items == 0
