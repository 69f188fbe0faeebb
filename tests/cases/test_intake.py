"""Intake (Mẫu 01): what is sealed, what is clear, consent, validation, who may record."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from caseapp import clock
from caseapp.cases import reference_data, service
from caseapp.cases.data import ChildData, ConsentData, OffenderAccountData
from caseapp.cases.errors import CaseError
from caseapp.cases.models import Case, OffenderAccount
from caseapp.crypto import blind_index, current_keyring
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied

from .conftest import (
    CHILD_NAME,
    CHILD_PHONE,
    GUARDIAN_NAME,
    HANDLE,
    NARRATIVE,
    audit_count,
    audit_rows,
    intake_data,
)


def test_intake_creates_a_case(people):
    case = service.record_intake(people.counselor, intake_data())
    assert case.stage == "intake" and case.unit_id == people.commune.id
    assert case.reference.startswith("HS-") and len(case.reference) == 11
    assert not set(case.reference[3:]) & set("01OIL")
    assert case.recorded_by_id == people.counselor.id
    assert case.channel_code == "hotline_111" and case.requested_by_code == "child"
    assert case.harm_category_codes == ["sextortion", "cyberbullying"]
    assert case.platform_codes == ["facebook"]
    assert case.gender_code == "female" and case.help_requested
    assert case.consent_child and case.consent_guardian and case.legal_ground is None
    assert case.consent_recorded_by_id == people.counselor.id and case.consent_recorded_at
    assert case.version_id == 1
    assert len(case.id) == 36 and case.data_key_id
    # the creator can read back what they typed (same request)
    assert case.child_full_name == CHILD_NAME and case.guardian_name == GUARDIAN_NAME
    assert case.child_date_of_birth == date(2012, 3, 4)
    (account,) = case.offender_accounts
    assert account.handle == HANDLE.strip() and len(account.id) == 36
    (entry,) = audit_rows(action="case.create")
    assert entry.object_id == case.reference and entry.unit_path == people.commune.path


def test_references_are_random_and_unique(people):
    refs = {service.new_reference() for _ in range(200)}
    assert len(refs) == 200


def test_sealed_columns_hold_ciphertext_only(people):
    case = service.record_intake(people.counselor, intake_data())
    db.session.flush()
    row = db.session.execute(text("SELECT * FROM cases WHERE id = :id"), {"id": case.id}).one()
    raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None)
    for secret in (CHILD_NAME, NARRATIVE, CHILD_PHONE, GUARDIAN_NAME, "2012-03-04"):
        assert secret.encode() not in raw
    handle_row = db.session.execute(text(
        "SELECT handle FROM case_offender_accounts WHERE case_id = :id"), {"id": case.id}).one()
    assert b"facebook.com" not in bytes(handle_row[0])


def test_blind_indexes_are_stored(people):
    case = service.record_intake(people.counselor, intake_data())
    key = current_keyring().blind_index_key
    assert case.child_phone_index == blind_index("child_phone", "+84912345678", key)
    # The reporter's phone is checked but never indexed (no grouping by whistle-blower).
    assert not hasattr(case, "reporter_phone_index")
    assert case.child_dob_family_index == blind_index(
        "child_dob_family", (date(2012, 3, 4), "phạm"), key)
    found = db.session.scalar(select(OffenderAccount).where(
        OffenderAccount.handle_index == blind_index("offender_handle",
                                                    "facebook.com/ke.la.mat.danh.9999", key)))
    assert found is not None and found.case_id == case.id


@pytest.mark.parametrize("dob,estimate,band", [
    (date(2021, 1, 1), None, "0-5"), (None, 6, "6-10"), (None, 10, "6-10"),
    (None, 11, "11-14"), (None, 14, "11-14"), (None, 15, "15-17"), (None, 17, "15-17"),
    (None, None, "unknown"),
])
def test_age_band(people, dob, estimate, band):
    consent = ConsentData(child=True, guardian=True)
    case = service.record_intake(people.counselor, intake_data(
        child={"date_of_birth": dob, "estimated_age": estimate}, consent=consent))
    assert case.age_band == band


# --- consent -------------------------------------------------------------------------------

@pytest.mark.parametrize("consent,child,ok", [
    (ConsentData(child=True, guardian=True), {}, True),
    (ConsentData(child=False, guardian=True), {}, False),
    (ConsentData(child=True, guardian=False), {}, False),
    (ConsentData(), {}, False),
    (ConsentData(legal_ground="emergency"), {}, True),
    (ConsentData(legal_ground="legal_duty"), {}, True),
    (ConsentData(legal_ground="because"), {}, False),
    # under 7: the guardian's consent is enough
    (ConsentData(guardian=True), {"date_of_birth": None, "estimated_age": 5}, True),
    # age unknown: the child's consent is needed too
    (ConsentData(guardian=True), {"date_of_birth": None}, False),
    (ConsentData(guardian=True), {}, False),
])
def test_consent_or_a_legal_ground_is_required(people, consent, child, ok):
    data = intake_data(consent=consent, child=child)
    before = audit_count()
    if ok:
        case = service.record_intake(people.counselor, data)
        assert case.legal_ground == consent.legal_ground
    else:
        with pytest.raises(CaseError) as error:
            service.record_intake(people.counselor, data)
        assert error.value.field.startswith("consent")
        assert audit_count() == before
        assert db.session.scalar(select(Case)) is None


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("overrides,field", [
    ({"unit": "NOPE"}, "unit"),
    ({"channel": "pigeon"}, "channel"),
    ({"requested_by": ""}, "requested_by"),
    ({"harm_categories": ()}, "harm_categories"),
    ({"harm_categories": ("grooming", "nonsense")}, "harm_categories"),
    ({"platforms": ("myspace",)}, "platforms"),
    ({"narrative": "  "}, "narrative"),
    ({"child": {"full_name": ""}}, "child.full_name"),
    ({"child": {"gender": "x"}}, "child.gender"),
    ({"child": {"phone": "call me"}}, "child.phone"),
    ({"child": {"date_of_birth": date(2000, 1, 1)}}, "child.date_of_birth"),
    ({"child": {"date_of_birth": None, "estimated_age": 19}}, "child.date_of_birth"),
    ({"child": {"date_of_birth": None, "estimated_age": -1}}, "child.estimated_age"),
    ({"offender_accounts": (OffenderAccountData("  "),)}, "offender_accounts.0"),
    ({"offender_accounts": (OffenderAccountData("abc", "myspace"),)}, "offender_accounts.0"),
    ({"narrative": "x" * 20_001}, "narrative"),
])
def test_intake_validation(people, overrides, field):
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(**overrides))
    assert error.value.field == field
    assert str(error.value.message)


def test_received_at_cannot_be_in_the_future(people):
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(
            received_at=clock.now() + timedelta(hours=1)))
    assert error.value.field == "received_at"


def test_date_of_birth_after_the_report_is_refused(people):
    with pytest.raises(CaseError):
        service.record_intake(people.counselor, intake_data(
            child={"date_of_birth": clock.now().date() + timedelta(days=2)}))


def test_retired_list_entries_are_refused(people):
    reference_data.set_active("system", "channel", "email", False)
    with pytest.raises(CaseError):
        service.record_intake(people.counselor, intake_data(channel="email"))


# --- who may record ----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["supervisor", "admin", "other_officer"])
def test_intake_by_others_is_refused_and_audited(people, who):
    actor = getattr(people, who)
    with pytest.raises(PermissionDenied):
        service.record_intake(actor, intake_data())
    (row,) = audit_rows(action="case.denied")
    assert row.actor_id == actor.id and row.outcome == "denied" and row.object_id is None
    assert db.session.scalar(select(Case)) is None


def test_officers_may_record_intake_in_their_subtree(people):
    case = service.record_intake(people.officer2, intake_data("XA"))
    assert case.unit_id == people.commune.id
    with pytest.raises(PermissionDenied):
        service.record_intake(people.officer, intake_data("HUYEN"))  # above their unit


def test_a_disabled_counselor_cannot_record(people):
    people.counselor.is_enabled = False
    with pytest.raises(PermissionDenied):
        service.record_intake(people.counselor, intake_data())


def test_child_without_date_of_birth(people):
    case = service.record_intake(people.counselor, intake_data(
        child={"date_of_birth": None, "estimated_age": 12, "phone": ""}))
    assert case.child_estimated_age == 12 and case.child_date_of_birth is None
    assert case.child_dob_family_index is None and case.child_phone_index is None


def test_minimal_intake(people):
    data = intake_data(child=None, platforms=(), offender_accounts=())
    from dataclasses import replace

    from caseapp.cases.data import ReporterData

    data = replace(data, child=ChildData(full_name="Bé Na"), reporter=ReporterData(),
                   consent=ConsentData(legal_ground="emergency"))
    case = service.record_intake(people.counselor, data)
    assert case.age_band == "unknown" and case.gender_code == "unknown"
    assert case.reporter_name is None and case.reporter_phone is None
