"""Family and caregivers: the people around the child and the household, sealed,
with the "may be the abuser" flag that keeps a person from being contacted
through the case; who may read and change them; forged and bad input."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select, text

from caseapp.cases import service as case_service
from caseapp.cases.errors import CaseConflict, CaseError, CaseErrors, CaseNotFound
from caseapp.extensions import db
from caseapp.family import service
from caseapp.family.models import FamilyHousehold, FamilyMember
from caseapp.family.service import HouseholdData, MemberData
from caseapp.permissions import PermissionDenied
from tests.case_screens.conftest import token
from tests.cases.conftest import audit_count, audit_rows

ABUSER = "Trần Văn Khuất"
ABUSER_PHONE = "0909 777 313"
MOTHER = "Lê Thị Mận"
MOTHER_PHONE = "0912 000 424"
FATHER = MemberData(relation="step_parent", full_name=ABUSER, birth_year=1980,
                    occupation="Lái xe", contact=ABUSER_PHONE, lives_with_child=True,
                    may_be_abuser=True)
MUM = MemberData(relation="mother", full_name=MOTHER, age=38, occupation="Buôn bán",
                 contact=MOTHER_PHONE, lives_with_child=True)


def rows(case):
    return db.session.scalars(select(FamilyMember).where(FamilyMember.case_id == case.id)).all()


def section(reference: str) -> str:
    return f"/cases/{reference}/sections/family"


def family_form(prefix="family", **fields) -> dict:
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def add_by_web(client, case, **fields):
    data = {"family-csrf_token": token(client, section(case.reference)), **family_form(
        **{"relation": "mother", "full_name": MOTHER, **fields})}
    return client.post(f"/cases/{case.reference}/family", data=data)


# --- the service ----------------------------------------------------------------------------

def test_people_are_recorded_and_read_back_sealed(people, make_case):
    case = make_case("support")
    service.add_member(people.officer, case, FATHER)
    service.add_member(people.officer, case, MUM)
    db.session.commit()
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    first, second = service.members_of(case)
    assert (first.relation, first.full_name, first.birth_year, first.flagged, first.lives_with) \
        == ("step_parent", ABUSER, 1980, True, True)
    assert (second.relation, second.age, second.flagged) == ("mother", 38, False)
    assert [m.full_name for m in service.flagged_members(case)] == [ABUSER]
    assert [m.full_name for m in service.contactable_members(case)] == [MOTHER]


def test_audit_entries_name_the_row_never_the_person(people, make_case):
    case = make_case("support")
    member = service.add_member(people.officer, case, FATHER)
    service.update_member(people.officer, case, member.id, MUM)
    service.save_household(people.officer, case, HouseholdData("Mẹ và cha dượng", "Nhà thuê"))
    service.remove_member(people.officer, case, member.id)
    entries = [*audit_rows(action="case.family_member"),
               *audit_rows(action="case.family_member_changed"),
               *audit_rows(action="case.family_household"),
               *audit_rows(action="case.family_member_removed")]
    assert len(entries) == 4
    for entry in entries:
        assert entry.object_id == case.reference and entry.actor_id == people.officer.id
        for secret in (ABUSER, ABUSER_PHONE, MOTHER, "step_parent", "Nhà thuê", "1980"):
            assert secret not in str(entry.details)


def test_the_household_is_one_record(people, make_case):
    case = make_case("support")
    service.save_household(people.officer, case, HouseholdData("Bà ngoại", "Bố mẹ đi làm xa"))
    service.save_household(people.officer, case, HouseholdData("Mẹ", ""))
    db.session.commit()
    case_service.open_child_data(people.officer, case)
    (household,) = db.session.scalars(select(FamilyHousehold)
                                       .where(FamilyHousehold.case_id == case.id)).all()
    assert (household.lives_with, household.circumstances) == ("Mẹ", None)
    with pytest.raises(CaseError):
        service.save_household(people.officer, case, HouseholdData("", " "))


@pytest.mark.parametrize("change,field", [
    ({"full_name": ""}, "full_name"),
    ({"full_name": "x" * 201}, "full_name"),
    ({"occupation": "x" * 201}, "occupation"),
    ({"contact": "x" * 201}, "contact"),
    ({"birth_year": 1850}, "birth_year"),
    ({"birth_year": 2999}, "birth_year"),
    ({"age": 121}, "age"),
    ({"age": -1}, "age"),
    ({"relation": "boss"}, "relation"),
    ({"full_name": "Tr\u202eần"}, "full_name"),
])
def test_bad_input_is_refused_and_nothing_is_written(people, make_case, change, field):
    case = make_case("support")
    data = MemberData(**{**MUM.__dict__, **change})
    with pytest.raises(CaseError) as error:
        service.add_member(people.officer, case, data)
    assert error.value.field == field
    assert rows(case) == []


def test_every_mistake_is_named_at_once(people, make_case):
    case = make_case("support")
    with pytest.raises(CaseErrors) as error:
        service.add_member(people.officer, case, MemberData(relation="x", full_name="",
                                                            birth_year=1, age=500))
    assert {e.field for e in error.value.errors} == {"relation", "full_name", "birth_year",
                                                     "age"}


def test_another_cases_row_is_refused_and_left_alone(people, make_case):
    mine, theirs = make_case("support"), make_case("support")
    other = service.add_member(people.officer, theirs, MUM)
    db.session.commit()
    for call in (lambda: service.update_member(people.officer, mine, other.id, FATHER),
                 lambda: service.remove_member(people.officer, mine, other.id)):
        with pytest.raises(CaseError) as error:
            call()
        assert error.value.field == "member"
    db.session.expire_all()
    case_service.open_child_data(people.officer, theirs)
    (still,) = rows(theirs)
    assert (still.id, still.full_name, still.flagged) == (other.id, MOTHER, False)


def test_who_may_change_the_family(people, make_case):
    case = make_case("support")
    with pytest.raises(PermissionDenied):  # a supervisor sees metadata only
        service.add_member(people.supervisor, case, MUM)
    with pytest.raises(CaseNotFound):  # another unit's officer: the case does not exist
        service.add_member(people.officer2, case, MUM)
    closed = make_case("closure")
    with pytest.raises(PermissionDenied):
        service.add_member(people.officer, closed, MUM)
    assert rows(case) == [] and rows(closed) == []


# --- the database holds no family data in clear ---------------------------------------------

def test_the_family_columns_hold_no_clear_text(people, make_case):
    """Raw column bytes (SQLite or PostgreSQL): no name, contact, relation or flag."""
    case = make_case("support")
    service.add_member(people.officer, case, FATHER)
    service.save_household(people.officer, case, HouseholdData(f"Mẹ và {ABUSER}",
                                                               "Nhà thuê ở xóm Chài"))
    db.session.commit()
    raw = b""
    for table in ("case_family_members", "case_family_households"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
            for value in row:
                raw += bytes(value) if isinstance(value, bytes | memoryview) \
                    else str(value).encode()
    assert case.id.encode() in raw  # positive control: the clear metadata is there
    for secret in (ABUSER, ABUSER_PHONE, "xóm Chài", "step_parent", "Lái xe"):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, secret


# --- the section page -----------------------------------------------------------------------

def test_section_page_marks_the_flagged_person_and_hides_their_contact(people, make_case,
                                                                      login):
    case = make_case("support")
    service.add_member(people.officer, case, FATHER)
    service.add_member(people.officer, case, MUM)
    db.session.commit()
    client = login(people.officer)
    html = client.get(section(case.reference)).get_data(as_text=True)
    assert ABUSER in html and MOTHER in html
    assert 'data-do-not-contact' in html and 'class="do-not-contact-banner' in html.replace(
        "flash flash-error do-not-contact-banner", "do-not-contact-banner")
    flagged = html[html.index("data-do-not-contact"):]
    flagged = flagged[:flagged.index("</li>")]
    # The contact only inside the folded warning, the warning first.
    warning = flagged.index('<details class="do-not-contact">')
    assert ABUSER_PHONE not in flagged[:warning]
    assert flagged.index("<summary>") < flagged.index(ABUSER_PHONE)
    # The case page's line: the count and the warning count.
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    line = re.search(r'<li id="section-family">(.*?)</li>', page, re.S).group(1)
    assert "2" in line and 'badge overdue' in line
    assert ABUSER not in page  # the names stay on the section page
    # He lives with the child: the section says to check the child's safety at home.
    assert "data-abuser-at-home" in html and "an toàn ở nhà" in html


def test_no_safety_prompt_when_the_flagged_person_lives_elsewhere(people, make_case, login):
    case = make_case("support")
    service.add_member(people.officer, case, dataclasses.replace(FATHER,
                                                                 lives_with_child=False))
    service.add_member(people.officer, case, MUM)
    db.session.commit()
    html = login(people.officer).get(section(case.reference)).get_data(as_text=True)
    assert "data-do-not-contact" in html and "data-abuser-at-home" not in html


def test_the_web_forms_add_correct_and_remove(people, make_case, login):
    case = make_case("support")
    client = login(people.officer)
    response = add_by_web(client, case, contact=MOTHER_PHONE, lives_with_child="y",
                          birth_year="1986")
    assert response.status_code == 302 and "/sections/family" in response.headers["Location"]
    (member,) = rows(case)
    data = {f"m-{member.id}-csrf_token": token(client, section(case.reference)),
            **family_form(f"m-{member.id}", relation="mother", full_name=MOTHER,
                          may_be_abuser="y", version="1")}
    assert client.post(f"/cases/{case.reference}/family/{member.id}",
                       data=data).status_code == 302
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    assert rows(case)[0].flagged and rows(case)[0].birth_year is None
    household = {"household-csrf_token": token(client, section(case.reference)),
                 "household-lives_with": "Bà ngoại", "household-version": "0"}
    assert client.post(f"/cases/{case.reference}/family/household",
                       data=household).status_code == 302
    remove = {"csrf_token": token(client, section(case.reference)),
              "remove-member_id": member.id, "remove-version": "2"}
    assert client.post(f"/cases/{case.reference}/family/remove", data=remove).status_code == 302
    assert rows(case) == []


@pytest.mark.parametrize("fields,message", [
    ({"full_name": "x" * 201}, "quá dài"),
    ({"birth_year": "1850"}, "Năm sinh"),
    ({"birth_year": "khoảng 1980"}, "Năm sinh"),
])
def test_bad_web_input_gives_a_vietnamese_message_and_changes_nothing(
        people, make_case, login, fields, message):
    case = make_case("support")
    client = login(people.officer)
    response = add_by_web(client, case, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message.lower() in html.lower()
    assert rows(case) == []


def test_a_refused_correction_shows_its_form_open_and_changes_nothing(people, make_case,
                                                                     login):
    case = make_case("support")
    member = service.add_member(people.officer, case, MUM)
    db.session.commit()
    client = login(people.officer)
    data = {f"m-{member.id}-csrf_token": token(client, section(case.reference)),
            **family_form(f"m-{member.id}", relation="mother", full_name=MOTHER,
                          birth_year="3000", contact="x" * 300, version="1")}
    response = client.post(f"/cases/{case.reference}/family/{member.id}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="family-edit-{member.id}" open' in html and 'id="form-failed"' in html
    assert "Năm sinh phải trong khoảng" in html and "quá dài" in html
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    (still,) = rows(case)
    assert (still.contact, still.birth_year, still.age) == (MOTHER_PHONE, None, 38)


def test_a_forged_post_without_the_token_changes_nothing(people, make_case, login):
    case = make_case("support")
    member = service.add_member(people.officer, case, MUM)
    db.session.commit()
    client = login(people.officer)
    forged = [(f"/cases/{case.reference}/family", family_form(relation="father",
                                                              full_name=ABUSER)),
              (f"/cases/{case.reference}/family/{member.id}",
               family_form(f"m-{member.id}", relation="father", full_name=ABUSER)),
              (f"/cases/{case.reference}/family/remove", {"remove-member_id": member.id}),
              (f"/cases/{case.reference}/family/household",
               {"household-lives_with": ABUSER})]
    for url, data in forged:
        assert client.post(url, data=data).status_code == 400, url
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    assert [m.full_name for m in rows(case)] == [MOTHER]
    assert service.household_of(case) is None


def test_a_row_id_of_another_case_is_refused_on_the_web(people, make_case, login):
    mine, theirs = make_case("support"), make_case("support")
    other = service.add_member(people.officer, theirs, MUM)
    db.session.commit()
    client = login(people.officer)
    data = {f"m-{other.id}-csrf_token": token(client, section(mine.reference)),
            **family_form(f"m-{other.id}", relation="father", full_name=ABUSER)}
    response = client.post(f"/cases/{mine.reference}/family/{other.id}", data=data)
    assert response.status_code == 422
    assert MOTHER not in response.get_data(as_text=True)
    remove = {"csrf_token": token(client, section(mine.reference)),
              "remove-member_id": other.id}
    client.post(f"/cases/{mine.reference}/family/remove", data=remove)
    db.session.expire_all()
    case_service.open_child_data(people.officer, theirs)
    assert [m.full_name for m in rows(theirs)] == [MOTHER] and rows(mine) == []


def test_another_units_officer_gets_404_audited(people, make_case, login):
    case = make_case("support")
    client = login(people.officer2)
    before = audit_count(action="case.denied", object_id=case.reference)
    assert client.get(section(case.reference)).status_code == 404
    assert client.get(f"/api/v1/cases/{case.reference}/family").status_code == 404
    assert audit_count(action="case.denied", object_id=case.reference) == before + 2


def test_a_supervisor_without_child_data_gets_403_audited(people, make_case, login):
    case = make_case("support")
    client = login(people.supervisor)
    before = audit_count(action="case.denied", object_id=case.reference)
    assert client.get(section(case.reference)).status_code == 403
    response = client.post(
        f"/cases/{case.reference}/family",
        data={"family-csrf_token": token(client, f"/cases/{case.reference}"),
              **family_form(relation="mother", full_name=MOTHER)})
    assert response.status_code == 403
    assert client.get(f"/api/v1/cases/{case.reference}/family").status_code == 403
    assert audit_count(action="case.denied", object_id=case.reference) == before + 3
    assert rows(case) == []
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'id="section-family"' not in page


# --- the JSON API ---------------------------------------------------------------------------

def api_post(client, url, body):
    csrf = client.get("/api/v1/me").json["csrf_token"]
    return client.post(url, json=body, headers={"X-CSRFToken": csrf})


def test_the_api_adds_and_lists_people(people, make_case, login):
    case = make_case("support")
    client = login(people.officer)
    response = api_post(client, f"/api/v1/cases/{case.reference}/family",
                        {"relation": "step_parent", "full_name": ABUSER, "birth_year": 1980,
                         "contact": ABUSER_PHONE, "may_be_abuser": True})
    assert response.status_code == 201, response.json
    member_id = response.json["family_member"]["id"]
    assert ABUSER not in response.get_data(as_text=True)
    assert api_post(client, f"/api/v1/cases/{case.reference}/family/household",
                    {"lives_with": "Mẹ", "version": 0}).status_code == 200
    listed = client.get(f"/api/v1/cases/{case.reference}/family")
    assert listed.status_code == 200
    (member,) = listed.json["members"]
    assert member == {"id": member_id, "version": 1, "relation": "step_parent", "full_name": ABUSER,
                      "birth_year": 1980, "age": None, "occupation": "",
                      "contact": ABUSER_PHONE, "lives_with_child": False,
                      "may_be_abuser": True}
    assert listed.json["household"]["lives_with"] == "Mẹ"
    assert audit_count(action="case.view", object_id=case.reference) >= 1


def test_the_api_corrects_and_removes_a_person(people, make_case, login):
    case = make_case("support")
    client = login(people.officer)
    base = f"/api/v1/cases/{case.reference}/family"
    added = api_post(client, base, {"relation": "caregiver", "full_name": ABUSER})
    member_id = added.json["family_member"]["id"]
    correction = {"relation": "step_parent", "full_name": ABUSER, "birth_year": 1980,
                  "contact": ABUSER_PHONE, "may_be_abuser": True}
    # A correction replaces the whole record: it names the version it was made on.
    assert api_post(client, f"{base}/{member_id}", correction).status_code == 422
    corrected = api_post(client, f"{base}/{member_id}",
                         {**correction, "version": added.json["family_member"]["version"]})
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["family_member"]["id"] == member_id
    assert ABUSER not in corrected.get_data(as_text=True)  # the answer names the row only
    (member,) = client.get(base).json["members"]
    assert (member["relation"], member["contact"], member["may_be_abuser"]) \
        == ("step_parent", ABUSER_PHONE, True)
    assert audit_count(action="case.family_member_changed", object_id=case.reference) == 1
    assert api_post(client, f"{base}/{member_id}/remove", {}).status_code == 422  # no version
    removed = api_post(client, f"{base}/{member_id}/remove", {"version": 2})
    assert removed.status_code == 200, removed.json
    assert client.get(base).json["members"] == [] and rows(case) == []
    assert audit_count(action="case.family_member_removed", object_id=case.reference) == 1
    # Gone: removing or correcting it again is refused, nothing else changes.
    assert api_post(client, f"{base}/{member_id}/remove", {"version": 2}).status_code == 422


def test_the_api_refuses_another_cases_person_and_the_wrong_people(people, make_case, login):
    mine, theirs = make_case("support"), make_case("support")
    other = service.add_member(people.officer, theirs, MUM)
    db.session.commit()
    officer = login(people.officer)
    body = {"relation": "step_parent", "full_name": ABUSER, "may_be_abuser": True, "version": 1}
    probes = audit_count(action="case.denied", object_id=theirs.reference)
    for url, sent in ((f"/api/v1/cases/{mine.reference}/family/{other.id}", body),
                      (f"/api/v1/cases/{mine.reference}/family/{other.id}/remove",
                       {"version": 1})):
        refused = api_post(officer, url, sent)
        assert refused.status_code == 422 and "member" in refused.json["fields"]
    # The same answer as an unknown id, but the attempt is on record on the other case.
    assert audit_count(action="case.denied", object_id=theirs.reference) == probes + 2
    # Another unit's officer: the case does not exist; a supervisor: metadata only.
    for who, status in ((people.officer2, 404), (people.supervisor, 403)):
        client = login(who)
        before = audit_count(action="case.denied", object_id=theirs.reference)
        base = f"/api/v1/cases/{theirs.reference}/family/{other.id}"
        assert api_post(client, base, body).status_code == status
        assert api_post(client, f"{base}/remove", {"version": 1}).status_code == status
        assert audit_count(action="case.denied", object_id=theirs.reference) == before + 2
    db.session.expire_all()
    case_service.open_child_data(people.officer, theirs)
    (still,) = rows(theirs)
    assert (still.id, still.full_name, still.flagged) == (other.id, MOTHER, False)


@pytest.mark.parametrize("body,field", [
    ({"relation": "mother", "full_name": "x" * 201}, "full_name"),
    ({"relation": "mother", "full_name": MOTHER, "birth_year": 1800}, "birth_year"),
    ({"relation": "mother", "full_name": MOTHER, "birth_year": "1980"}, "birth_year"),
    ({"relation": "boss", "full_name": MOTHER}, "relation"),
    ({"relation": "mother", "full_name": MOTHER, "case_id": "x"}, "case_id"),
])
def test_the_api_refuses_bad_bodies(people, make_case, login, body, field):
    case = make_case("support")
    client = login(people.officer)
    response = api_post(client, f"/api/v1/cases/{case.reference}/family", body)
    assert response.status_code == 422
    assert field in response.json["fields"]
    assert rows(case) == []


def test_the_api_without_the_csrf_header_changes_nothing(people, make_case, login):
    case = make_case("support")
    client = login(people.officer)
    response = client.post(f"/api/v1/cases/{case.reference}/family",
                           json={"relation": "mother", "full_name": MOTHER})
    assert response.status_code == 400 and rows(case) == []


def test_the_openapi_document_declares_the_inputs(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/cases/{reference}/family"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/FamilyMemberIn")
    schema = document["components"]["schemas"]["FamilyMemberIn"]
    assert schema["properties"]["full_name"]["maxLength"] == 200
    assert {"relation", "full_name"} <= set(schema["required"])
    assert "get" in document["paths"]["/cases/{reference}/family"]
    assert "post" in document["paths"]["/cases/{reference}/family/household"]


def test_the_guardian_typed_at_intake_is_offered_in_the_add_form(people, make_case, login):
    from tests.cases.conftest import GUARDIAN_CONTACT, GUARDIAN_NAME

    case = make_case("support")
    client = login(people.officer)
    html = client.get(section(case.reference)).get_data(as_text=True)
    assert "data-from-intake" in html
    assert f'value="{GUARDIAN_NAME}"' in html and f'value="{GUARDIAN_CONTACT}"' in html
    assert rows(case) == []  # offered, not added: the officer chooses the relation
    service.add_member(people.officer, case, MUM)
    db.session.commit()
    html = client.get(section(case.reference)).get_data(as_text=True)
    assert "data-from-intake" not in html and f'value="{GUARDIAN_NAME}"' not in html


# --- two people correcting the same record ---------------------------------------------------

def test_a_correction_made_on_an_older_record_conflicts_and_undoes_nothing(
        people, make_case, login):
    """The supervisor flags a person; the officer then saves the correction form
    opened before: it would have cleared the flag. A conflict instead (409), the
    flag kept, and the form shown again with what was typed and the newer
    version (saving again is then a choice made on what is there now)."""
    case = make_case("support")
    member = service.add_member(people.officer, case, MUM)
    db.session.commit()
    officer = login(people.officer)
    page = officer.get(section(case.reference)).get_data(as_text=True)
    prefix = f"m-{member.id}"
    shown = re.search(rf'name="{prefix}-version" type="hidden" value="(\d+)"', page).group(1)
    flagged = dataclasses.replace(MUM, may_be_abuser=True)
    service.update_member(people.officer, case, member.id,
                          flagged, expected_version=int(shown))
    db.session.commit()
    form = {f"{prefix}-csrf_token": token(officer, section(case.reference)),
            f"{prefix}-version": shown,
            **{f"{prefix}-{k}": v for k, v in {"relation": "mother", "full_name": MOTHER,
                                                "contact": "0912 999 999"}.items()}}
    answer = officer.post(f"/cases/{case.reference}/family/{member.id}", data=form)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "0912 999 999" in html  # what was typed is kept
    assert f'name="{prefix}-version" type="hidden" value="{int(shown) + 1}"' in html
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    (still,) = rows(case)
    assert still.flagged and still.contact == MOTHER_PHONE
    assert audit_count(action="case.family_member_changed", object_id=case.reference) == 1


@pytest.mark.parametrize("version", [None, "", "một"])
def test_a_correction_without_the_version_it_was_made_on_conflicts(people, make_case, login,
                                                                   version):
    case = make_case("support")
    member = service.add_member(people.officer, case, MUM)
    db.session.commit()
    officer = login(people.officer)
    prefix = f"m-{member.id}"
    form = {f"{prefix}-csrf_token": token(officer, section(case.reference)),
            f"{prefix}-relation": "father", f"{prefix}-full_name": ABUSER}
    if version is not None:
        form[f"{prefix}-version"] = version
    answer = officer.post(f"/cases/{case.reference}/family/{member.id}", data=form)
    assert answer.status_code == 409
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    (still,) = rows(case)
    assert (still.relation, still.full_name) == ("mother", MOTHER)


def test_the_api_answers_a_stale_correction_409(people, make_case, login):
    case = make_case("support")
    client = login(people.officer)
    base = f"/api/v1/cases/{case.reference}/family"
    member_id = api_post(client, base, {"relation": "mother", "full_name": MOTHER}) \
        .json["family_member"]["id"]
    first = api_post(client, f"{base}/{member_id}", {"relation": "mother", "full_name": MOTHER,
                                                     "may_be_abuser": True, "version": 1})
    assert first.status_code == 200 and first.json["family_member"]["version"] == 2
    stale = api_post(client, f"{base}/{member_id}", {"relation": "mother", "full_name": MOTHER,
                                                     "version": 1})
    assert stale.status_code == 409
    (member,) = client.get(base).json["members"]
    assert member["may_be_abuser"] is True and member["version"] == 2


def test_the_household_saved_meanwhile_is_not_overwritten(people, make_case, login):
    """Two people open the household form; the first saves; the second's save
    (made on "there was none", or on the older version) conflicts."""
    case = make_case("support")
    officer = login(people.officer)
    page = officer.get(section(case.reference)).get_data(as_text=True)
    shown = re.search(r'name="household-version" type="hidden" value="(\d+)"',
                      page).group(1)
    assert shown == "0"
    service.save_household(people.officer, case, HouseholdData(lives_with="Bà ngoại"),
                           expected_version=0)
    db.session.commit()
    answer = officer.post(f"/cases/{case.reference}/family/household", data={
        "household-csrf_token": token(officer, section(case.reference)),
        "household-version": shown, "household-lives_with": "Mẹ"})
    assert answer.status_code == 409
    client_api = api_post(officer, f"/api/v1/cases/{case.reference}/family/household",
                          {"lives_with": "Mẹ", "version": 0})
    assert client_api.status_code == 409
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    assert service.household_of(case).lives_with == "Bà ngoại"


def test_a_person_flagged_meanwhile_is_not_removed_unseen(people, make_case, login):
    """Removing is made on the version shown: a person flagged since (the
    officer's page is older) stays, on the screen (a message) and on the API (409)."""
    case = make_case("support")
    member = service.add_member(people.officer, case, MUM)
    db.session.commit()
    officer = login(people.officer)
    page = officer.get(section(case.reference)).get_data(as_text=True)
    assert f'name="remove-version" value="{member.version_id}"' in page
    service.update_member(people.officer, case, member.id,
                          dataclasses.replace(MUM, may_be_abuser=True),
                          expected_version=member.version_id)
    db.session.commit()
    for version in ("1", "", None):
        remove = {"csrf_token": token(officer, section(case.reference)),
                  "remove-member_id": member.id}
        if version is not None:
            remove["remove-version"] = version
        answer = officer.post(f"/cases/{case.reference}/family/remove", data=remove,
                              follow_redirects=True)
        assert "Một người khác đã lưu hồ sơ này" in answer.get_data(as_text=True)
    stale = api_post(officer, f"/api/v1/cases/{case.reference}/family/{member.id}/remove",
                     {"version": 1})
    assert stale.status_code == 409
    db.session.expire_all()
    case_service.open_child_data(people.officer, case)
    (still,) = rows(case)
    assert still.flagged
    assert audit_count(action="case.family_member_removed", object_id=case.reference) == 0


def test_a_save_that_loses_the_race_names_the_persons_version_now(people, make_case):
    """The version is checked, then another save lands before this one writes
    (simulated by a raw update): a conflict naming the person's version as it is
    now, which the form shown again carries, not the case's."""
    case = make_case("support")
    member = service.add_member(people.officer, case, MUM)
    db.session.commit()
    loaded = member.version_id
    db.session.execute(text("UPDATE case_family_members SET version_id = version_id + 5 "
                            "WHERE id = :id"), {"id": member.id})
    with pytest.raises(CaseConflict) as conflict:
        service.update_member(people.officer, case, member.id, FATHER, expected_version=loaded)
    assert conflict.value.current_version == loaded + 5 != case.version_id


def test_the_audit_log_says_which_family_attempt_was_refused(people, make_case, login):
    """The denial on the other case reads as what was tried, in Vietnamese."""
    mine, theirs = make_case("support"), make_case("support")
    other = service.add_member(people.officer, theirs, MUM)
    db.session.commit()
    officer = login(people.officer)
    api_post(officer, f"/api/v1/cases/{mine.reference}/family/{other.id}/remove",
             {"version": 1})
    page = login(people.admin).get(f"/audit/?reference={theirs.reference}") \
        .get_data(as_text=True)
    assert "sửa hoặc xoá người thân thuộc hồ sơ này từ một hồ sơ khác" in page
