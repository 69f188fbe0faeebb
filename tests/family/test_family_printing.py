"""Mẫu 01 and 03 draw their family fields from the family section's records (the
intake's single guardian field when there are none); the family copy of Mẫu 01
never names nor reaches a person flagged "may be the abuser"."""
from __future__ import annotations

import unicodedata
from html import unescape

from caseapp.extensions import db
from caseapp.family import service
from caseapp.family.service import HouseholdData, MemberData
from tests.cases.conftest import GUARDIAN_NAME

ABUSER = "Trần Văn Khuất"
ABUSER_PHONE = "0909 777 313"
MOTHER = "Lê Thị Mận"
MOTHER_PHONE = "0912 000 424"
GRANDMA = "Phạm Thị Sen"


def page(client, case, form, family=False) -> str:
    url = f"/cases/{case.reference}/print/{form}" + ("?copy=family" if family else "")
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def family_of(people, case, *, father_flagged=True):
    service.add_member(people.officer, case, MemberData(
        relation="father", full_name=ABUSER, birth_year=1980, occupation="Lái xe",
        contact=ABUSER_PHONE, lives_with_child=True, may_be_abuser=father_flagged))
    service.add_member(people.officer, case, MemberData(
        relation="mother", full_name=MOTHER, age=38, occupation="Buôn bán",
        contact=MOTHER_PHONE, lives_with_child=True))
    service.add_member(people.officer, case, MemberData(
        relation="grandparent", full_name=GRANDMA, age=70))
    service.save_household(people.officer, case, HouseholdData("Mẹ và bà ngoại",
                                                               "Hộ nghèo, nhà thuê"))
    db.session.commit()


def test_the_family_copy_leaves_out_the_flagged_person(people, login, make_case):
    # The account of what happened names him too, in forms no search finds (a
    # decomposed spelling, a spaced phone number, a nickname: hostile review):
    # with anyone flagged, the family copy leaves the free texts out whole.
    nickname = "chú Tý"
    decomposed = unicodedata.normalize("NFD", ABUSER)
    case = make_case("support", narrative=f"Em kể {decomposed} ({nickname}, số "
                     f"{' '.join(ABUSER_PHONE)}) nhắn tin đe doạ")
    family_of(people, case)
    client = login(people.officer)
    family = page(client, case, "01", family=True)
    assert MOTHER in family and 'id="family-copy"' in family
    for withheld in (ABUSER, ABUSER_PHONE, ABUSER.upper(), "Lái xe", nickname, decomposed,
                     "nhắn tin đe doạ"):
        assert withheld not in unicodedata.normalize("NFC", family), withheld
        assert withheld not in family, withheld
    assert "[đã lược bỏ]" in family
    # The staff copy keeps him, marked: the police may need him.
    staff = page(client, case, "01")
    assert ABUSER in staff and "KHÔNG LIÊN HỆ" in staff
    # The panel that offers the family copy warns that it must not go to them.
    case_page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    warning = case_page[case_page.index('id="family-copy-do-not-contact"'):]
    assert ABUSER not in warning[:warning.index("</p>")]


def test_without_a_flag_the_family_copy_names_the_father(people, login, make_case):
    case = make_case("support")
    family_of(people, case, father_flagged=False)
    client = login(people.officer)
    family = page(client, case, "01", family=True)
    assert ABUSER in family and MOTHER in family
    assert 'id="family-copy-do-not-contact"' not in client.get(
        f"/cases/{case.reference}").get_data(as_text=True)


def test_form_01_draws_the_family_from_the_records(people, login, make_case):
    case = make_case("support")
    family_of(people, case)
    client = login(people.officer)
    staff = page(client, case, "01")
    father_row = staff[staff.index('data-field="cha"'):]
    assert ABUSER in father_row[:father_row.index("</tr>")]
    mother_row = staff[staff.index('data-field="me"'):]
    assert MOTHER in mother_row[:mother_row.index("</tr>")] and "38" in mother_row[:300]
    assert "Mẹ và bà ngoại" in staff and "Hộ nghèo, nhà thuê" in staff and GRANDMA in staff
    # The people to contact come from the records, not the intake's guardian field.
    assert GUARDIAN_NAME not in staff


def test_form_01_falls_back_to_the_intake_guardian(people, login, make_case):
    case = make_case("support")
    staff = page(login(people.officer), case, "01")
    assert GUARDIAN_NAME in staff


def test_form_03_shows_the_family_and_who_not_to_contact(people, login, make_case):
    case = make_case("support")
    client = login(people.officer)
    before = page(client, case, "03")
    assert 'data-section="gia-dinh"' in before and GUARDIAN_NAME in before
    family_of(people, case)
    after = page(client, case, "03")
    section = after[after.index('data-section="gia-dinh"'):after.index("</section>",
                                                                       after.index("gia-dinh"))]
    assert ABUSER in section and MOTHER in section and GRANDMA in section
    assert "KHÔNG LIÊN HỆ" in section and ABUSER_PHONE not in section
    assert MOTHER_PHONE in section and "Mẹ và bà ngoại" in section
