"""The features' panels on their own pages (GET /cases/<reference>/sections/<section>).

The case page shows one line per heavy panel (a count or a state) linking to
its section page; the section page loads the case as the case page does (404,
audited, outside the user's scope), refuses a section the case page does not
show this person (403, audited), and a feature's form lands back on it.
"""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

import audit
from caseapp.consent.models import SharingConsent
from caseapp.data_rights.models import DataRequest
from caseapp.extensions import db
from tests.care.test_break_glass import REASON
from tests.care.test_data_rights import restrict
from tests.case_actions import section_links, section_page
from tests.case_screens.conftest import token
from tests.cases.conftest import CHILD_NAME, SECRETS, audit_rows

SECTIONS = ("evidence", "consent", "data-rights", "who-viewed", "family", "followups")


def denials(reference: str) -> list[str]:
    import json

    return [json.loads(r.details).get("action") for r in
            audit_rows(action="case.denied", object_id=reference)]


def consents(case):
    return db.session.scalars(select(SharingConsent)
                              .where(SharingConsent.case_id == case.id)).all()


def data_requests(case):
    return db.session.scalars(select(DataRequest).where(DataRequest.case_id == case.id)).all()


def all_audit_text() -> str:
    rows = db.session.execute(select(audit.audit_entries)).all()
    return "\n".join(repr(tuple(r)) for r in rows)


def test_the_case_page_links_each_heavy_panel_as_one_line(people, login, make_case):
    case = make_case("support", harm_categories=("cyberbullying",))
    officer = login(people.officer)
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    links = section_links(page)
    assert set(SECTIONS) <= set(links)
    for section, href in links.items():
        assert href == f"/cases/{case.reference}/sections/{section}"
    # The panels themselves, and their forms, are on their pages only.
    for marker in ('data-action="evidence_upload"', 'data-action="sharing_consent"',
                   'data-action="data_request"', 'id="who-viewed"'):
        assert marker not in page, marker
    assert "Chứng cứ: 0 tệp" in page and "Đồng ý chia sẻ thông tin: 0 cơ quan" in page
    for section, marker in (("evidence", 'data-action="evidence_upload"'),
                            ("consent", 'data-action="sharing_consent"'),
                            ("data-rights", 'data-action="data_request"'),
                            ("who-viewed", 'id="who-viewed"')):
        html = section_page(officer, case.reference, section)
        assert marker in html and 'id="back-to-case"' in html
        assert f'href="/cases/{case.reference}#section-{section}"' in html


