"""Transfers between units: who may ask and decide, what moves and what does not.

The people (tests/cases/conftest.py): commune XA under district HUYEN under
province TINH; another district HUYEN2 under TINH. The case is XA's, led by
cb.minh (XA); gs.tuan supervises HUYEN (so XA), gs.khac HUYEN2, gs.tinh TINH.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from caseapp import clock
from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData
from caseapp.cases.errors import CaseError
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.permissions import PermissionDenied
from caseapp.transfers import service
from caseapp.transfers.models import CaseTransfer
from tests.case_screens.conftest import api_token, token
from tests.cases.conftest import SECRETS, audit_count, audit_rows

REASON = "Gia đình chuyển nhà sang huyện khác từ tháng này"
DECLINE = "Không thuộc địa bàn của huyện chúng tôi"
CLOCK_FIELDS = ("reference", "stage", "received_at", "stage_entered_at", "first_assigned_at",
                "support_started_at", "emergency_due_at", "emergency_done_at",
                "assessment_due_at", "assessed_at", "needs_assessment_due_at",
                "needs_assessed_at", "plan_draft_due_at", "plan_drafted_at",
                "plan_approval_due_at", "plan_approved_at", "decision_due_at",
                "decision_recorded_at", "next_follow_up_at", "next_deadline_at",
                "closure_requested_at")


def clocks(case: Case) -> dict:
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    return {name: getattr(fresh, name) for name in CLOCK_FIELDS}


def state(case: Case) -> dict:
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    return {"unit": fresh.unit_id, "lead": fresh.lead_officer_id,
            "assignees": sorted(fresh.assignee_ids), **clocks(case)}


def ask(actor, case, to="HUYEN2", reason_code="child_moved", reason=REASON):
    transfer = service.request_transfer(actor, case, service.TransferData(to, reason_code,
                                                                          reason))
    db.session.commit()
    return transfer


def data_of(transfer) -> dict:
    return {"transfer-to_unit": transfer[0], "transfer-reason_code": transfer[1],
            "transfer-reason": transfer[2]}


def post_request(client, case, to="HUYEN2", reason_code="child_moved", reason=REASON,
                 with_token=True):
    path = f"/cases/{case.reference}/sections/transfer"
    page = client.get(path).get_data(as_text=True)
    version = re.search(r'name="transfer-version" type="hidden" value="(\d+)"', page)
    form = data_of((to, reason_code, reason))
    if version:
        form["transfer-version"] = version.group(1)
    if with_token:
        form["transfer-csrf_token"] = token(client, path)
    return client.post(f"/cases/{case.reference}/transfer", data=form)


def post_decision(client, transfer, decision, **fields):
    path = f"/transfers/{transfer.id}"
    page = client.get(path)
    html = page.get_data(as_text=True) if page.status_code == 200 else \
        client.get("/transfers").get_data(as_text=True)
    match = re.search(rf'name="{decision}-csrf_token" type="hidden" value="([^"]+)"', html) \
        or re.search(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"', html)
    form = {f"{decision}-csrf_token": match.group(1) if match else token(client, "/")}
    form.update({f"{decision}-{k}": v for k, v in fields.items()})
    return client.post(f"/transfers/{transfer.id}/{decision}", data=form)


def no_child_data(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html


# --- the whole way: request, the wait, acceptance ------------------------------------------------

def test_accepted_transfer_moves_visibility_keeps_deadlines_and_audit(people, make_case, login):
    case = make_case("support", lead=people.officer, assignees=[people.counselor])
    before = clocks(case)
    sending, officer = login(people.supervisor), login(people.officer)
    receiving = login(people.other_supervisor)

    response = post_request(sending, case)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    transfer = db.session.scalar(select(CaseTransfer).where(CaseTransfer.case_id == case.id))
    assert transfer.status == "pending" and transfer.to_unit.code == "HUYEN2"

    # Until a decision: the officers keep the case, it says it is being transferred,
    # and nobody new sees the child.
    page = officer.get(f"/cases/{case.reference}")
    assert page.status_code == 200 and 'id="transfer-banner"' in page.get_data(as_text=True)
    mine = officer.get("/cases").get_data(as_text=True)
    row = mine[mine.index(case.reference):][:600]
    assert "Đang chuyển đơn vị" in row
    assert receiving.get(f"/cases/{case.reference}").status_code == 404
    assert receiving.get(f"/api/v1/cases/{case.reference}").status_code == 404
    listed = receiving.get("/transfers").get_data(as_text=True)
    assert case.reference in listed and transfer.id in listed
    decide_page = receiving.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert case.reference in decide_page and REASON not in decide_page
    no_child_data(listed + decide_page)
    queue = receiving.get("/supervision").get_data(as_text=True)
    assert 'id="transfers-in"' in queue and case.reference in queue
    assert "transfers-out" in sending.get("/supervision").get_data(as_text=True)
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == people.other_supervisor.id,
        Notification.kind == "transfer_requested")) is not None

    response = post_decision(receiving, transfer, "accept")
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Case, case.id)
    assert moved.unit.code == "HUYEN2" and moved.reference == case.reference
    assert moved.lead_officer_id is None and moved.assignee_ids == set()
    assert clocks(case) == before  # a transfer does not reset the clock

    # The sending unit's people lose the child; the receiving supervisor has the metadata.
    for client in (officer, sending, login(people.counselor)):
        assert client.get(f"/cases/{case.reference}").status_code == 404
        assert client.get(f"/api/v1/cases/{case.reference}").status_code == 404
    page = receiving.get(f"/cases/{case.reference}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    no_child_data(html)
    assert "Transferred from" in html or "Đã chuyển từ" in html
    # ... and assigns it within their unit.
    cases.assign(people.other_supervisor, moved, AssignmentData(people.other_officer.id, ()))
    db.session.commit()
    assert login(people.other_officer).get(f"/cases/{case.reference}").status_code == 200
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == people.supervisor.id,
        Notification.kind == "transfer_accepted")) is not None

    # Every step audited, without child data; the chain verifies.
    for action in ("case.transfer_request", "case.transfer_accept"):
        (row,) = audit_rows(action=action, object_id=case.reference)
        for secret in [*SECRETS, REASON]:
            assert secret not in str(row.details)
    (accepted,) = audit_rows(action="case.transfer_accept")
    assert accepted.unit_path == moved.unit.path


def test_audit_verify_passes_after_a_transfer(app, make_unit, make_user):
    """Every account and unit made the audited way (the shared ``people`` are
    inserted directly), then a transfer asked, declined, asked again, accepted:
    the checks of ``caseapp audit verify`` find the chain whole and every MAC'd
    row genuine. (Its checkpoint-file check is left to the command's own tests:
    the suite's rows are rolled back while its checkpoint files are shared.)"""
    import audit as audit_lib
    from caseapp.auditlog import verification
    from tests.cases.conftest import assessment_data, intake_data

    province = make_unit("TINH")
    district, other = make_unit("HUYEN", parent=province), make_unit("HUYEN2", parent=province)
    commune = make_unit("XA", parent=district)
    counselor = make_user("counselor", commune).user
    officer = make_user("officer", commune).user
    sending = make_user("supervisor", district).user
    receiving = make_user("supervisor", other).user
    case = cases.record_intake(counselor, intake_data("XA"))
    cases.assign(sending, case, AssignmentData(officer.id, ()))
    cases.transition(officer, case, "assessment", assessment_data())
    db.session.commit()
    service.decline(receiving, ask(sending, case), DECLINE)
    db.session.commit()
    service.accept(receiving, ask(sending, case, reason_code="other_commune"))
    db.session.commit()
    assert case.unit_id == other.id
    keys = app.extensions["caseapp_keys"]
    chain = audit_lib.verify_chain(db.session.connection(), keys.audit_mac_key)
    assert chain.ok, chain.problem
    assert verification.tampered_rows_problem() is None
    assert verification.listed_cases_problem() is None


def test_declined_transfer_leaves_everything_as_it_was(people, make_case, login):
    case = make_case("support", lead=people.officer, assignees=[people.counselor])
    before = state(case)
    transfer = ask(people.supervisor, case)
    receiving = login(people.other_supervisor)
    response = post_decision(receiving, transfer, "decline", reason=DECLINE)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseTransfer, transfer.id).status == "declined"
    assert state(case) == before
    assert login(people.officer).get(f"/cases/{case.reference}").status_code == 200
    assert login(people.counselor).get(f"/cases/{case.reference}").status_code == 200
    assert receiving.get(f"/cases/{case.reference}").status_code == 404
    # Nor does the unit that declined keep following the case through the
    # transfer's row (it showed the live stage).
    assert receiving.get(f"/transfers/{transfer.id}").status_code == 404
    assert receiving.get(f"/api/v1/transfers/{transfer.id}").status_code == 404
    # The sending side is told and reads why (each reading audited).
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == people.supervisor.id,
        Notification.kind == "transfer_declined")) is not None
    reads = audit_count(action="case.transfer_reason")
    section = login(people.supervisor).get(f"/cases/{case.reference}/sections/transfer")
    assert DECLINE in section.get_data(as_text=True)
    assert audit_count(action="case.transfer_reason") == reads + 1
    assert audit_count(action="case.transfer_decline", object_id=case.reference) == 1
    # A new transfer may be asked for again.
    assert ask(people.supervisor, case).status == "pending"


