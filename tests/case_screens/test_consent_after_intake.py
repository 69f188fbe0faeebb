"""Consent asked after the intake (UX walk: once recorded, it could not be
updated): the people on the case record it on its own page; the states on file
change, the note is sealed, the audit names codes only; anyone else is refused
and changes nothing."""
from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import text

from caseapp.cases.data import ConsentData
from caseapp.cases.guards import LONG_TEXT
from caseapp.extensions import db
from tests.case_actions import form_page
from tests.cases.conftest import audit_rows

from .conftest import act

NOTE = "Đã gọi cho mẹ em ngày 3/12, mẹ đồng ý"


def states(case):
    db.session.expire_all()
    row = db.session.execute(text(
        "SELECT child_consent, guardian_consent, legal_ground, consent_recorded_by_id "
        "FROM cases WHERE id = :i"), {"i": case.id}).one()
    return tuple(row)


def not_asked_case(make_case, **overrides):
    return make_case("assessment", consent=ConsentData(child="not_asked", guardian="not_asked"),
                     **overrides)


def test_the_officer_records_the_guardians_consent_later(people, make_case, login):
    case = not_asked_case(make_case)
    assert states(case)[:3] == ("not_asked", "not_asked", "receive_report")
    client = login(people.officer)
    page = form_page(client, case.reference, "consent")
    assert 'name="consent-consent_guardian"' in page
    guardian = re.search(r'<select[^>]*name="consent-consent_guardian".*?</select>', page, re.S)
    assert re.search(r'<option[^>]*selected[^>]*value="not_asked"|'
                     r'<option[^>]*value="not_asked"[^>]*selected', guardian.group(0))
    response = act(client, case.reference, "consent", consent_child="given",
                   consent_guardian="given", legal_ground="", consent_note=NOTE, follow=True)
    assert response.status_code == 200
    assert "Đã cập nhật sự đồng ý." in response.get_data(as_text=True)
    assert states(case) == ("given", "given", None, people.officer.id)
    entry = audit_rows(action="case.consent")[-1]
    details = json.loads(entry.details)
    assert details["guardian"] == "given" and details["guardian_before"] == "not_asked"
    assert NOTE not in entry.details and "mẹ" not in entry.details
    # the note is sealed under the case's key, never in clear in the row
    raw = db.session.execute(text("SELECT * FROM cases WHERE id = :i"), {"i": case.id}).one()
    assert not any(isinstance(v, str) and "Đã gọi" in v for v in raw)
    shown = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert NOTE in shown


def test_a_child_under_seven_is_too_young_whatever_is_posted(people, make_case, login):
    young = date.today().replace(year=date.today().year - 5)
    case = make_case("assessment", child={"date_of_birth": young},
                     consent=ConsentData(child="not_asked", guardian="not_asked"))
    client = login(people.officer)
    act(client, case.reference, "consent", consent_child="refused", consent_guardian="given")
    assert states(case)[:3] == ("too_young", "given", None)


def test_bad_input_says_why_in_vietnamese_and_changes_nothing(people, make_case, login):
    case = not_asked_case(make_case)
    before = states(case)
    client = login(people.officer)
    response = act(client, case.reference, "consent", consent_child="maybe",
                   consent_guardian="given")
    assert response.status_code == 422
    assert "Not a valid choice" not in response.get_data(as_text=True)
    assert states(case) == before
    response = act(client, case.reference, "consent", consent_child="given",
                   consent_guardian="given", consent_note="x" * (LONG_TEXT + 1))
    assert response.status_code == 422 and states(case) == before


def test_others_are_refused_and_change_nothing(people, make_case, login):
    case = not_asked_case(make_case)
    before = states(case)
    for who, expected in ((people.other_officer, 404), (people.other_supervisor, 404),
                          (people.supervisor, 403)):
        response = act(login(who), case.reference, "consent", consent_child="given",
                       consent_guardian="given")
        assert response.status_code == expected, who
        assert states(case) == before
    # a forged POST without the form's token
    client = login(people.officer)
    response = client.post(f"/cases/{case.reference}/consent",
                           data={"consent-consent_child": "given",
                                 "consent-consent_guardian": "given"})
    assert response.status_code == 400 and states(case) == before
    closed = make_case("closure", consent=ConsentData(child="not_asked", guardian="not_asked"))
    assert act(client, closed.reference, "consent", consent_child="given",
               consent_guardian="given").status_code == 403
    assert states(closed)[:2] == ("not_asked", "not_asked")
