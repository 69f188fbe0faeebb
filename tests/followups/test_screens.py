"""The follow-ups section on the screens: forms that work, forms that are
refused (CSRF, another case's row, a bad date) changing nothing; a missed
follow-up on "My cases", on the supervision queue and in the real deadline
scan; the closure decision showing how the plan went."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.cases import service as cases
from caseapp.extensions import db
from caseapp.followups import service
from caseapp.followups.models import FollowUp, GoalProgress, PlanGoal
from caseapp.notifications.models import Notification
from tests.case_screens.conftest import token
from tests.cases.conftest import audit_count, audit_rows, closure_data

GOAL = "Em Lan đi học đều trở lại trường Kim Đồng"
OUTCOME = "Gặp mẹ em Lan tại nhà, em đã ngủ ngon hơn"


def section(ref: str) -> str:
    return f"/cases/{ref}/sections/followups"


def day(days: int) -> str:
    return (clock.local_today() + timedelta(days=days)).strftime("%d/%m/%Y")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post(client, ref: str, path: str, data: dict, *, csrf: bool = True):
    form = dict(data)
    if csrf:
        form["csrf_token"] = token(client, section(ref))
    return client.post(f"/cases/{ref}{path}", data=form)


def plan_by_web(client, case, people, days=2):
    return post(client, case.reference, "/follow-ups", {
        "followup-due_on": day(days), "followup-kind": "home_visit",
        "followup-assignee_id": people.officer.id})


def test_plan_then_record_a_follow_up_on_its_page(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    page = officer.get(section(case.reference))
    assert page.status_code == 200 and 'id="follow-up-form"' in page.get_data(as_text=True)
    response = plan_by_web(officer, case, people)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(section(case.reference))
    (row,) = db.session.scalars(select(FollowUp)).all()
    response = post(officer, case.reference, "/follow-ups/result", {
        "settle-follow_up_id": row.id, "settle-result": "done", "settle-outcome": OUTCOME})
    assert response.status_code == 302
    db.session.expire_all()
    assert row.state == "done"
    html = officer.get(section(case.reference)).get_data(as_text=True)
    assert OUTCOME in html and "Thăm nhà" in html
    # The case page's line.
    line = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'id="section-followups"' in line and "Chưa có lần theo dõi nào được lên lịch" in line


def test_goals_on_the_page_beside_the_plans_text(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    assert post(officer, case.reference, "/goals", {"goal-text": GOAL}).status_code == 302
    (goal,) = db.session.scalars(select(PlanGoal)).all()
    assert post(officer, case.reference, "/goals/progress", {
        "progress-goal_id": goal.id, "progress-status": "reached",
        "progress-note": "Em đi học đủ buổi"}).status_code == 302
    html = officer.get(section(case.reference)).get_data(as_text=True)
    assert GOAL in html and "Em đi học đủ buổi" in html and "Đã đạt" in html
    assert case.latest_plan.goals in html  # the plan's text, shown as it was drafted


def test_a_bad_date_is_a_vietnamese_message_and_changes_nothing(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    version = case.version_id
    for typed, message in (("31/02/2027", "Ngày này không có trên lịch"),
                           ("hôm qua", "dd/mm/yyyy"),
                           (day(5000), "Ngày này quá xa trong tương lai")):
        response = post(officer, case.reference, "/follow-ups", {
            "followup-due_on": typed, "followup-kind": "call",
            "followup-assignee_id": people.officer.id})
        assert response.status_code == 422, typed
        assert message in response.get_data(as_text=True), typed
    db.session.expire_all()
    assert count(FollowUp) == 0 and case.version_id == version


def test_forged_posts_change_nothing(people, login, make_case):
    case = make_case("support")
    other = make_case("support")
    row = service.schedule(people.officer, other, service.FollowUpData(
        clock.local_today(), "call", people.officer.id))
    goal = service.add_goal(people.officer, other, GOAL)
    db.session.commit()
    officer = login(people.officer)
    # No CSRF token: refused before anything runs.
    response = post(officer, case.reference, "/follow-ups", {
        "followup-due_on": day(2), "followup-kind": "call",
        "followup-assignee_id": people.officer.id}, csrf=False)
    assert response.status_code == 400
    # Another case's follow-up and goal, through this case's forms.
    assert post(officer, case.reference, "/follow-ups/result", {
        "settle-follow_up_id": row.id, "settle-result": "done",
        "settle-outcome": OUTCOME}).status_code == 422
    assert post(officer, case.reference, "/goals/progress", {
        "progress-goal_id": goal.id, "progress-status": "reached",
        "progress-note": "x"}).status_code == 422
    # Through the API too.
    api = officer.get("/api/v1/me").json["csrf_token"]
    assert officer.post(f"/api/v1/cases/{case.reference}/follow-ups/{row.id}/result",
                        json={"result": "done", "outcome": "x"},
                        headers={"X-CSRFToken": api}).status_code == 422
    db.session.expire_all()
    assert row.state == "scheduled" and goal.status == "not_started"
    assert count(FollowUp) == 1 and count(GoalProgress) == 0


@pytest.mark.parametrize("who", ["other_supervisor", "other_officer", "officer2"])
def test_another_units_case_is_404_and_audited(people, login, make_case, who):
    case = make_case("support")
    client = login(getattr(people, who))
    before = audit_count(action="case.denied", object_id=case.reference)
    assert client.get(section(case.reference)).status_code == 404
    response = client.post(f"/cases/{case.reference}/follow-ups", data={
        "csrf_token": token(client, "/"), "followup-due_on": day(1)})
    assert response.status_code == 404
    assert client.get(f"/api/v1/cases/{case.reference}/follow-ups").status_code == 404
    assert audit_count(action="case.denied", object_id=case.reference) == before + 3


def test_the_supervisor_sees_the_dates_not_the_words_and_may_not_record(people, login,
                                                                        make_case):
    case = make_case("support")
    row = service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today(), "call", people.officer.id))
    service.add_goal(people.officer, case, GOAL)
    service.settle(people.officer, case, service.SettleData(row.id, "done", OUTCOME))
    db.session.commit()
    supervisor = login(people.supervisor)
    html = supervisor.get(section(case.reference)).get_data(as_text=True)
    assert "Gọi điện" in html and OUTCOME not in html and GOAL not in html
    assert 'id="follow-up-form"' not in html
    before = audit_count(action="case.denied", object_id=case.reference)
    response = post(supervisor, case.reference, "/follow-ups", {
        "followup-due_on": day(2), "followup-kind": "call",
        "followup-assignee_id": people.officer.id})
    assert response.status_code == 403
    assert audit_count(action="case.denied", object_id=case.reference) == before + 1
    assert count(FollowUp) == 1


def late_marker(html: str, reference: str) -> bool:
    rows = [r for r in re.split(r"<tr", html) if reference in r]
    return any("data-follow-up-late" in r for r in rows)


def test_a_missed_follow_up_on_my_cases_the_queue_and_the_scan(people, login, make_case,
                                                               travel, runner):
    case = make_case("support")
    quiet = make_case("support")
    row = service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today() + timedelta(days=1), "home_visit", people.officer.id))
    service.schedule(people.officer, quiet, service.FollowUpData(
        clock.local_today() + timedelta(days=30), "call", people.officer.id))
    db.session.commit()
    officer = login(people.officer)
    assert not late_marker(officer.get("/cases").get_data(as_text=True), case.reference)
    # Marked missed: on the lists at once.
    service.settle(people.officer, case, service.SettleData(row.id, "missed",
                                                           "Gia đình đi vắng"))
    db.session.commit()
    html = officer.get("/cases").get_data(as_text=True)
    assert late_marker(html, case.reference) and not late_marker(html, quiet.reference)
    supervisor = login(people.supervisor)
    queue = supervisor.get("/supervision/overdue").get_data(as_text=True)
    assert late_marker(queue, case.reference) and quiet.reference not in queue
    result = runner.invoke(args=["notifications", "scan"])
    assert result.exit_code == 0, result.output
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.case_reference == case.reference,
        Notification.kind == "deadline_missed",
        Notification.dedupe_key.contains(":follow_up:"))))
    assert {people.officer.id, people.supervisor.id} <= told
    assert not db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.case_reference == quiet.reference,
        Notification.dedupe_key.contains(":follow_up:")))
    # Planned again: the missed one is answered and the marker goes.
    service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today() + timedelta(days=3), "home_visit", people.officer.id))
    db.session.commit()
    assert not late_marker(officer.get("/cases").get_data(as_text=True), case.reference)


def test_a_planned_follow_up_past_its_day_is_overdue(people, login, make_case, travel):
    case = make_case("support")
    service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today(), "call", people.officer.id))
    db.session.commit()
    officer = login(people.officer)
    assert not late_marker(officer.get("/cases").get_data(as_text=True), case.reference)
    travel(days=1, hours=1)
    officer = login(people.officer)  # the session ended meanwhile
    assert late_marker(officer.get("/cases").get_data(as_text=True), case.reference)
    line = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Quá hạn hoặc bị lỡ: 1" in line or "quá hạn hoặc bị lỡ: 1" in line


def test_the_closure_decision_shows_how_the_plan_went(people, login, make_case):
    case = make_case("support")
    reached = service.add_goal(people.officer, case, GOAL)
    service.add_goal(people.officer, case, "Gia đình biết cách chặn tài khoản lạ")
    service.record_progress(people.officer, case, service.ProgressData(
        reached.id, "reached", "Em đi học đủ buổi"))
    row = service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today(), "school_visit", people.officer.id))
    service.settle(people.officer, case, service.SettleData(row.id, "done", OUTCOME))
    cases.request_closure(people.officer, case, closure_data())
    db.session.commit()
    html = login(people.supervisor).get(f"/cases/{case.reference}").get_data(as_text=True)
    review = html[html.index('id="plan-review"'):]
    assert GOAL in review and "Đã đạt" in review and "Chưa bắt đầu" in review
    assert "Thăm trường" in review
    assert OUTCOME not in html  # the outcome's words are not what a closure decision reads
    assert audit_rows(action="case.view", object_id=case.reference)


def test_form_06_prints_each_goals_status_and_the_follow_ups_done(people, login, make_case):
    case = make_case("support")
    reached = service.add_goal(people.officer, case, GOAL)
    service.add_goal(people.officer, case, "Gia đình biết cách chặn tài khoản lạ")
    service.record_progress(people.officer, case, service.ProgressData(
        reached.id, "reached", "Em đi học đủ buổi"))
    done = service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today(), "family_meeting", people.officer.id))
    service.settle(people.officer, case, service.SettleData(done.id, "done", OUTCOME))
    missed = service.schedule(people.officer, case, service.FollowUpData(
        clock.local_today(), "call", people.officer.id))
    service.settle(people.officer, case, service.SettleData(missed.id, "missed", "Máy bận"))
    cases.request_closure(people.officer, case, closure_data())
    db.session.commit()
    response = login(people.officer).get(f"/cases/{case.reference}/print/06")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    goals = html[html.index('data-field="muc-tieu"'):html.index('data-field="theo-doi"')]
    assert GOAL in goals and "Đã đạt" in goals and "Chưa bắt đầu" in goals
    done_rows = html[html.index('data-field="theo-doi"'):]
    assert "Gặp gỡ gia đình" in done_rows and OUTCOME in done_rows
    assert "Máy bận" not in html and "Số lần theo dõi bị lỡ: 1" in html