def test_cancelled_transfer_leaves_the_case_and_is_audited(people, make_case, login):
    case = make_case("assessment", lead=people.officer)
    before = state(case)
    ask(people.supervisor, case)
    sending = login(people.supervisor)
    path = f"/cases/{case.reference}/sections/transfer"
    html = sending.get(path).get_data(as_text=True)
    csrf = re.search(r'name="cancel-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = sending.post(f"/cases/{case.reference}/transfer/cancel",
                            data={"cancel-csrf_token": csrf})
    assert response.status_code == 302
    assert state(case) == before
    assert service.pending_of(case) is None
    assert audit_count(action="case.transfer_cancel", object_id=case.reference) == 1


# --- who may ----------------------------------------------------------------------------------

def forged_request(client, case):
    """The request form as someone without it would send it (a token from their list)."""
    form = data_of(("HUYEN2", "child_moved", REASON))
    form["transfer-csrf_token"] = token(client, "/cases")
    return client.post(f"/cases/{case.reference}/transfer", data=form)


def test_officer_cannot_ask_403_audited(people, make_case, login):
    case = make_case("support", lead=people.officer)
    client = login(people.officer)
    before = audit_count(action="case.denied", object_id=case.reference)
    response = forged_request(client, case)
    assert response.status_code == 403
    assert audit_count(action="case.denied", object_id=case.reference) == before + 1
    assert service.pending_of(case) is None


