"""Consent to share with each referral agency: a referral on consent needs the
consent for that agency on file; a legal ground is put on file by the referral
itself; who recorded it and when; withdrawal; who may record it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.cases import service
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.consent import service as consent
from caseapp.consent.models import SharingConsent
from caseapp.consent.service import SharingConsentData, record_sharing_consent
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from tests.case_screens.conftest import token
from tests.cases.conftest import audit_rows, referral_data

GIVEN = SharingConsentData(agency="cybercrime_police", basis="consent", child=True,
                           guardian=True)


def consents(case):
    return db.session.scalars(select(SharingConsent)
                              .where(SharingConsent.case_id == case.id)).all()


def test_referral_on_consent_without_consent_for_that_agency_is_refused(people, make_case):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        service.transition(people.officer, case, "referral", referral_data())
    assert error.value.field == "sharing_basis"
    assert case.stage == "support" and case.referrals == []
    # Consent for another agency does not count.
    record_sharing_consent(people.officer, case, SharingConsentData(
        agency="school", basis="consent", child=True, guardian=True))
    with pytest.raises(CaseError):
        service.transition(people.officer, case, "referral", referral_data())
    record_sharing_consent(people.officer, case, GIVEN)
    service.transition(people.officer, case, "referral", referral_data())
    assert case.stage == "referral"


def test_consent_records_who_and_when(people, make_case, travel):
    case = make_case("support")
    row = record_sharing_consent(people.officer, case, GIVEN)
    assert row.recorded_by_id == people.officer.id and row.recorded_at is not None
    assert (row.consent_child, row.consent_guardian, row.basis) == (True, True, "consent")
    (entry,) = audit_rows(action="case.sharing_consent")
    assert entry.actor_id == people.officer.id and entry.object_id == case.reference
    assert "cybercrime_police" in entry.details and "consent" in entry.details


@pytest.mark.parametrize("child,guardian", [(False, True), (True, False), (False, False)])
def test_consent_needs_child_aged_7_and_guardian(people, make_case, child, guardian):
    case = make_case("support")  # the fixture child was born in 2012
    with pytest.raises(CaseError) as error:
        record_sharing_consent(people.officer, case, SharingConsentData(
            "cybercrime_police", "consent", child=child, guardian=guardian))
    assert error.value.field == "consent" and consents(case) == []


def test_a_child_under_7_needs_only_the_guardian(people, make_case):
    case = make_case("support", child={"date_of_birth": None, "estimated_age": 5})
    row = record_sharing_consent(people.officer, case, SharingConsentData(
        "cybercrime_police", "consent", child=False, guardian=True))
    assert row.consent_child is None and row.consent_guardian is True


def test_legal_ground_needs_a_reason_and_is_put_on_file_by_the_referral(people, make_case):
    case = make_case("support")
    with pytest.raises(CaseError) as error:
        record_sharing_consent(people.officer, case, SharingConsentData(
            "cybercrime_police", "emergency"))
    assert error.value.field == "note"
    service.transition(people.officer, case, "referral",
                       referral_data(sharing_basis="legal_duty"))
    (row,) = consents(case)
    assert (row.agency_code, row.basis, row.recorded_by_id) == \
        ("cybercrime_police", "legal_duty", people.officer.id)


def test_withdrawn_consent_no_longer_allows_a_referral(people, make_case):
    case = make_case("support")
    row = record_sharing_consent(people.officer, case, GIVEN)
    consent.withdraw_sharing_consent(people.officer, case, row.id)
    assert row.withdrawn_at is not None and row.withdrawn_by_id == people.officer.id
    with pytest.raises(CaseError):
        service.transition(people.officer, case, "referral", referral_data())
    with pytest.raises(CaseError):
        consent.withdraw_sharing_consent(people.officer, case, row.id)
    assert len(audit_rows(action="case.sharing_consent_withdrawn")) == 1


@pytest.mark.parametrize("who", ["supervisor", "province_supervisor", "other_officer",
                                 "other_supervisor", "admin"])
def test_only_the_people_on_the_case_record_consent(people, make_case, who):
    case = make_case("support")
    actor = getattr(people, who)
    with pytest.raises((PermissionDenied, CaseNotFound)):
        record_sharing_consent(actor, case, GIVEN)
    assert consents(case) == []
    assert audit_rows(action="case.denied")[-1].actor_id == actor.id


def test_consent_note_is_sealed_and_audit_has_no_text(people, make_case):
    case = make_case("support")
    note = "Mẹ em đồng ý qua điện thoại lúc 21 giờ"
    record_sharing_consent(people.officer, case, SharingConsentData(
        "school", "emergency", note=note))
    raw = db.session.execute(select(SharingConsent.__table__.c.note)).scalar_one()
    assert note.encode() not in raw
    assert all(note not in (r.details or "") for r in audit_rows())


def test_web_form_bad_input_is_422_and_writes_nothing(people, login, make_case):
    case = make_case("support")
    client = login(people.officer)
    response = client.post(f"/cases/{case.reference}/sharing-consents", data={
        "consent-csrf_token": token(client, f"/cases/{case.reference}"),
        "consent-agency": "cybercrime_police", "consent-basis": "consent"})
    assert response.status_code == 422
    assert "cần có sự đồng ý của cha mẹ hoặc người giám hộ" in response.get_data(as_text=True)
    assert consents(case) == []


def test_web_form_without_csrf_is_refused(people, login, make_case):
    case = make_case("support")
    response = login(people.officer).post(f"/cases/{case.reference}/sharing-consents", data={
        "consent-agency": "cybercrime_police", "consent-basis": "consent",
        "consent-child": "y", "consent-guardian": "y"})
    assert response.status_code == 400 and consents(case) == []


def test_outsider_gets_404_on_the_consent_routes(people, login, make_case):
    case = make_case("support")
    client = login(people.other_officer)
    for path in ("sharing-consents", "sharing-consents/withdraw"):
        response = client.post(f"/cases/{case.reference}/{path}", data={
            "csrf_token": token(client, "/cases"), "consent-agency": "school"})
        assert response.status_code == 404
    assert consents(case) == []
