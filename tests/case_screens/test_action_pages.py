"""Each action of the case page has its own page (GET /cases/<ref>/actions/<action>):
the case page links to the actions this person may take at this stage and
holds no other form than the note's; an action's page refuses (403, or 404
outside the person's scope) whoever has no link to it, audited like the
POST; a POST without the form's token is refused, nothing saved."""
from __future__ import annotations

import json
import re

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.case_actions import action_links, form_page
from tests.cases.conftest import CHILD_NAME, audit_count, audit_rows

from .conftest import act, token


def denials(reference: str) -> list[str]:
    """The actions of the refusals audited on ``reference``, oldest first."""
    rows = audit_rows(action="case.denied", object_id=reference)
    return [(json.loads(r.details) if isinstance(r.details, str) else r.details).get("action")
            for r in rows]


def test_the_case_page_links_to_each_action_and_holds_only_the_notes_form(
        people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', page.split('id="actions"', 1)[1]
                      .split('class="case-panels"', 1)[0]) == ["note"]
    links = action_links(page)
    assert {"plan", "support_action", "refer", "request_closure", "consent",
            "harm_categories", "decision"} <= set(links)
    # people around the child are added in the family section, with its flag
    assert "person" not in links
    for name, hrefs in links.items():
        assert hrefs == [f"/cases/{case.reference}/actions/{name}"]
    # The action's page: the case's reference and stage, the form, the way back; no child data.
    html = form_page(officer, case.reference, "support_action")
    assert f'<a href="/cases/{case.reference}#actions">{case.reference}</a>' in html
    assert 'id="back-to-case"' in html and CHILD_NAME not in html


def test_an_action_page_refuses_a_person_without_the_link(people, login, make_case):
    case = make_case("support", assignees=[people.officer2])
    reference = case.reference
    # Wrong role: a supervisor writes no note, an assignee drafts no plan.
    supervisor, assignee = login(people.supervisor), login(people.officer2)
    assert 'data-action-link="note"' not in supervisor.get(f"/cases/{reference}").get_data(
        as_text=True)
    assert supervisor.get(f"/cases/{reference}/actions/note").status_code == 403
    assert assignee.get(f"/cases/{reference}/actions/plan").status_code == 403
    assert denials(reference)[-2:] == ["web:note", "web:plan"]
    # Wrong unit: the case is not there for them (404), audited too.
    outsider = login(people.other_officer)
    answer = outsider.get(f"/cases/{reference}/actions/note")
    assert answer.status_code == 404 and CHILD_NAME not in answer.get_data(as_text=True)
    assert denials(reference)[-1] == "web:note"
    # An action that does not exist, or a plan the case does not have.
    officer = login(people.officer)
    assert officer.get(f"/cases/{reference}/actions/drop_table").status_code == 404
    assert officer.get(f"/cases/{reference}/actions/approve_plan").status_code == 404
    # No plan waits for approval here: nothing to approve, refused.
    assert supervisor.get(f"/cases/{reference}/actions/approve_plan/nope").status_code == 403


def test_a_closed_case_offers_reopening_only(people, login, make_case):
    case = make_case("closure", via="referral")
    officer, supervisor = login(people.officer), login(people.supervisor)
    before = audit_count(action="case.denied", object_id=case.reference)
    refused = officer.get(f"/cases/{case.reference}/actions/note")
    assert refused.status_code == 403 and "đã đóng" in refused.get_data(as_text=True)
    assert officer.get(f"/cases/{case.reference}/actions/support_action").status_code == 403
    assert audit_count(action="case.denied", object_id=case.reference) == before + 2
    page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "reopen" in action_links(page) and "note" not in action_links(page)
    assert supervisor.get(f"/cases/{case.reference}/actions/reopen").status_code == 200


def test_a_post_without_the_forms_token_is_refused(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    version = case.version_id
    answer = officer.post(f"/cases/{case.reference}/support_action", data={
        "support_action-kind": "counselling", "support_action-description": "Giả mạo"})
    assert answer.status_code == 400
    answer = officer.post(f"/cases/{case.reference}/plan", data={
        "plan-csrf_token": "forged", "plan-goals": "Giả mạo", "plan-items-0-action": "x"})
    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case.id).version_id == version
    assert db.session.get(Case, case.id).latest_plan.goals != "Giả mạo"


def test_a_refused_submit_comes_back_on_the_actions_page_with_what_was_typed(
        people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    answer = act(officer, case.reference, "support_action", kind="counselling",
                 description="")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="act-support_action"' in html and 'id="next"' not in html
    assert 'value="counselling" selected' in html or 'selected value="counselling"' in html \
        or re.search(r'<option[^>]*selected[^>]*value="counselling"|<option[^>]*value="counsel'
                     r'ling"[^>]*selected', html)
    # Saved: back to the case page, with the message.
    saved = act(officer, case.reference, "support_action", kind="counselling",
                description="Gặp em tại trường")
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        f"/cases/{case.reference}#top")


def test_the_plans_page_reads_the_childs_plan_as_an_audited_view(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    views = audit_count(action="case.view", object_id=case.reference)
    html = officer.get(f"/cases/{case.reference}/actions/plan").get_data(as_text=True)
    assert case.latest_plan.goals in html  # a revision starts from the newest plan
    assert audit_count(action="case.view", object_id=case.reference) == views + 1
    assert token(officer, f"/cases/{case.reference}/actions/plan")


def test_a_restricted_case_offers_no_case_work(people, login, make_case):
    """While the child's data is restricted, the people on the case change nothing:
    no link, the page refuses, a POST with the form's token too."""
    case = make_case("support")
    officer = login(people.officer)
    page_before = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "support_action" in action_links(page_before)
    case.restricted_at = clock.now()
    db.session.commit()
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "support_action" not in action_links(page) and 'data-action="note"' not in page
    assert officer.get(f"/cases/{case.reference}/actions/support_action").status_code == 403
    # nothing else of case work either (hostile review: the needs form and the
    # closure request were still offered, then refused)
    assert not {"needs", "request_closure", "consent", "note"} & set(action_links(page))
    assert officer.get(f"/cases/{case.reference}/actions/needs").status_code == 403
    answer = act(officer, case.reference, "support_action", kind="counselling",
                 description="Trong lúc hạn chế")
    assert answer.status_code == 403
