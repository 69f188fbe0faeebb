"""Until someone leads it, a public request is read by its unit's counselors and
its supervisors (each reading audited); after assignment the usual rules apply.
Its supervisors are told at once, marked as from the public, danger first."""
from __future__ import annotations

from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.cases import queries
from caseapp.cases import service as case_service
from caseapp.cases.data import AssignmentData
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.permissions import cases as rules
from tests.cases.conftest import audit_rows, intake_data

from .conftest import send


def public_case(visitor, **overrides) -> Case:
    assert send(visitor, **overrides).status_code == 200
    return db.session.scalar(select(Case).order_by(Case.created_at.desc()).limit(1))


def staff(people, role: str, unit, name: str) -> User:
    made = User(username=name, role=role, unit_id=unit.id, unit=unit,
                password_hash=people.counselor.password_hash, display_name=name,
                is_enabled=True)
    db.session.add(made)
    db.session.commit()
    return made


def test_the_unit_s_counselors_and_supervisors_read_it_until_assigned(visitor, people, login):
    case = public_case(visitor)
    elsewhere = staff(people, "counselor", people.other_district, "tvv.khac")
    district_counselor = staff(people, "counselor", people.district, "tvv.huyen")
    page = f"/cases/{case.reference}"
    clients: dict = {}

    def as_(user):  # one logged-in browser per person
        if user.id not in clients:
            clients[user.id] = login(user)
        return clients[user.id]

    for user in (people.counselor, people.supervisor):
        views = len(audit_rows(action="case.view", object_id=case.reference))
        response = as_(user).get(page)
        assert response.status_code == 200
        assert "CANARY-STORY" in response.get_data(as_text=True)  # the words, to triage
        entries = audit_rows(action="case.view", object_id=case.reference)
        assert len(entries) == views + 1 and "public_triage" in entries[-1].details
    for user in (elsewhere, district_counselor, people.officer, people.other_supervisor):
        assert as_(user).get(page).status_code == 404
    # The scoped query agrees with the rule.
    assert db.session.scalar(queries.visible_cases(people.counselor)
                             .where(Case.id == case.id)) is not None
    assert db.session.scalar(queries.visible_cases(elsewhere).where(Case.id == case.id)) is None

    # "My cases" of the unit's counselor lists it, marked as from the public.
    mine = as_(people.counselor).get("/cases").get_data(as_text=True)
    assert case.reference in mine and "Từ biểu mẫu công khai" in mine
    assert case.reference not in as_(elsewhere).get("/cases").get_data(as_text=True)

    case_service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    db.session.commit()
    assert as_(people.counselor).get(page).status_code == 404
    assert case.reference not in as_(people.counselor).get("/cases").get_data(as_text=True)
    assert db.session.scalar(queries.visible_cases(people.counselor)
                             .where(Case.id == case.id)) is None
    assert not rules.can_view_child_data(people.supervisor, case)
    assert as_(people.officer).get(page).status_code == 200


def test_a_staff_intake_with_the_form_s_channel_is_not_opened_to_the_unit(people):
    case = case_service.record_intake(people.counselor, intake_data(channel="online_form"))
    db.session.commit()
    colleague = staff(people, "counselor", people.commune, "tvv.hai")
    assert not rules.can_view_case(colleague, case)
    assert db.session.scalar(queries.visible_cases(colleague).where(Case.id == case.id)) is None


def test_the_supervisors_are_told_at_once_marked_as_from_the_public(visitor, people):
    case = public_case(visitor)
    # (A "match_found" notice may come too, the form's request being like an
    # earlier one: only the notices of a new report are compared here.)
    kinds = dict(db.session.execute(select(Notification.user_id, Notification.kind).where(
        Notification.case_reference == case.reference,
        Notification.kind != "match_found")).all())
    assert kinds.get(people.supervisor.id) == "public_request"
    assert kinds.get(people.province_supervisor.id) == "public_request"
    assert "case_recorded" not in kinds.values()
    # The unit's counselors triage too, and are told; nobody of another unit is.
    assert kinds.get(people.counselor.id) == "public_request"
    assert people.other_supervisor.id not in kinds and people.other_officer.id not in kinds
    danger = public_case(visitor, danger="yes")
    assert db.session.scalar(select(Notification.kind).where(
        Notification.case_reference == danger.reference,
        Notification.kind != "match_found",
        Notification.user_id == people.supervisor.id)) == "public_request_danger"
    # Assigning settles the notice.
    case_service.assign(people.supervisor, case, AssignmentData(people.officer.id))
    db.session.commit()
    assert db.session.scalar(select(Notification.read_at).where(
        Notification.case_reference == case.reference,
        Notification.kind == "public_request",
        Notification.user_id == people.supervisor.id)) is not None


def test_the_queue_puts_danger_first_and_marks_public_requests(visitor, people, login):
    calm = public_case(visitor)
    danger = public_case(visitor, danger="yes")
    queue = db.session.scalars(queries.assignment_queue(people.supervisor)).all()
    references = [c.reference for c in queue]
    assert references.index(danger.reference) < references.index(calm.reference)
    supervisor = login(people.supervisor)
    html = supervisor.get("/supervision").get_data(as_text=True)
    assert "Từ biểu mẫu công khai" in html
    notices = supervisor.get("/notifications").get_data(as_text=True)
    assert "biểu mẫu công khai" in notices