@pytest.mark.parametrize("role", ["counselor", "other_supervisor", "other_officer"])
def test_outsiders_cannot_ask_404_audited(people, make_case, login, role):
    case = make_case("support", lead=people.officer)
    client = login(getattr(people, role))
    before = audit_count(action="case.denied", object_id=case.reference)
    response = forged_request(client, case)
    assert response.status_code == 404
    assert audit_count(action="case.denied", object_id=case.reference) == before + 1
    assert service.pending_of(case) is None


@pytest.mark.parametrize("role", ["officer", "counselor", "other_officer", "supervisor"])
def test_only_a_receiving_supervisor_accepts(people, make_case, login, role):
    """The sending unit's people, the receiving unit's officer: refused (403 when
    they see the transfer, else 404), audited, nothing moves."""
    case = make_case("support", lead=people.officer)
    transfer = ask(people.supervisor, case)
    before = audit_count(action="case.denied", object_id=case.reference)
    response = post_decision(login(getattr(people, role)), transfer, "accept")
    assert response.status_code in (403, 404)
    if role == "supervisor":
        assert response.status_code == 403
    assert audit_count(action="case.denied", object_id=case.reference) > before
    db.session.expire_all()
    assert db.session.get(Case, case.id).unit.code == "XA"
    assert db.session.get(CaseTransfer, transfer.id).status == "pending"


def test_a_supervisor_not_receiving_gets_404_and_the_asker_cannot_decide(
        people, make_case, make_unit, login, password_hash):
    from caseapp.accounts.models import User

    third = make_unit("HUYEN3", parent=people.province)
    stranger = User(username="gs.ba", role="supervisor", unit_id=third.id, unit=third,
                    password_hash=password_hash, display_name="gs.ba", is_enabled=True)
    db.session.add(stranger)
    db.session.commit()
    case = make_case("support", lead=people.officer)
    # Asked by the province's supervisor, who is above the receiving unit too.
    transfer = ask(people.province_supervisor, case)
    before = audit_count(action="case.denied", object_id=case.reference)
    outsider = login(stranger)
    assert post_decision(outsider, transfer, "accept").status_code == 404
    assert outsider.get(f"/api/v1/transfers/{transfer.id}").status_code == 404
    asker = login(people.province_supervisor)
    assert post_decision(asker, transfer, "accept").status_code == 403
    assert audit_count(action="case.denied", object_id=case.reference) >= before + 3
    with pytest.raises(PermissionDenied):
        service.accept(people.province_supervisor, transfer)
    db.session.rollback()
    assert db.session.get(CaseTransfer, transfer.id).status == "pending"


