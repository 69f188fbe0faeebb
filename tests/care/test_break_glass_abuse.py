"""Break-glass against the supervisor who abuses it and the insider with the
database: who is told, how often, on which cases, and a row written by hand
in the database opens nothing. (Findings of the hostile review.)"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from caseapp import clock
from caseapp.break_glass import service as care
from caseapp.break_glass.models import BreakGlassAccess
from caseapp.cases import service
from caseapp.cases.errors import CaseError
from caseapp.crypto import key_scope
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules
from caseapp.settings import ConfigError, validate
from tests.case_screens.conftest import token
from tests.cases.conftest import CHILD_NAME, audit_rows

REASON = "Em đang gặp nguy hiểm, cán bộ phụ trách không liên lạc được"


def told(case) -> set[str]:
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "break_glass", Notification.case_reference == case.reference)))


def test_every_supervisor_of_the_case_and_the_officers_are_told(people, make_user, make_case):
    peer = make_user("supervisor", people.district, username="gs.peer").user
    case = make_case("support", assignees=[people.officer2])
    care.break_glass(people.supervisor, case, REASON)
    assert {people.officer.id, people.officer2.id, people.province_supervisor.id,
            peer.id} <= told(case)
    assert people.supervisor.id not in told(case)
    assert people.other_supervisor.id not in told(case)


def test_the_top_supervisor_on_an_unassigned_case_is_still_reported(people, make_case):
    case = make_case("intake")  # nobody assigned; the province supervisor has no one above
    care.break_glass(people.province_supervisor, case, REASON)
    recipients = told(case)
    assert people.supervisor.id in recipients  # the supervisors of the case's own units
    assert people.province_supervisor.id not in recipients


def test_only_admins_are_told_when_no_one_else_could_be(people, make_case, app):
    case = make_case("intake")
    db.session.execute(text("UPDATE users SET is_enabled = :off WHERE id = :id"),
                       {"off": False, "id": people.supervisor.id})
    db.session.expire_all()
    care.break_glass(people.province_supervisor, case, REASON)
    assert told(case) == {people.admin.id}


def test_closed_cases_are_refused(people, make_case):
    case = make_case("closure")
    assert not rules.can_break_glass(people.supervisor, case)
    with pytest.raises(PermissionDenied):
        care.break_glass(people.supervisor, case, REASON)
    assert db.session.scalars(select(BreakGlassAccess)).all() == []


def test_daily_limit(people, make_case, app, travel):
    limit = app.config["BREAK_GLASS_DAILY_LIMIT"]
    cases = [make_case("support") for _ in range(limit + 1)]
    for case in cases[:limit]:
        care.break_glass(people.supervisor, case, REASON)
    with pytest.raises(CaseError) as error:
        care.break_glass(people.supervisor, cases[limit], REASON)
    assert "24" in str(error.value.message)
    assert audit_rows(action="case.denied")[-1].details == '{"action":"break_glass_limit"}'
    assert not rules.can_view_child_data(people.supervisor, cases[limit])
    travel(hours=25)
    care.break_glass(people.supervisor, cases[limit], REASON)


def test_a_hand_written_access_row_opens_nothing(people, make_case):
    case = make_case("support")
    now = clock.now()
    db.session.execute(text(
        "INSERT INTO break_glass_accesses (id, case_id, user_id, unit_path, started_at, "
        "expires_at) VALUES ('00000000-0000-0000-0000-00000000beef', :c, :u, :p, :s, :e)"),
        {"c": case.id, "u": people.province_supervisor.id, "p": people.province.path,
         "s": now, "e": now + timedelta(days=3650)})
    db.session.expire_all()
    assert rules.active_break_glass(people.province_supervisor, case) is None
    with key_scope(), pytest.raises(PermissionDenied):
        service.open_child_data(people.province_supervisor, case)


def test_an_access_extended_by_hand_opens_nothing(people, make_case, travel):
    """The row's MAC no longer matches: the access is refused at once and the
    forgery reported (before row MACs it still ended on time, by its audit entry)."""
    from tests.cases.conftest import audit_count

    case = make_case("support")
    access = care.break_glass(people.supervisor, case, REASON)
    assert rules.can_view_child_data(people.supervisor, case)
    db.session.execute(text("UPDATE break_glass_accesses SET expires_at = :t WHERE id = :i"),
                       {"t": clock.now() + timedelta(days=3650), "i": access.id})
    db.session.expire_all()
    assert not rules.can_view_child_data(people.supervisor, case)
    assert audit_count(action="integrity.violation", object_id=access.id) == 1
    travel(minutes=61)
    assert not rules.can_view_child_data(people.supervisor, case)


def test_a_forged_audit_entry_opens_nothing(people, make_case, app):
    """An insider copies a genuine-looking "case.break_glass" entry for a row of
    their own: without the audit key its MAC is wrong, and the access is refused."""
    import audit

    case = make_case("support")
    access_id = "00000000-0000-0000-0000-00000000cafe"
    now = clock.now()
    db.session.execute(text(
        "INSERT INTO break_glass_accesses (id, case_id, user_id, unit_path, started_at, "
        "expires_at) VALUES (:i, :c, :u, :p, :s, :e)"),
        {"i": access_id, "c": case.id, "u": people.supervisor.id, "p": people.district.path,
         "s": now, "e": now + timedelta(minutes=60)})
    head = db.session.execute(select(audit.audit_entries.c.seq, audit.audit_entries.c.mac)
                              .order_by(audit.audit_entries.c.seq.desc()).limit(1)).one()
    db.session.execute(audit.audit_entries.insert().values(
        seq=head.seq + 1, occurred_at=now, actor_type="user", actor_id=people.supervisor.id,
        actor_role="supervisor", action="case.break_glass", object_type="case",
        object_id=case.reference, outcome="ok", unit_path=case.unit.path,
        details=f'{{"access_id":"{access_id}","minutes":60}}', prev_mac=head.mac,
        mac="0" * 64))
    db.session.expire_all()
    assert rules.active_break_glass(people.supervisor, case) is None


def test_dashboard_reasons_are_audited_and_limited_to_recent_uses(people, login, make_case,
                                                                   travel):
    case = make_case("support")
    care.break_glass(people.supervisor, case, REASON)
    db.session.commit()
    client = login(people.province_supervisor)
    before = len(audit_rows(action="case.break_glass_reason"))
    assert REASON in client.get("/supervision").get_data(as_text=True)
    assert len(audit_rows(action="case.break_glass_reason")) == before + 1
    travel(days=31)
    assert care.accesses_in_scope(people.province_supervisor) == []
    assert care.older_uses_in_scope(people.province_supervisor) == 1


def test_ending_someone_elses_access_is_a_recorded_404(people, login, make_case):
    case = make_case("support")
    access = care.break_glass(people.supervisor, case, REASON)
    db.session.commit()
    client = login(people.province_supervisor)
    response = client.post(f"/break-glass/{access.id}/end",
                           data={"csrf_token": token(client, "/notifications")})
    assert response.status_code == 404
    entry = audit_rows(action="case.denied")[-1]
    assert entry.actor_id == people.province_supervisor.id
    assert entry.details == '{"action":"end_break_glass"}' and access.id not in entry.details
    assert access.ended_at is None


def test_a_unicode_digit_is_not_a_500(people, login):
    client = login(people.officer)
    response = client.post("/notifications/read", data={
        "csrf_token": token(client, "/notifications"), "notification": "²"})
    assert response.status_code == 404


@pytest.mark.parametrize("minutes", [0, -5, 4, 241, 10**12, True, "60"])
def test_break_glass_minutes_are_checked_at_start(minutes, app):
    values = dict(app.config)
    values["BREAK_GLASS_MINUTES"] = minutes
    with pytest.raises(ConfigError) as error:
        validate(values)
    assert "BREAK_GLASS_MINUTES" in str(error.value)


def test_the_child_data_shows_only_during_a_genuine_access(people, login, make_case):
    case = make_case("support")
    care.break_glass(people.supervisor, case, REASON)
    db.session.commit()
    assert CHILD_NAME in login(people.supervisor).get(
        f"/cases/{case.reference}").get_data(as_text=True)
