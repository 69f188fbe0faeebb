"""Data-subject requests: recorded with their deadline and answer; "restrict"
hides the child's data from everyone but the case's supervisors until lifted;
"delete" after closure crypto-shreds the case and leaves its statistics."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.break_glass import service as care
from caseapp.cases import queries, service
from caseapp.cases.data import NoteData
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.cases.models import Case, case_harm_categories
from caseapp.crypto import KeyDestroyed, key_scope, unlock
from caseapp.crypto import grants as grants_module
from caseapp.data_rights import service as data_rights
from caseapp.data_rights.models import DataRequest
from caseapp.data_rights.service import DataAnswerData, DataRequestData
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules
from tests.case_actions import form_page
from tests.case_screens.conftest import api_token, token
from tests.cases.conftest import CHILD_NAME, NARRATIVE, audit_rows

grants_module.allow_issuer(__name__)
issue_grant = grants_module.issue_grant

DETAILS = "Mẹ em muốn xem toàn bộ hồ sơ của em"


def ask(actor, case, kind="access", **kwargs):
    return data_rights.record_request(actor, case, DataRequestData(
        kind=kind, requested_by=kwargs.pop("requested_by", "guardian"),
        details=kwargs.pop("details", DETAILS), **kwargs))


def answer(actor, case, row, decision="granted", text="Đã trả lời bằng văn bản"):
    return data_rights.answer_request(actor, case, row.id, DataAnswerData(decision, text))


def requests(case):
    return db.session.scalars(select(DataRequest).where(DataRequest.case_id == case.id)).all()


# --- recording and answering ------------------------------------------------------------------

def test_request_gets_its_deadline_and_answer(people, make_case, app):
    case = make_case("support")
    received = clock.now().replace(microsecond=0) - timedelta(hours=5)
    row = ask(people.officer, case, received_at=received)
    assert clock.as_utc(row.due_at) - clock.as_utc(row.received_at) == \
        timedelta(hours=app.config["DATA_REQUEST_HOURS"]) == timedelta(hours=72)
    assert row.status == "open" and row.recorded_by_id == people.officer.id
    answer(people.supervisor, case, row)
    assert (row.status, row.answered_by_id) == ("granted", people.supervisor.id)
    assert row.answer == "Đã trả lời bằng văn bản"
    (entry,) = audit_rows(action="case.data_request_answer")
    assert '"late":false' in entry.details and DETAILS not in (entry.details or "")
    with pytest.raises(CaseError):
        answer(people.supervisor, case, row)  # once only


def test_late_answer_is_marked_late(people, make_case, travel):
    case = make_case("support")
    row = ask(people.officer, case)
    travel(hours=73)
    assert db.session.scalar(select(func.count()).select_from(DataRequest)
                             .where(data_rights.overdue_clause())) == 1
    answer(people.supervisor, case, row, "refused", "Không đủ căn cứ")
    assert '"late":true' in audit_rows(action="case.data_request_answer")[-1].details


@pytest.mark.parametrize("kind,requested_by,field", [
    ("", "guardian", "kind"), ("erase", "guardian", "kind"), ("access", "", "requested_by"),
    ("access", "neighbour", "requested_by"), ("correct", "child", "details")])
def test_bad_request_is_refused_and_writes_nothing(people, make_case, kind, requested_by,
                                                   field):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        ask(people.officer, case, kind, requested_by=requested_by, details="")
    assert error.value.field == field and requests(case) == []


def test_future_received_date_is_refused(people, make_case):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        ask(people.officer, case, received_at=clock.now() + timedelta(days=1))
    assert error.value.field == "received_at"


@pytest.mark.parametrize("who", ["officer", "officer2", "counselor", "other_supervisor",
                                 "admin"])
def test_only_a_supervisor_of_the_case_answers(people, make_case, who):
    case = make_case("support", assignees=[people.officer2, people.counselor])
    row = ask(people.officer, case)
    actor = getattr(people, who)
    with pytest.raises((PermissionDenied, CaseNotFound)):
        answer(actor, case, row)
    assert row.status == "open"
    assert audit_rows(action="case.denied")[-1].actor_id == actor.id


def test_outsiders_cannot_record_requests(people, make_case):
    case = make_case("support")
    for actor in (people.other_officer, people.other_supervisor, people.admin):
        with pytest.raises((PermissionDenied, CaseNotFound)):
            ask(actor, case)
    assert requests(case) == []


# --- restrict -----------------------------------------------------------------------------------

def restrict(people, case):
    row = ask(people.officer, case, "restrict", requested_by="child", details="")
    answer(people.supervisor, case, row)
    db.session.commit()
    return row


def test_restricted_case_is_invisible_to_its_officer(people, login, make_case):
    case = make_case("support", assignees=[people.officer2])
    restrict(people, case)
    assert case.is_restricted
    for user in (people.officer, people.officer2):
        assert not rules.can_view_child_data(user, case)
        with key_scope(), pytest.raises(PermissionDenied):
            service.open_child_data(user, case)
        client = login(user)
        page = client.get(f"/cases/{case.reference}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and CHILD_NAME not in html and NARRATIVE not in html
        assert 'id="restricted-banner"' in html
        body = client.get(f"/api/v1/cases/{case.reference}").json
        assert CHILD_NAME not in str(body)
    with key_scope(), pytest.raises(PermissionDenied):
        service.add_note(people.officer, case, NoteData("Ghi chú khi đang hạn chế"))
    # A restriction opens no new way in: the supervisors still need break-glass
    # (a reason, a time limit, notifications), and that view is audited as such.
    sup = login(people.supervisor)
    page = sup.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert CHILD_NAME not in page and 'data-action="break_glass"' in page
    assert not rules.can_view_child_data(people.province_supervisor, case)
    care.break_glass(people.supervisor, case, "Em đang gặp nguy hiểm, cần liên hệ gia đình ngay")
    db.session.commit()
    assert CHILD_NAME in sup.get(f"/cases/{case.reference}").get_data(as_text=True)
    details = audit_rows(action="case.view")[-1].details
    assert '"via":"break_glass"' in details and '"restricted":true' in details


def test_restriction_and_its_end_are_told_to_the_people_on_the_case(people, make_case):
    case = make_case("support", assignees=[people.officer2])
    row = restrict(people, case)
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "restricted", Notification.case_reference == case.reference)))
    assert {people.officer.id, people.officer2.id} <= told
    data_rights.lift_restriction(people.province_supervisor, case, row.id)
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "restriction_lifted")))
    assert {people.officer.id, people.officer2.id} <= told


def test_whoever_records_a_request_does_not_answer_it(people, make_case):
    case = make_case("support")
    row = ask(people.supervisor, case, "restrict", details="")
    with pytest.raises(CaseError) as error:
        answer(people.supervisor, case, row)
    assert error.value.field == "request" and row.status == "open" and not case.is_restricted
    answer(people.province_supervisor, case, row)
    assert case.is_restricted


def test_restriction_lifted_gives_the_data_back(people, login, make_case):
    case = make_case("support")
    row = restrict(people, case)  # recorded by the officer, granted by the supervisor
    with pytest.raises((PermissionDenied, CaseNotFound)):
        data_rights.lift_restriction(people.officer, case, row.id)
    data_rights.lift_restriction(people.province_supervisor, case, row.id)
    db.session.commit()
    assert not case.is_restricted and row.status == "lifted"
    assert CHILD_NAME in login(people.officer).get(
        f"/cases/{case.reference}").get_data(as_text=True)


def test_restricted_case_through_the_web(people, login, make_case):
    case = make_case("support")
    officer, sup = login(people.officer), login(people.supervisor)
    response = officer.post(f"/cases/{case.reference}/data-requests", data={
        "data_request-csrf_token": token(officer, f"/cases/{case.reference}"),
        "data_request-kind": "restrict", "data_request-requested_by": "guardian",
        "data_request-received_at": "", "data_request-details": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    (row,) = requests(case)
    page = form_page(sup, case.reference, "answer_data_request")
    assert 'data-action="answer_data_request"' in page
    # no decision: 422, nothing changed
    bad = sup.post(f"/cases/{case.reference}/data-requests/answer", data={
        "answer-csrf_token": token(sup, f"/cases/{case.reference}"),
        "answer-request_id": row.id, "answer-answer": "Đồng ý"})
    assert bad.status_code == 422 and row.status == "open"
    good = sup.post(f"/cases/{case.reference}/data-requests/answer", data={
        "answer-csrf_token": token(sup, f"/cases/{case.reference}"),
        "answer-request_id": row.id, "answer-decision": "granted", "answer-answer": "Đồng ý"})
    assert good.status_code == 302
    db.session.refresh(case)
    assert case.is_restricted
    assert CHILD_NAME not in officer.get(f"/cases/{case.reference}").get_data(as_text=True)


def test_forged_answer_without_csrf_changes_nothing(people, login, make_case):
    case = make_case("support")
    row = ask(people.officer, case, "restrict", details="")
    db.session.commit()
    response = login(people.supervisor).post(
        f"/cases/{case.reference}/data-requests/answer",
        data={"answer-request_id": row.id, "answer-decision": "granted", "answer-answer": "x"})
    assert response.status_code == 400
    db.session.refresh(row)
    assert row.status == "open" and not case.is_restricted


# --- delete -------------------------------------------------------------------------------------

def harm_counts():
    return dict(db.session.execute(
        select(case_harm_categories.c.harm_category_code, func.count())
        .group_by(case_harm_categories.c.harm_category_code)).all())


def stats():
    return (db.session.scalar(select(func.count()).select_from(Case)),
            db.session.scalar(select(func.count()).select_from(Case)
                              .where(queries.handled_clause())),
            db.session.scalar(select(func.count()).select_from(Case)
                              .where(queries.on_time_clause())),
            harm_counts(),
            sorted(db.session.execute(select(Case.age_band, Case.gender_code, Case.stage,
                                             Case.closure_reason_code)).all()))


def test_delete_is_refused_while_the_case_is_open(people, make_case):
    case = make_case("support")
    row = ask(people.officer, case, "delete", details="")
    with pytest.raises(CaseError) as error:
        answer(people.supervisor, case, row)
    assert error.value.field == "decision" and row.status == "open" and not case.is_purged
    answer(people.supervisor, case, row, "refused", "Hồ sơ còn đang hỗ trợ em")
    assert row.status == "refused"


def test_delete_after_closure_shreds_the_case_and_keeps_the_statistics(people, login,
                                                                        make_case):
    case = make_case("closure")
    other = make_case("support")
    row = ask(people.officer, case, "delete", details="")
    db.session.commit()
    before = stats()
    client = login(people.supervisor)
    response = client.post(f"/cases/{case.reference}/data-requests/answer", data={
        "answer-csrf_token": token(client, f"/cases/{case.reference}"),
        "answer-request_id": row.id, "answer-decision": "granted",
        "answer-answer": "Đã xoá theo yêu cầu của phụ huynh"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.is_purged
    assert stats() == before
    assert case.child_phone_index is None and case.child_dob_family_index is None
    # Unreadable for good, whoever asks: even code that skips every permission
    # check (an insider with the key file) gets KeyDestroyed, and the key row is empty.
    assert case.data_key_wrapped is None and case.data_key_destroyed_at is not None
    with key_scope():
        unlock(case, grant=issue_grant("insider", None, case.id))
        with pytest.raises(KeyDestroyed):
            _ = case.child_full_name
    for user, browser in ((people.officer, login(people.officer)),
                          (people.supervisor, client)):
        assert not rules.can_view_child_data(user, case)
        html = browser.get(f"/cases/{case.reference}").get_data(as_text=True)
        assert CHILD_NAME not in html
    (entry,) = audit_rows(action="case.purged")
    assert '"reason":"data_request"' in entry.details and entry.actor_id == people.supervisor.id
    # The request itself stays as metadata: kind, status, dates.
    row = db.session.get(DataRequest, row.id)
    assert (row.kind, row.status) == ("delete", "granted") and row.answered_at is not None
    # The offender's handle keeps its index: a deletion does not wipe a
    # repeat-offender warning (it describes the offender, not the child).
    assert all(a.handle_index is not None for a in case.offender_accounts)
    # The other case is untouched.
    with key_scope():
        service.open_child_data(people.officer, other)
        assert other.child_full_name == CHILD_NAME


def test_api_does_not_leak_restricted_data(people, login, make_case):
    case = make_case("support")
    restrict(people, case)
    client = login(people.officer)
    api_token(client)
    body = client.get(f"/api/v1/cases/{case.reference}").json
    assert body["case"]["reference"] == case.reference
    assert "child" not in body or not body["child"]


def test_supervisors_are_told_and_see_the_request_on_their_queue(people, login, make_case,
                                                                  travel):
    from caseapp.notifications.models import Notification

    case = make_case("support")
    row = ask(people.officer, case, "correct", details="Sai ngày sinh")
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "data_request", Notification.case_reference == case.reference)))
    assert people.supervisor.id in told and people.province_supervisor.id in told
    assert people.other_supervisor.id not in told and people.officer.id not in told
    travel(hours=80)
    page = login(people.supervisor).get("/supervision").get_data(as_text=True)
    assert f'data-request="{row.id}"' in page and "Sai ngày sinh" not in page
    other = login(people.other_supervisor).get("/supervision").get_data(as_text=True)
    assert row.id not in other and case.reference not in other


@pytest.fixture
def own_postgres_app(tmp_path):
    """A throw-away PostgreSQL database of its own: threads commit for real here."""
    import uuid

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from caseapp import create_app
    from tests.conftest import (
        MIGRATIONS_DIR,
        TEST_DATABASE_URL,
        closed_after,
        settings_for_tests,
    )

    url = make_url(TEST_DATABASE_URL)
    name = f"caseapp_race_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=url.set(
        database=name).render_as_string(hide_password=False)), env="testing")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
    try:
        yield from closed_after(app)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


@pytest.mark.no_db_isolation
@pytest.mark.parametrize("database", ["postgresql"])
def test_two_answers_at_once_only_one_wins(own_postgres_app, monkeypatch, database):
    """Two supervisors answer the same request at the same moment (several workers on
    PostgreSQL): the request row is locked, the second sees it answered."""
    import threading
    import time

    from caseapp.accounts import service as accounts
    from caseapp.accounts.models import User
    from tests.cases.conftest import intake_data
    from tests.cases.test_raw_database import make_people
    from tests.conftest import PASSWORD

    app = own_postgres_app
    with app.app_context(), key_scope():
        people = make_people()
        province_supervisor = admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
            "gs.tinh", "supervisor", people.province.code, PASSWORD))
        case = service.record_intake(people.counselor, intake_data(people.commune.code))
        row = ask(people.counselor, case, "restrict", details="")
        db.session.commit()
        ids = (case.id, row.id, people.supervisor.id, province_supervisor.id)
    case_id, row_id, first_id, second_id = ids
    original = data_rights.clean_text

    def paced(value, field, *args, **kwargs):
        if field == "answer" and threading.current_thread().name == "first":
            time.sleep(1.0)  # holds the request while the second tries to read it
        return original(value, field, *args, **kwargs)

    monkeypatch.setattr(data_rights, "clean_text", paced)
    outcomes = {}

    def run(name, user_id, decision):
        with app.app_context(), key_scope():
            try:
                user = db.session.get(User, user_id)
                data_rights.answer_request(user, db.session.get(Case, case_id), row_id,
                                           DataAnswerData(decision, name))
                db.session.commit()
                outcomes[name] = "ok"
            except CaseError:
                db.session.rollback()
                outcomes[name] = "refused"

    first = threading.Thread(target=run, name="first", args=("first", first_id, "granted"))
    second = threading.Thread(target=run, name="second", args=("second", second_id, "refused"))
    first.start()
    time.sleep(0.3)
    second.start()
    first.join(30)
    second.join(30)
    assert outcomes == {"first": "ok", "second": "refused"}
    with app.app_context():
        assert db.session.get(DataRequest, row_id).status == "granted"
        assert db.session.get(Case, case_id).is_restricted
        answers = [r for r in audit_rows(action="case.data_request_answer")
                   if row_id in r.details]
        assert len(answers) == 1


def test_deleted_case_loses_its_child_links_and_later_its_offender_index(people, make_case,
                                                                          app, travel):
    from caseapp.cases import retention
    from caseapp.matching.models import CaseMatch

    earlier = make_case("closure")
    later = make_case("support")  # the same synthetic child and offender: both matches
    kinds = set(db.session.scalars(select(CaseMatch.kind).where(
        CaseMatch.other_case_id == earlier.id)))
    assert kinds == {"child", "offender"}
    row = ask(people.officer, earlier, "delete", details="")
    answer(people.supervisor, earlier, row)
    kinds = set(db.session.scalars(select(CaseMatch.kind).where(
        CaseMatch.other_case_id == earlier.id)))
    assert kinds == {"offender"}
    assert all(a.handle_index is not None for a in earlier.offender_accounts)
    travel(days=app.config["RETENTION_DAYS"] + 1)
    retention.purge()
    db.session.expire_all()
    assert all(a.handle_index is None for a in earlier.offender_accounts)
    assert all(a.handle_index is not None for a in later.offender_accounts)


def test_neither_who_recorded_nor_who_granted_a_restriction_lifts_it(people, make_case,
                                                                     make_user):
    case = make_case("support")
    row = ask(people.supervisor, case, "restrict", details="")
    answer(people.province_supervisor, case, row)
    for actor in (people.supervisor, people.province_supervisor):
        with pytest.raises(CaseError):
            data_rights.lift_restriction(actor, case, row.id)
    assert case.is_restricted
    third = make_user("supervisor", people.district, username="gs.thu.ba").user
    data_rights.lift_restriction(third, case, row.id)
    assert not case.is_restricted