def test_not_to_itself_nor_to_a_unit_that_does_not_exist(people, make_case, login):
    case = make_case("support", lead=people.officer)
    for code in ("XA", "NOWHERE", ""):
        with pytest.raises(CaseError) as refused:
            service.request_transfer(people.supervisor, case,
                                     service.TransferData(code, "child_moved", REASON))
        assert refused.value.field == "to_unit"
    sending = login(people.supervisor)
    assert post_request(sending, case, to="XA").status_code == 422
    assert post_request(sending, case, to="NOWHERE").status_code == 422
    api = sending.post(f"/api/v1/cases/{case.reference}/transfer",
                       json={"to_unit": "XA", "reason_code": "child_moved", "reason": REASON,
                             "version": case.version_id},
                       headers={"X-CSRFToken": api_token(sending)})
    assert api.status_code == 422 and "to_unit" in api.json["fields"]
    assert db.session.scalar(select(CaseTransfer.id)) is None


def test_one_pending_transfer_per_case(people, make_case):
    case = make_case("support", lead=people.officer)
    ask(people.supervisor, case)
    with pytest.raises(CaseError):
        ask(people.supervisor, case, to="TINH")


def test_a_report_at_intake_moves_and_its_recorder_loses_it(people, make_case, login):
    """A report found to belong to another district at intake: once accepted the
    counselor who recorded it no longer sees it (their list, its page, the API);
    the receiving supervisor has it waiting for a lead. While pending they keep it."""
    case = make_case("intake")
    counselor = login(people.counselor)
    assert post_request(login(people.supervisor), case).status_code == 302
    assert counselor.get(f"/cases/{case.reference}").status_code == 200
    assert case.reference in counselor.get("/cases").get_data(as_text=True)
    service.accept(people.other_supervisor, service.pending_of(case))
    db.session.commit()
    assert counselor.get(f"/cases/{case.reference}").status_code == 404
    assert counselor.get(f"/api/v1/cases/{case.reference}").status_code == 404
    assert case.reference not in counselor.get("/cases").get_data(as_text=True)
    queue = login(people.other_supervisor).get("/supervision").get_data(as_text=True)
    waiting = queue[queue.index('id="unassigned"'):]
    assert case.reference in waiting[:waiting.index("</section>")]
    assert state(case)["stage"] == "intake"


def test_forged_posts_are_refused(people, make_case, login):
    case = make_case("support", lead=people.officer)
    sending = login(people.supervisor)
    assert post_request(sending, case, with_token=False).status_code == 400
    assert sending.post(f"/api/v1/cases/{case.reference}/transfer",
                        json={"to_unit": "HUYEN2", "reason_code": "child_moved",
                              "reason": REASON}).status_code == 400
    transfer = ask(people.supervisor, case)
    receiving = login(people.other_supervisor)
    assert receiving.post(f"/transfers/{transfer.id}/accept", data={}).status_code == 400
    assert receiving.post(f"/api/v1/transfers/{transfer.id}/accept").status_code == 400
    # Another transfer's id, a made-up one, a malformed one: 404.
    for forged in ("00000000-0000-4000-8000-000000000000", "x' OR 1=1"):
        response = receiving.post(f"/api/v1/transfers/{forged}/accept",
                                  headers={"X-CSRFToken": api_token(receiving)})
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, case.id).unit.code == "XA"


def test_a_row_written_by_hand_cannot_be_accepted(people, make_case, login):
    """A pending row inserted in the database (no MAC) does not exist for anyone."""
    case = make_case("support", lead=people.officer)
    transfer = ask(people.supervisor, case, to="HUYEN")
    db.session.execute(text("UPDATE case_transfers SET to_unit_id = :u WHERE id = :i"),
                       {"u": people.other_district.id, "i": transfer.id})
    db.session.commit()
    db.session.expire_all()
    receiving = login(people.other_supervisor)
    response = receiving.post(f"/api/v1/transfers/{transfer.id}/accept",
                              headers={"X-CSRFToken": api_token(receiving)})
    assert response.status_code == 404
    assert db.session.get(Case, case.id).unit.code == "XA"


def test_reasons_are_sealed_in_the_database(people, make_case):
    case = make_case("support", lead=people.officer)
    transfer = ask(people.supervisor, case)
    raw = db.session.execute(text("SELECT reason FROM case_transfers WHERE id = :i"),
                             {"i": transfer.id}).scalar()
    assert raw and REASON.encode() not in bytes(raw)