def test_a_form_lands_back_on_its_section_page(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    html = section_page(officer, case.reference, "consent")
    response = officer.post(f"/cases/{case.reference}/sharing-consents", data={
        "csrf_token": token(officer, f"/cases/{case.reference}/sections/consent"),
        "consent-agency": "cybercrime_police", "consent-basis": "consent",
        "consent-child": "y", "consent-guardian": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/cases/{case.reference}/sections/consent")
    assert len(consents(case)) == 1
    # Refused (no agency): the section's page again, 422, with the form's errors.
    refused = officer.post(f"/cases/{case.reference}/sharing-consents", data={
        "csrf_token": token(officer, f"/cases/{case.reference}/sections/consent"),
        "consent-agency": "", "consent-basis": "consent"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'class="section-page" data-section="consent"' in html and 'id="form-failed"' in html
    assert 'id="next"' not in html and len(consents(case)) == 1
    # The case page's line counts it.
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Đồng ý chia sẻ thông tin: 1 cơ quan" in page


def test_an_open_data_request_is_a_next_step_linking_to_its_form(people, login, make_case):
    case = make_case("support")
    officer, supervisor = login(people.officer), login(people.supervisor)
    assert officer.post(f"/cases/{case.reference}/data-requests", data={
        "data_request-csrf_token": token(officer, f"/cases/{case.reference}"),
        "data_request-kind": "access", "data_request-requested_by": "guardian",
        "data_request-received_at": "", "data_request-details": ""}).status_code == 302
    (row,) = data_requests(case)
    page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    href = f"/cases/{case.reference}/sections/data-rights#answer-{row.id}"
    assert f'href="{href}"' in page.split('id="next"', 1)[1]
    html = supervisor.get(href).get_data(as_text=True)
    assert f'id="answer-{row.id}"' in html and 'data-action="answer_data_request"' in html


@pytest.mark.parametrize("who", ["other_officer", "other_supervisor", "admin"])
def test_outside_the_unit_a_section_is_404_and_audited(people, login, make_case, who):
    case = make_case("support")
    client = login(getattr(people, who))
    for section in SECTIONS:
        response = client.get(f"/cases/{case.reference}/sections/{section}")
        assert response.status_code == 404
        assert CHILD_NAME not in response.get_data(as_text=True)
    assert {f"web:section_{s}" for s in SECTIONS} <= set(denials(case.reference))


def test_a_section_not_shown_to_this_role_is_403_and_audited(people, login, make_case):
    """The break-glass uses (with their sealed reasons) are shown only beside the
    child's data: a supervisor who sees the metadata only is refused their page."""
    from caseapp.break_glass import service as glass

    case = make_case("support")
    glass.break_glass(people.province_supervisor, case, REASON)
    db.session.commit()
    officer = login(people.officer)
    assert "break-glass" in section_links(
        officer.get(f"/cases/{case.reference}").get_data(as_text=True))
    assert REASON in section_page(officer, case.reference, "break-glass")
    supervisor = login(people.supervisor)
    page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "break-glass" not in section_links(page)
    response = supervisor.get(f"/cases/{case.reference}/sections/break-glass")
    assert response.status_code == 403 and REASON not in response.get_data(as_text=True)
    assert "web:section_break-glass" in denials(case.reference)


def test_unknown_section_is_404_and_its_name_never_logged(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    for segment in ("Pham-Thi-Quynh-Nhu", "printing", "notes", "EVIDENCE"):
        assert officer.get(f"/cases/{case.reference}/sections/{segment}").status_code == 404
    assert "Pham-Thi-Quynh-Nhu" not in all_audit_text()


def test_restricted_case_sections_show_no_child_data(people, login, make_case):
    case = make_case("support", harm_categories=("cyberbullying",))
    officer = login(people.officer)
    # A file and a consent with a note, while the officer still sees the child.
    section_page(officer, case.reference, "evidence")
    assert officer.post(f"/cases/{case.reference}/sharing-consents", data={
        "csrf_token": token(officer, f"/cases/{case.reference}"),
        "consent-agency": "cybercrime_police", "consent-basis": "consent",
        "consent-child": "y", "consent-guardian": "y",
        "consent-note": f"Mẹ của {CHILD_NAME} đồng ý"}).status_code == 302
    def officer_views():
        return len(audit_rows(action="case.view", object_id=case.reference,
                              actor_id=people.officer.id))

    restrict(people, case)
    before = officer_views()
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'id="restricted-banner"' in page and CHILD_NAME not in page
    for section in ("evidence", "consent", "data-rights", "who-viewed"):
        html = section_page(officer, case.reference, section)
        assert CHILD_NAME not in html, section
        assert 'data-action="evidence_upload"' not in html
    # No view of the child was recorded for the officer by these pages.
    assert officer_views() == before


def test_forged_posts_without_the_csrf_token_change_nothing(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    section_page(officer, case.reference, "consent")
    base = f"/cases/{case.reference}"
    assert officer.post(f"{base}/sharing-consents", data={
        "consent-agency": "cybercrime_police", "consent-basis": "consent",
        "consent-child": "y", "consent-guardian": "y"}).status_code == 400
    assert officer.post(f"{base}/data-requests", data={
        "data_request-kind": "delete", "data_request-requested_by": "guardian"}
    ).status_code == 400
    assert officer.post(f"{base}/evidence/custody", data={
        "custody-location": "Công an giữ", "custody-version": str(case.version_id)}
    ).status_code == 400
    assert consents(case) == [] and data_requests(case) == []


def test_no_child_data_in_any_section_url(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    pages = [officer.get(f"/cases/{case.reference}").get_data(as_text=True)]
    assert CHILD_NAME in pages[0]  # the officer sees the child: the URLs could hold it
    pages += [section_page(officer, case.reference, s) for s in section_links(pages[0])]
    urls = [unescape(u) for html in pages
            for u in re.findall(r'(?:href|action)="([^"]*)"', html)]
    assert any("/sections/" in u for u in urls)
    for url in urls:
        for secret in SECRETS:
            assert secret not in url, (secret, url)
