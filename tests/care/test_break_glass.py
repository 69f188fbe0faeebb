"""Break-glass: a supervisor's written reason, read-only access to one case for
BREAK_GLASS_MINUTES, every view audited, notifications, expiry and early end."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text

import audit
from caseapp.break_glass import service as care
from caseapp.break_glass.models import BreakGlassAccess
from caseapp.cases import service
from caseapp.cases.data import NoteData
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules
from tests.case_screens.conftest import act, token
from tests.cases.conftest import CHILD_NAME, audit_rows

REASON = "Em đang gặp nguy hiểm, cán bộ phụ trách không liên lạc được"


def request_glass(client, reference, reason=REASON):
    return client.post(f"/break-glass/{reference}", data={
        "break_glass-csrf_token": token(client, f"/cases/{reference}"),
        "break_glass-reason": reason})


def accesses(case):
    return db.session.scalars(select(BreakGlassAccess)
                              .where(BreakGlassAccess.case_id == case.id)).all()


def test_form_is_offered_to_an_unassigned_supervisor_only(people, login, make_case):
    case = make_case("assessment")
    page = login(people.supervisor).get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'data-action="break_glass"' in page and CHILD_NAME not in page
    assert 'data-action="break_glass"' not in \
        login(people.officer).get(f"/cases/{case.reference}").get_data(as_text=True)


@pytest.mark.parametrize("reason", ["", "   ", "khẩn cấp", "x" * 19])
def test_short_reason_is_refused(people, login, make_case, reason):
    case = make_case("assessment")
    client = login(people.supervisor)
    response = request_glass(client, case.reference, reason)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert CHILD_NAME not in page and 'data-action="break_glass"' in page
    assert accesses(case) == []
    with pytest.raises(CaseError):
        care.break_glass(people.supervisor, case, "quá ngắn")


def test_access_shows_child_data_read_only(people, login, make_case):
    case = make_case("support")
    client = login(people.supervisor)
    response = request_glass(client, case.reference)
    assert response.status_code == 302
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert CHILD_NAME in page and 'id="break-glass-active"' in page
    assert 'data-action="note"' not in page and 'data-action="support_action"' not in page
    assert 'data-action-link="support_action"' not in page
    assert client.get(f"/cases/{case.reference}/actions/support_action").status_code == 403
    # Writes are refused, on the web and in the service.
    assert act(client, case.reference, "note", text="Ghi chú của giám sát").status_code == 403
    with pytest.raises(PermissionDenied):
        service.add_note(people.supervisor, case, NoteData(text="Ghi chú của giám sát"))
    assert rules.can_view_child_data(people.supervisor, case)
    assert not rules.can_change_child_data(people.supervisor, case)
    # One case only.
    other = make_case("support")
    assert not rules.can_view_child_data(people.supervisor, other)
    assert CHILD_NAME not in client.get(f"/cases/{other.reference}").get_data(as_text=True)


def test_access_expires_with_the_clock(people, login, make_case, travel, app):
    case = make_case("assessment")
    client = login(people.supervisor)
    assert request_glass(client, case.reference).status_code == 302
    (access,) = accesses(case)
    minutes = app.config["BREAK_GLASS_MINUTES"]
    assert minutes == 60
    assert round((access.ends_at() - access.started_at).total_seconds()) == minutes * 60
    # Visits every 10 minutes keep the session (15 minutes idle) alive.
    for _step in range(5):
        travel(minutes=10)
        assert CHILD_NAME in client.get(f"/cases/{case.reference}").get_data(as_text=True)
    travel(minutes=minutes - 50 - 1)
    assert CHILD_NAME in client.get(f"/cases/{case.reference}").get_data(as_text=True)
    travel(minutes=2)
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert CHILD_NAME not in page and 'id="metadata-only"' in page
    assert not rules.can_view_child_data(people.supervisor, case)
    with pytest.raises(PermissionDenied):
        service.open_child_data(people.supervisor, case)


def test_early_end_by_its_user(people, login, make_case):
    case = make_case("assessment")
    client = login(people.supervisor)
    request_glass(client, case.reference)
    (access,) = accesses(case)
    # Nobody else ends it (it does not exist for them).
    officer = login(people.officer)
    assert officer.post(f"/break-glass/{access.id}/end",
                        data={"csrf_token": token(officer)}).status_code == 404
    # Without the CSRF token: refused.
    assert client.post(f"/break-glass/{access.id}/end").status_code == 400
    response = client.post(f"/break-glass/{access.id}/end", data={"csrf_token": token(client)})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert CHILD_NAME not in page
    (end,) = audit_rows(action="case.break_glass_end")
    assert json.loads(end.details)["access_id"] == access.id
    db.session.expire_all()
    with pytest.raises(CaseError):
        care.end_break_glass(people.supervisor, access.id)


def test_notifications_reach_the_assigned_and_the_supervisors_above(people, login, make_case):
    case = make_case("assessment", assignees=[people.officer2])
    client = login(people.supervisor)
    request_glass(client, case.reference)
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.case_reference == case.reference, Notification.kind == "break_glass")))
    assert told == {people.officer.id, people.officer2.id, people.province_supervisor.id}
    readers = {user.id: login(user) for user in (people.officer, people.province_supervisor)}
    for reader in readers.values():
        page = reader.get("/cases").get_data(as_text=True)
        assert re.search(r'id="unread-count">\d+<', page)
        listing = reader.get("/notifications").get_data(as_text=True)
        assert case.reference in listing and CHILD_NAME not in listing
    nobody = login(people.other_supervisor)
    assert case.reference not in nobody.get("/notifications").get_data(as_text=True)
    # Marking read: a POST with the CSRF token.
    reader = readers[people.officer.id]
    (note,) = db.session.scalars(select(Notification).where(
        Notification.user_id == people.officer.id, Notification.kind == "break_glass")).all()
    def unread() -> int:
        found = re.search(r'id="unread-count">(\d+)<', reader.get("/cases").get_data(as_text=True))
        return int(found.group(1)) if found else 0

    before = unread()
    assert reader.post("/notifications/read", data={"notification": str(note.id)}) \
        .status_code == 400
    assert note.read_at is None
    assert reader.post("/notifications/read", data={
        "csrf_token": token(reader, "/notifications"),
        "notification": str(note.id)}).status_code == 302
    db.session.refresh(note)
    assert note.read_at is not None
    assert unread() == before - 1


def test_supervisor_of_another_subtree_gets_404(people, login, make_case):
    case = make_case("assessment")
    client = login(people.other_supervisor)
    response = client.post(f"/break-glass/{case.reference}", data={
        "break_glass-csrf_token": token(client), "break_glass-reason": REASON})
    assert response.status_code == 404
    assert accesses(case) == []
    assert [json.loads(r.details)["action"] for r in audit_rows(action="case.denied",
                                                                object_id=case.reference)] \
        == ["web:break_glass"]
    with pytest.raises(CaseNotFound):
        care.break_glass(people.other_supervisor, case, REASON)


def test_assigned_people_and_officers_cannot_break_glass(people, make_case):
    case = make_case("assessment")
    with pytest.raises(CaseNotFound):
        care.break_glass(people.other_officer, case, REASON)
    with pytest.raises(PermissionDenied):
        care.break_glass(people.officer, case, REASON)


def test_break_glass_views_are_audited_without_the_reason(people, login, make_case):
    case = make_case("assessment")
    client = login(people.supervisor)
    request_glass(client, case.reference)
    client.get(f"/cases/{case.reference}")
    client.get(f"/cases/{case.reference}")
    # The API hands out a copy: not through break-glass (read-only on the page).
    assert client.get(f"/api/v1/cases/{case.reference}").json["case"]["child"] is None
    (access,) = accesses(case)
    (start,) = audit_rows(action="case.break_glass", object_id=case.reference)
    assert json.loads(start.details) == {"access_id": access.id, "minutes": 60}
    views = [json.loads(r.details) for r in audit_rows(action="case.view",
                                                       actor_id=people.supervisor.id)]
    assert len(views) >= 2
    assert all(v["via"] == "break_glass" and v["access_id"] == access.id for v in views)
    assert {v["route"] for v in views} >= {"cases.case_page"}
    everything = db.session.execute(select(audit.audit_entries.c.details)).scalars().all()
    assert not any(REASON in d or "nguy hiểm" in d for d in everything)
    # Sealed in the table too.
    raw = db.session.execute(text("SELECT reason FROM break_glass_accesses")).scalar_one()
    assert REASON.encode() not in bytes(raw)
    assert access.reason == REASON  # the scope is unlocked in this test's context


def test_supervision_lists_every_use(people, login, make_case):
    case = make_case("assessment")
    author = login(people.supervisor)
    request_glass(author, case.reference)
    own = author.get("/supervision").get_data(as_text=True)
    assert 'id="break-glass-uses"' in own and case.reference in own and REASON in own
    # The supervisors above judge the use: they read its reason (audited).
    above = login(people.province_supervisor).get("/supervision").get_data(as_text=True)
    assert case.reference in above and "gs.tuan" in above and REASON in above
    assert audit_rows(action="case.break_glass_reason",
                      actor_id=people.province_supervisor.id)
    elsewhere = login(people.other_supervisor).get("/supervision").get_data(as_text=True)
    assert case.reference not in elsewhere
    reads = audit_rows(action="case.break_glass_reason", actor_id=people.supervisor.id)
    assert reads and all(r.object_id == case.reference for r in reads)
