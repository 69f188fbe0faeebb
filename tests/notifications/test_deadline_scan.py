"""The scan: a deadline within the window is announced to the people on the case,
a missed one to them and the supervisors above, each once however often the scan
runs; closed cases and steps done are left alone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp.cases import service
from caseapp.extensions import db
from caseapp.notifications import events
from caseapp.notifications.models import Notification
from tests.cases.conftest import assessment_data


def notices(kind: str, reference: str) -> list[str]:
    return sorted(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == kind, Notification.case_reference == reference)))


def ids(*users) -> list[str]:
    return sorted(u.id for u in users)


def scan(at) -> int:
    return events.scan_and_commit(at)


def test_soon_then_missed_each_once_at_the_minute(app, people, make_case):
    case = make_case("intake", assignees=[people.officer2])
    due = case.assessment_due_at
    window = timedelta(hours=app.config["NOTIFY_DEADLINE_HOURS"])

    assert scan(due - window - timedelta(minutes=1)) == 0
    assert notices("deadline_soon", case.reference) == []

    assert scan(due - window + timedelta(minutes=1)) == 2
    assert notices("deadline_soon", case.reference) == ids(people.officer, people.officer2)
    assert scan(due - timedelta(minutes=1)) == 0  # not again
    assert notices("deadline_missed", case.reference) == []

    assert scan(due + timedelta(minutes=1)) == 4
    assert notices("deadline_missed", case.reference) == ids(
        people.officer, people.officer2, people.supervisor, people.province_supervisor)
    assert scan(due + timedelta(hours=5)) == 0
    assert scan(due + timedelta(days=3)) == 0
    assert notices("deadline_missed", case.reference) == ids(
        people.officer, people.officer2, people.supervisor, people.province_supervisor)


def test_a_step_done_in_time_is_never_called_missed(people, make_case):
    case = make_case("intake", assigned=True)
    due = case.assessment_due_at
    service.transition(people.officer, case, "assessment", assessment_data())
    db.session.commit()
    scan(due + timedelta(minutes=1))
    assert notices("deadline_missed", case.reference) == []


def test_an_unassigned_case_tells_its_supervisors(people, make_case):
    case = make_case("intake")
    scan(case.assessment_due_at + timedelta(minutes=1))
    assert notices("deadline_missed", case.reference) == ids(people.supervisor,
                                                             people.province_supervisor)
    assert people.other_supervisor.id not in notices("deadline_soon", case.reference)


def test_a_closed_case_has_no_deadline_to_announce(people, make_case):
    case = make_case("closure", via="assessment")
    assert scan(case.received_at + timedelta(days=400)) == 0
    assert notices("deadline_missed", case.reference) == []


def test_a_data_request_falling_due_reaches_the_supervisors_once(people, make_case):
    from caseapp.data_rights import service as rights

    case = make_case("support")
    request = rights.record_request(people.supervisor, case, rights.DataRequestData(
        kind="access", requested_by="guardian"))
    db.session.commit()
    scan(request.due_at - timedelta(minutes=1))
    assert notices("data_request_due", case.reference) == ids(people.supervisor,
                                                              people.province_supervisor)
    # A day later the request is told no second time (the case's own deadlines
    # may fall due by then, depending on the hour the test runs: not counted).
    scan(request.due_at + timedelta(days=1))
    assert notices("data_request_due", case.reference) == ids(people.supervisor,
                                                              people.province_supervisor)


def test_the_scan_command_reports_what_it_made(runner, people, make_case, travel):
    case = make_case("intake", assigned=True)
    travel(hours=73)  # the assessment (72 hours) is now late
    result = runner.invoke(args=["notifications", "scan"])
    assert result.exit_code == 0, result.output
    assert "made 3 notification(s)" in result.output
    assert notices("deadline_missed", case.reference) == ids(
        people.officer, people.supervisor, people.province_supervisor)
    again = runner.invoke(args=["notifications", "scan"])
    assert "made 0 notification(s)" in again.output


def test_the_app_scans_after_a_request_when_asked_to(app, client, people, make_case, travel):
    case = make_case("intake", assigned=True)
    travel(hours=73)
    app.config["NOTIFY_SCAN_MINUTES"] = 10
    try:
        app.extensions.pop(events._LAST_SCAN, None)
        assert client.get("/login").status_code == 200
        assert notices("deadline_missed", case.reference)
    finally:
        app.config["NOTIFY_SCAN_MINUTES"] = 0
        app.extensions.pop(events._LAST_SCAN, None)


def test_a_scan_in_a_request_stops_early_and_the_next_request_carries_on(
        app, client, people, make_case, travel, monkeypatch):
    """A worker must answer within gunicorn's timeout however many cases are
    late: the scan after a request does a batch at a time, stops when its time
    is up, and the next request goes on from there (each notice made once)."""
    cases = [make_case("intake", assigned=True) for _ in range(5)]
    travel(hours=73)
    monkeypatch.setattr(events, "SCAN_BATCH", 2)
    monkeypatch.setattr(events, "REQUEST_SCAN_SECONDS", 0.0)  # one batch per request
    app.config["NOTIFY_SCAN_MINUTES"] = 10
    try:
        app.extensions.pop(events._LAST_SCAN, None)
        app.extensions.pop(events._SCAN_MARK, None)
        told = []
        for _ in range(4):
            assert client.get("/login").status_code == 200
            told.append(sum(bool(notices("deadline_missed", c.reference)) for c in cases))
        assert told == [2, 4, 5, 5]
        assert app.extensions.get(events._SCAN_MARK) is None  # the scan reached its end
        for case in cases:
            assert notices("deadline_missed", case.reference) == ids(
                people.officer, people.supervisor, people.province_supervisor)
    finally:
        app.config["NOTIFY_SCAN_MINUTES"] = 0
        app.extensions.pop(events._LAST_SCAN, None)
        app.extensions.pop(events._SCAN_MARK, None)


def test_the_scan_reads_a_batch_of_cases_with_the_same_statements_as_one_case(
        app, people, make_case, travel):
    """The people on each case, the supervisors and the notices already made are
    read per batch: scanning nine late cases costs what scanning one does."""
    from tests.sql_statements import statements_run

    def statements_of_a_scan(count: int, at) -> int:
        made, statements = statements_run(lambda: events.scan_and_commit(at))
        assert made == count * 3
        return statements

    first = make_case("intake", assigned=True)
    one = statements_of_a_scan(1, first.assessment_due_at + timedelta(minutes=1))
    later = [make_case("intake", assigned=True) for _ in range(9)]
    nine = statements_of_a_scan(9, max(c.assessment_due_at for c in later)
                                + timedelta(minutes=1))
    assert nine == one


def told_of_a_late_plan_approval(people, make_case, *, sent_back: bool) -> list[str]:
    """Who the scan tells when the plan's approval falls late, the plan with
    the supervisor or sent back by them."""
    from caseapp.cases.data import SendBackData
    from tests.cases.conftest import needs_data, plan_data

    case = make_case("assessment", assigned=True)
    service.record_needs_assessment(people.officer, case, needs_data())
    plan = service.draft_plan(people.officer, case, plan_data())
    if sent_back:
        service.return_plan(people.supervisor, case, plan.id,
                            SendBackData("Thiếu mục tiêu an toàn, sửa lại"))
    db.session.commit()
    due = case.plan_approval_due_at
    assert due is not None
    scan(due + timedelta(minutes=1))
    return db.session.scalars(select(Notification.user_id).where(
        Notification.case_reference == case.reference,
        Notification.dedupe_key.like("%:plan_approval:%"))).all()


def test_the_plans_approval_falling_late_is_told_to_the_supervisors_not_the_officer(
        people, make_case):
    """Approving a plan is the supervisor's step: the officer who sent the plan
    is not told they are late with it (UX walk)."""
    told = told_of_a_late_plan_approval(people, make_case, sent_back=False)
    assert sorted(set(told)) == ids(people.supervisor, people.province_supervisor)
    assert people.officer.id not in told


def test_a_plan_sent_back_and_late_is_told_to_the_officer_who_must_revise_it(
        people, make_case):
    """Once the supervisor sent the plan back, nothing waits on them: the
    officer owns the late approval (a revised plan) and is told, with the
    supervisors (hostile review: nobody told the owner of the late step)."""
    told = told_of_a_late_plan_approval(people, make_case, sent_back=True)
    assert people.officer.id in told
    assert people.supervisor.id in told


@pytest.mark.no_db_isolation  # the instance's own database, not the tests' one
def test_the_timer_s_run_makes_the_workers_leave_the_scan_to_it(fresh_instance, monkeypatch):
    """`caseapp notifications scan` run as the README's timer runs it records
    its run; a worker of that instance then does not scan after a request,
    and scans again once the timer has been silent for two periods."""
    from caseapp import clock, create_app
    from caseapp.notifications.models import NotificationScanRun
    from tests.conftest import settings_for_tests
    from tests.http_client import clean_env, run_caseapp

    done = run_caseapp(["notifications", "scan"], clean_env(str(fresh_instance)))
    assert done.returncode == 0, done.stderr
    assert "made 0 notification(s)" in done.stdout
    app = create_app(settings_for_tests(
        str(fresh_instance), SQLALCHEMY_DATABASE_URI=f"sqlite:///{fresh_instance}/caseapp.db",
        NOTIFY_SCAN_MINUTES=10), env="testing")
    scans = []
    real = events.scan_part
    monkeypatch.setattr(events, "scan_part", lambda *a, **k: scans.append(1) or real(*a, **k))
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert scans == []  # the timer's run is recent: left to it
    with app.app_context():
        run = db.session.scalars(select(NotificationScanRun)).one()
        assert run.notices_made == 0 and run.finished_at >= run.started_at
        run.finished_at = clock.now() - timedelta(minutes=21)  # two periods of silence
        db.session.commit()
    app.extensions.pop(events._LAST_SCAN, None)
    assert client.get("/login").status_code == 200
    assert scans == [1]  # the worker's own scan again


def test_a_request_scans_while_the_timer_is_silent_and_not_while_it_runs(
        app, client, people, make_case, travel):
    """Without a recent run of the timer a request's scan still announces a
    missed deadline; with one, the request leaves it to the timer."""
    from caseapp import clock
    from caseapp.notifications.models import NotificationScanRun

    late = make_case("intake", assigned=True)
    travel(hours=73)
    now = clock.now()
    db.session.add(NotificationScanRun(started_at=now - timedelta(minutes=31),
                                       finished_at=now - timedelta(minutes=30), notices_made=0))
    db.session.commit()
    app.config["NOTIFY_SCAN_MINUTES"] = 10
    try:
        app.extensions.pop(events._LAST_SCAN, None)
        assert client.get("/login").status_code == 200
        assert notices("deadline_missed", late.reference)  # the timer is silent: scanned
        later = make_case("intake", assigned=True)
        travel(hours=73)
        db.session.add(NotificationScanRun(  # the timer ran just now...
            started_at=clock.now(), finished_at=clock.now(), notices_made=0))
        db.session.commit()
        app.extensions.pop(events._LAST_SCAN, None)
        assert client.get("/login").status_code == 200
        assert notices("deadline_missed", later.reference) == []  # ...so no request scans
    finally:
        app.config["NOTIFY_SCAN_MINUTES"] = 0
        app.extensions.pop(events._LAST_SCAN, None)