# --- the API ----------------------------------------------------------------------------------

def test_api_request_status_accept(people, make_case, login):
    case = make_case("referral", lead=people.officer)
    before = clocks(case)
    sending, officer = login(people.supervisor), login(people.officer)
    response = sending.post(f"/api/v1/cases/{case.reference}/transfer",
                            json={"to_unit": "HUYEN2", "reason_code": "other_commune",
                                  "reason": REASON, "version": case.version_id},
                            headers={"X-CSRFToken": api_token(sending)})
    assert response.status_code == 201, response.json
    transfer_id = response.json["transfer"]["id"]
    status = officer.get(f"/api/v1/cases/{case.reference}/transfer").json
    assert status["being_transferred"] and status["pending"]["to_unit"] == "HUYEN2"
    assert REASON not in str(status)
    receiving = login(people.other_supervisor)
    incoming = receiving.get("/api/v1/transfers/incoming").json["transfers"]
    assert [t["reference"] for t in incoming] == [case.reference]
    no_child_data(str(incoming))
    assert officer.get("/api/v1/transfers/incoming").status_code == 403
    accepted = receiving.post(f"/api/v1/transfers/{transfer_id}/accept",
                              headers={"X-CSRFToken": api_token(receiving)})
    assert accepted.status_code == 200 and accepted.json["transfer"]["status"] == "accepted"
    assert clocks(case) == before
    assert officer.get(f"/api/v1/cases/{case.reference}/transfer").status_code == 404
    status = receiving.get(f"/api/v1/cases/{case.reference}/transfer").json
    assert status["unit"] == "HUYEN2" and not status["being_transferred"]
    # Accepted again (now the case's supervisor, they still see it): a 422 the
    # document declares (schemathesis found it undeclared), nothing changed.
    again = receiving.post(f"/api/v1/transfers/{transfer_id}/accept",
                           headers={"X-CSRFToken": api_token(receiving)})
    assert again.status_code == 422 and again.json["type"].endswith("/invalid-input")
    document = receiving.get("/api/v1/openapi.json").json
    assert "422" in document["paths"]["/transfers/{transfer_id}/accept"]["post"]["responses"]


def test_api_decline_needs_a_reason(people, make_case, login):
    case = make_case("support", lead=people.officer)
    transfer = ask(people.supervisor, case)
    receiving = login(people.other_supervisor)
    headers = {"X-CSRFToken": api_token(receiving)}
    assert receiving.post(f"/api/v1/transfers/{transfer.id}/decline", json={},
                          headers=headers).status_code == 422
    done = receiving.post(f"/api/v1/transfers/{transfer.id}/decline", json={"reason": DECLINE},
                          headers=headers)
    assert done.status_code == 200 and done.json["transfer"]["status"] == "declined"
    # Declined, the transfer is no longer the receiving side's to see or decide.
    assert receiving.post(f"/api/v1/transfers/{transfer.id}/accept",
                          headers=headers).status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, case.id).unit.code == "XA"


def test_openapi_declares_the_transfer_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/cases/{reference}/transfer"]
    assert paths["/cases/{reference}/transfer"]["post"]["requestBody"]
    assert "post" in paths["/transfers/{transfer_id}/decline"]
    assert "get" in paths["/transfers/incoming"]


def test_the_lists_pages_and_who_opens_them(people, make_case, login):
    case = make_case("support", lead=people.officer)
    ask(people.supervisor, case)
    receiving, sending = login(people.other_supervisor), login(people.supervisor)
    one = receiving.get("/supervision/transfers-in")
    assert one.status_code == 200 and case.reference in one.get_data(as_text=True)
    out = sending.get("/supervision/transfers-out")
    assert out.status_code == 200 and case.reference in out.get_data(as_text=True)
    assert case.reference not in sending.get("/supervision/transfers-in").get_data(as_text=True)
    officer = login(people.officer)
    before = audit_count(action="case.denied")
    assert officer.get("/transfers").status_code == 403
    assert audit_count(action="case.denied") == before + 1
    # The notice leads the receiving supervisor to the transfers, not to a 404.
    notice = db.session.scalar(select(Notification).where(
        Notification.user_id == people.other_supervisor.id,
        Notification.kind == "transfer_requested"))
    opened = receiving.get(f"/notifications/{notice.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/transfers")


