"""Each hand-off of a case tells the people who act next, once, with a kind and a
case reference only; nobody outside the case's line hears of it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caseapp.cases import service
from caseapp.cases.data import AssignmentData, SendBackData
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from tests.cases.conftest import (
    SECRETS,
    assessment_data,
    closure_data,
    intake_data,
    needs_data,
    plan_data,
)


def told(kind: str, reference: str) -> list[str]:
    return sorted(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == kind, Notification.case_reference == reference)))


def ids(*users) -> list[str]:
    return sorted(u.id for u in users)


def test_a_new_report_reaches_the_supervisors_above_its_unit_only(people):
    case = service.record_intake(people.counselor, intake_data())
    db.session.commit()
    assert told("case_recorded", case.reference) == ids(people.supervisor,
                                                        people.province_supervisor)
    assert told("case_recorded_danger", case.reference) == []


def test_a_child_in_danger_is_a_notice_of_its_own(people):
    case = service.record_intake(people.counselor, intake_data(immediate_danger=True))
    db.session.commit()
    assert told("case_recorded_danger", case.reference) == ids(people.supervisor,
                                                               people.province_supervisor)
    assert told("case_recorded", case.reference) == []


def test_assignment_tells_the_newly_assigned_not_the_one_who_assigned(people, make_case):
    case = make_case("intake", assignees=[people.officer2])
    assert told("assigned", case.reference) == ids(people.officer, people.officer2)
    # Assigning again the same people tells no one a second time.
    service.assign(people.supervisor, case, AssignmentData(people.officer.id,
                                                           (people.officer2.id,)))
    db.session.commit()
    assert told("assigned", case.reference) == ids(people.officer, people.officer2)
    assert people.supervisor.id not in told("assigned", case.reference)


def test_an_officer_given_a_child_in_danger_is_told_so(people, make_case):
    case = make_case("intake", assigned=True, immediate_danger=True)
    assert told("assigned_danger", case.reference) == ids(people.officer)
    assert told("assigned", case.reference) == []
    from caseapp.notifications.labels import URGENT
    assert "assigned_danger" in URGENT


def test_the_plan_goes_to_the_supervisors_and_their_answer_to_the_lead(people, make_case):
    case = make_case("intake", assigned=True)
    service.transition(people.officer, case, "assessment", assessment_data())
    service.record_needs_assessment(people.officer, case, needs_data())
    plan = service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    assert told("plan_waiting", case.reference) == ids(people.supervisor,
                                                       people.province_supervisor)
    service.return_plan(people.supervisor, case, plan.id, SendBackData("Thiếu người thực hiện"))
    db.session.commit()
    assert told("plan_returned", case.reference) == ids(people.officer)
    plan = service.draft_plan(people.officer, case, plan_data())
    service.approve_plan(people.province_supervisor, case, plan.id)
    db.session.commit()
    assert told("plan_approved", case.reference) == ids(people.officer)


def test_closure_goes_to_the_supervisors_and_the_closing_to_everyone_on_the_case(
        people, make_case):
    case = make_case("support", assignees=[people.officer2])
    service.request_closure(people.officer, case, closure_data())
    db.session.commit()
    assert told("closure_waiting", case.reference) == ids(people.supervisor,
                                                          people.province_supervisor)
    service.reject_closure(people.supervisor, case, SendBackData("Chưa đánh giá lại"))
    db.session.commit()
    assert told("closure_returned", case.reference) == ids(people.officer)
    service.request_closure(people.officer, case, closure_data())
    service.approve_closure(people.supervisor, case)
    db.session.commit()
    assert told("case_closed", case.reference) == ids(people.officer, people.officer2)


def test_the_other_district_hears_nothing_and_no_notice_holds_child_data(people, make_case):
    make_case("closure", assignees=[people.officer2])
    assert db.session.scalars(select(Notification).where(
        Notification.user_id.in_([people.other_supervisor.id, people.other_officer.id,
                                  people.admin.id]))).all() == []
    for notice in db.session.scalars(select(Notification)):
        stored = " ".join(str(getattr(notice, c.key)) for c in Notification.__table__.c)
        assert not [secret for secret in SECRETS if secret in stored]


def test_a_change_rolled_back_tells_no_one(people, make_case):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    service.draft_plan(people.officer, case, plan_data())
    db.session.flush()
    assert told("plan_waiting", case.reference)  # made in the change's transaction...
    db.session.rollback()
    assert told("plan_waiting", case.reference) == []  # ...and gone with it


def unread(kind: str, reference: str) -> list[str]:
    return sorted(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == kind, Notification.case_reference == reference,
        Notification.read_at.is_(None))))


def test_work_done_settles_the_notices_that_asked_for_it(people, make_case):
    case = service.record_intake(people.counselor, intake_data(immediate_danger=True))
    db.session.commit()
    assert unread("case_recorded_danger", case.reference)
    service.assign(people.supervisor, case, AssignmentData(people.officer.id, ()))
    db.session.commit()
    assert unread("case_recorded_danger", case.reference) == []  # for every supervisor
    service.transition(people.officer, case, "assessment", assessment_data())
    service.record_needs_assessment(people.officer, case, needs_data())
    plan = service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    assert len(unread("plan_waiting", case.reference)) == 2
    service.approve_plan(people.supervisor, case, plan.id)
    db.session.commit()
    assert unread("plan_waiting", case.reference) == []


def test_following_a_notice_marks_it_read_and_mark_all_keeps_a_child_in_danger(
        people, login):
    from tests.case_screens.conftest import token

    danger = service.record_intake(people.counselor, intake_data(immediate_danger=True))
    plain = service.record_intake(people.counselor, intake_data())
    db.session.commit()
    client = login(people.supervisor)
    (note,) = db.session.scalars(select(Notification).where(
        Notification.user_id == people.supervisor.id, Notification.kind == "case_recorded",
        Notification.case_reference == plain.reference)).all()
    opened = client.get(f"/notifications/{note.id}/open")
    # The case, with its way back to the notifications.
    assert opened.status_code == 302 and opened.location.endswith(
        f"/cases/{plain.reference}?back=/notifications")
    db.session.refresh(note)
    assert note.read_at is not None
    # Someone else's notice: as if it did not exist.
    (theirs,) = db.session.scalars(select(Notification).where(
        Notification.user_id == people.province_supervisor.id,
        Notification.kind == "case_recorded",
        Notification.case_reference == plain.reference)).all()
    assert client.get(f"/notifications/{theirs.id}/open").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None
    client.post("/notifications/read", data={"csrf_token": token(client, "/notifications")})
    assert unread("case_recorded_danger", danger.reference) == sorted(
        [people.supervisor.id, people.province_supervisor.id])


def test_a_deadline_notice_names_its_step(people, make_case, login):
    from caseapp.notifications import events

    case = make_case("intake", assigned=True)
    events.scan_and_commit(case.assessment_due_at + timedelta(minutes=1))
    page = login(people.officer).get("/notifications").get_data(as_text=True)
    assert 'data-kind="deadline_missed"' in page and "(Đánh giá nguy cơ)" in page
