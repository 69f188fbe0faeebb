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
    assert case.child_consent == case.guardian_consent == "given"
    assert case.legal_ground is None
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


@pytest.mark.parametrize("dob,estimate,band,minor", [
    (date(2021, 1, 1), None, "0-5", False), (None, 6, "6-10", False),
    (None, 10, "6-10", False), (None, 11, "11-15", False), (None, 15, "11-15", False),
    (None, 16, "16-17", True), (None, 17, "16-17", True), (None, None, "unknown", False),
])
def test_age_band_splits_at_16(people, dob, estimate, band, minor):
    case = service.record_intake(people.counselor, intake_data(
        child={"date_of_birth": dob, "estimated_age": estimate}))
    assert case.age_band == band
    assert case.is_minor is minor


# --- consent: recorded as it stands; receiving the report never waits for it -------------------

@pytest.mark.parametrize("consent,child,recorded,ground", [
    (ConsentData(child="given", guardian="given"), {}, ("given", "given"), None),
    (ConsentData(child="refused", guardian="given"), {}, ("refused", "given"),
     "receive_report"),
    (ConsentData(child="given", guardian="not_asked"), {}, ("given", "not_asked"),
     "receive_report"),
    # Nobody asked yet (a child calling the hotline at night): recorded all the same.
    (ConsentData(), {}, ("not_asked", "not_asked"), "receive_report"),
    (ConsentData(legal_ground="emergency"), {}, ("not_asked", "not_asked"), "emergency"),
    (ConsentData(legal_ground="legal_duty"), {}, ("not_asked", "not_asked"), "legal_duty"),
    # Under 7 the child's own consent is not asked: the guardian's is enough.
    (ConsentData(guardian="given"), {"date_of_birth": None, "estimated_age": 5},
     ("too_young", "given"), None),
    # A 13-year-old whose consent was simply not asked is not "under 7".
    (ConsentData(guardian="given"), {"date_of_birth": None, "estimated_age": 13},
     ("not_asked", "given"), "receive_report"),
    (ConsentData(guardian="given"), {"date_of_birth": None}, ("not_asked", "given"),
     "receive_report"),
])
def test_intake_is_recorded_with_consent_as_it_stands(people, consent, child, recorded, ground):
    case = service.record_intake(people.counselor, intake_data(consent=consent, child=child))
    assert (case.child_consent, case.guardian_consent) == recorded
    assert case.legal_ground == ground


@pytest.mark.parametrize("consent,field", [
    (ConsentData(legal_ground="because"), "consent.legal_ground"),
    (ConsentData(child="maybe"), "consent.child"),
    (ConsentData(guardian="too_young"), "consent.guardian"),
    (ConsentData(legal_ground="receive_report"), "consent.legal_ground"),
])
def test_unknown_consent_values_are_refused(people, consent, field):
    before = audit_count()
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(consent=consent))
    assert error.value.field == field
    assert audit_count() == before
    assert db.session.scalar(select(Case)) is None


def test_help_requested_has_no_default(people):
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(help_requested=None))
    assert error.value.field == "help_requested"
    assert db.session.scalar(select(Case)) is None
    case = service.record_intake(people.counselor, intake_data(help_requested=False))
    assert case.help_requested is False


def test_form_01_fields_and_the_people_around_the_child_are_sealed(people):
    from caseapp.cases.data import PersonData

    case = service.record_intake(people.counselor, intake_data(
        child_group="abused", incident_place="Nhóm Zalo lớp 8A",
        child_condition="Em sợ hãi, không dám đến trường",
        consequences_without_help="Ảnh có thể bị phát tán", family_circumstances="Bố đi làm xa",
        current_caregiver="Bà ngoại", help_before_report="Cô giáo đã nói chuyện với em",
        intake_notes="Gọi lại sau 17 giờ",
        people=(PersonData("father", "Phạm Văn Khiêm", 41, "Công nhân"),
                PersonData("mother", "", None, ""))))  # an empty row is not stored
    assert case.child_group == "abused"
    (father,) = case.people
    assert (father.relation, father.full_name, father.age, father.occupation) == (
        "father", "Phạm Văn Khiêm", 41, "Công nhân")
    assert case.incident_place == "Nhóm Zalo lớp 8A" and case.current_caregiver == "Bà ngoại"
    db.session.commit()
    raw = db.session.execute(select(Case.__table__.c.incident_place,
                                    Case.__table__.c.family_circumstances)).one()
    assert all(isinstance(v, bytes) and b"Zalo" not in v and "Bố".encode() not in v for v in raw)


@pytest.mark.parametrize("person,field", [
    ({"relation": "uncle"}, "people.0.relation"),
    ({"age": 130}, "people.0.age"),
    ({"age": -1}, "people.0.age"),
])
def test_bad_people_are_refused(people, person, field):
    from caseapp.cases.data import PersonData

    values = {"relation": "father", "full_name": "Phạm Văn Khiêm", **person}
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(people=(PersonData(**values),)))
    assert error.value.field == field
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
    ({"child_group": "orphan"}, "child_group"),
    ({"incident_place": "x" * 501}, "incident_place"),
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