def test_two_requests_at_once_one_waits_the_other_is_refused(people, make_case, monkeypatch):
    """The second of two requests that both saw no pending transfer meets the
    database's one-pending index: refused as a CaseError, not a server error."""
    case = make_case("support", lead=people.officer)
    ask(people.supervisor, case)
    monkeypatch.setattr(service, "pending_of", lambda _case: None)
    with pytest.raises(CaseError):
        service.request_transfer(people.province_supervisor, case,
                                 service.TransferData("TINH", "handed_down", REASON))
    db.session.rollback()
    assert len(service.transfers_of(case)) == 1


def test_an_acceptance_and_a_decline_at_once_make_one_decision(app, people, make_case,
                                                             monkeypatch):
    """Hostile review: a decline that passed its checks while another supervisor's
    acceptance committed was written over it (the case moved, the transfer said
    "declined"). The decision re-reads the stored row, locked: the decline is refused."""
    from caseapp.accounts.models import User

    case = make_case("support", lead=people.officer)
    transfer = ask(people.supervisor, case)
    real_unlock, fired = service.unlock, []

    def accepted_meanwhile(*args, **kwargs):
        if not fired:
            fired.append(1)
            with app.app_context():
                other = db.session()
                service.accept(other.get(User, people.province_supervisor.id),
                               other.get(CaseTransfer, transfer.id))
                other.commit()
        return real_unlock(*args, **kwargs)

    monkeypatch.setattr(service, "unlock", accepted_meanwhile)
    with pytest.raises(CaseError):
        service.decline(people.other_supervisor, transfer, DECLINE)
    db.session.expire_all()
    stored = db.session.get(CaseTransfer, transfer.id)
    assert fired and stored.status == "accepted"
    assert db.session.get(Case, case.id).unit.code == "HUYEN2"


def test_after_a_transfer_the_sending_units_officer_is_not_reminded(people, make_case):
    """A follow-up planned for the sending unit's officer before the move: its
    reminder would name a case they no longer see (hostile review)."""
    from caseapp.followups import service as followups

    case = make_case("support", lead=people.officer)
    day = followups.next_working_day(clock.local_today())
    followups.schedule(people.officer, case,
                       followups.FollowUpData(day, "home_visit", people.officer.id))
    db.session.commit()
    due = followups.coming_follow_ups(clock.now(), None)
    assert any(who == [people.officer.id] and ref == case.reference for who, _k, ref, _ in due)
    service.accept(people.other_supervisor, ask(people.supervisor, case))
    db.session.commit()
    due = followups.coming_follow_ups(clock.now(), None)
    assert not any(people.officer.id in who for who, _k, _ref, _ in due)


def test_a_case_being_transferred_is_marked_once_on_the_supervision_page(
        people, login, make_case):
    case = make_case("intake")  # waiting for a lead officer: listed on the page
    sending = login(people.supervisor)
    asked = post_request(sending, case)
    # At the top of the transfer's page, where the message saying it worked is.
    assert asked.status_code == 302
    assert asked.headers["Location"].endswith(f"/cases/{case.reference}/sections/transfer#top")
    page = sending.get("/supervision").get_data(as_text=True)
    start = page.index('id="unassigned"')
    section = page[start:page.index("</section>", start)]
    at = section.index(f"/cases/{case.reference}?")
    row = section[section.rindex("<tr", 0, at):section.index("</tr>", at)]
    assert row.count("Đang chuyển đơn vị") == 1


def test_past_the_choices_cap_the_receiving_unit_is_typed(people, make_case, login, monkeypatch):
    """A province has thousands of units: no select of them all on the transfer
    form, the receiving unit's code typed instead and checked as a choice is."""
    from caseapp.transfers import panel

    monkeypatch.setattr(panel, "UNIT_CHOICES_MAX", 2)
    case = make_case("support", lead=people.officer)
    sending = login(people.supervisor)
    page = sending.get(f"/cases/{case.reference}/sections/transfer").get_data(as_text=True)
    assert '<input id="transfer-to_unit" name="transfer-to_unit"' in page
    assert '<select id="transfer-to_unit"' not in page
    refused = post_request(sending, case, to="NOWHERE")
    assert refused.status_code == 422
    assert "Không có đơn vị nào mang mã này." in refused.get_data(as_text=True)
    assert db.session.scalar(select(CaseTransfer.id)) is None
    assert post_request(sending, case, to=" huyen2 ").status_code == 302
    assert db.session.scalar(select(CaseTransfer.to_unit_id)) == people.other_district.id
