"""Leak checks of the family records: never in a URL, an audit entry, a page or
answer of someone who does not see the child, nor on a restricted case."""
from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

import audit
from caseapp.extensions import db
from caseapp.family import service
from caseapp.family.service import HouseholdData, MemberData
from tests.care.test_data_rights import restrict
from tests.case_actions import section_links, section_page

NAME = "Đỗ Hữu Quyết"
PHONE = "0977 314 159"
HOUSEHOLD = "Ở nhờ nhà chú ruột tại xóm Đình"
SECRETS = (NAME, PHONE, HOUSEHOLD)


def recorded(people, make_case):
    case = make_case("support")
    service.add_member(people.officer, case, MemberData(
        relation="step_parent", full_name=NAME, contact=PHONE, may_be_abuser=True))
    service.save_household(people.officer, case, HouseholdData(HOUSEHOLD, ""))
    db.session.commit()
    return case


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, where)


def test_no_family_data_in_urls_or_the_audit_log(people, login, make_case):
    case = recorded(people, make_case)
    officer = login(people.officer)
    pages = [officer.get(f"/cases/{case.reference}").get_data(as_text=True)]
    family = section_page(officer, case.reference, "family")
    assert NAME in family  # positive control: the officer sees them
    pages.append(family)
    for html in pages:
        for url in re.findall(r'(?:href|action)="([^"]*)"', html):
            assert_clean(unescape(url), url)
    officer.get(f"/api/v1/cases/{case.reference}/family")
    entries = db.session.execute(select(audit.audit_entries)).all()
    assert_clean("\n".join(repr(tuple(r)) for r in entries), "audit")


def test_the_supervisor_sees_neither_the_line_nor_the_names(people, login, make_case):
    case = recorded(people, make_case)
    supervisor = login(people.supervisor)
    page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "family" not in section_links(page)
    assert_clean(page, "case page")
    for url in (f"/cases/{case.reference}/sections/family",
                f"/api/v1/cases/{case.reference}/family", f"/api/v1/cases/{case.reference}",
                "/api/v1/cases", "/supervision"):
        response = supervisor.get(url)
        assert_clean(response.get_data(as_text=True), url)


def test_a_restricted_case_shows_no_family(people, login, make_case):
    case = recorded(people, make_case)
    officer = login(people.officer)
    restrict(people, case)
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "family" not in section_links(page)
    for url in (f"/cases/{case.reference}/sections/family",
                f"/api/v1/cases/{case.reference}/family"):
        response = officer.get(url)
        assert response.status_code == 403
        assert_clean(response.get_data(as_text=True), url)


def test_break_glass_reads_the_family_on_the_page_but_takes_no_copy(people, make_case, login):
    """Break-glass is read-only on screen: the API's JSON is a copy (hostile review:
    it handed out the flagged father's name and phone)."""
    from caseapp.break_glass import service as glass
    from caseapp.family import service as family

    case = make_case("support", lead=people.officer)
    family.add_member(people.officer, case, family.MemberData(
        relation="father", full_name="Trần Văn Bố", contact="0987000111", may_be_abuser=True))
    db.session.commit()
    glass.break_glass(people.province_supervisor, case,
                      "Khẩn cấp: trẻ mất tích tối nay, cần liên hệ gia đình")
    db.session.commit()
    supervisor = login(people.province_supervisor)
    answer = supervisor.get(f"/api/v1/cases/{case.reference}/family")
    assert answer.status_code == 403
    assert "0987000111" not in answer.get_data(as_text=True)
    assert "Trần Văn Bố" not in answer.get_data(as_text=True)
    officer = login(people.officer).get(f"/api/v1/cases/{case.reference}/family")
    assert officer.status_code == 200 and "0987000111" in officer.get_data(as_text=True)
