"""The Decree 56 procedure on the case page: the supervisor decides where they
read, a failed form is announced at the top, a revision starts from the plan
sent back, money is written the Vietnamese way, a restricted case shows no
reading for approval."""
from __future__ import annotations

import re
from html import unescape

from caseapp import clock
from caseapp.cases import service
from caseapp.cases.data import SendBackData
from caseapp.extensions import db
from tests.case_actions import form_page
from tests.cases.conftest import CHILD_NAME, needs_data, plan_data

from .conftest import act


def page_of(client, case) -> str:
    return unescape(client.get(f"/cases/{case.reference}").get_data(as_text=True))


def planned(make_case, people):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    return case


def test_the_supervisor_decides_at_the_end_of_what_they_read(people, login, make_case):
    case = planned(make_case, people)
    html = page_of(login(people.supervisor), case)
    approval = html.split('id="approval"', 1)[1].split("</section>", 1)[0]
    # The plan's rows carry their labels (a phone shows one block per row)...
    assert 'data-label="Dịch vụ, công việc"' in approval and "500.000" in approval
    # ...and the approve and send-back forms are inside the section, not far below it.
    assert 'data-action="approve_plan"' in approval and 'data-action="return_plan"' in approval
    assert html.count('data-action="approve_plan"') == 1
    assert CHILD_NAME not in html


def test_a_failed_form_is_announced_at_the_top(people, login, make_case):
    case = planned(make_case, people)
    response = act(login(people.supervisor), case.reference, "return_plan",
                   case.latest_plan.id, reason="  ")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    # The form's own page comes back (its id the fragment the form posts to):
    # its title, then what was refused, first thing in the form, with the way
    # back to what the decision is about.
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Chưa lưu được gì." in summary and 'href="#return_plan-' in summary
    assert html.index('id="act-return_plan"') < html.index("<h1>") \
        < html.index('class="error-summary"')
    assert f'href="/cases/{case.reference}#approval"' in html
    assert case.latest_plan.is_waiting


def test_a_revision_starts_from_the_plan_sent_back(people, login, make_case):
    case = planned(make_case, people)
    service.return_plan(people.supervisor, case, case.latest_plan.id,
                        SendBackData("Ghi rõ người phụ trách"))
    db.session.commit()
    officer = login(people.officer)
    html = page_of(officer, case)
    form = unescape(form_page(officer, case.reference, "plan"))
    form = form.split('data-action="plan"', 1)[1].split("</form>", 1)[0]
    assert "Bảo đảm an toàn cho em Như" in form  # the goals, as they were
    assert 'value="Tư vấn tâm lý hằng tuần"' in form and 'value="500.000"' in form
    assert "Ghi rõ người phụ trách" in html.split('id="procedure"', 1)[1]


def test_money_is_written_the_vietnamese_way(people, login, make_case):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    officer = login(people.officer)
    refused = act(officer, case.reference, "plan", goals="Mục tiêu",
                  **{"items-0-action": "Tư vấn", "items-0-cost": "1,5 triệu"})
    assert refused.status_code == 422
    assert "ví dụ 1.500.000" in unescape(refused.get_data(as_text=True))
    assert act(officer, case.reference, "plan", goals="Mục tiêu",
               **{"items-0-action": "Tư vấn", "items-0-cost": "1.500.000"}).status_code == 302
    db.session.refresh(case)
    assert case.latest_plan.items[0]["cost"] == 1_500_000


def test_a_restricted_case_shows_no_reading_for_approval(people, login, make_case):
    case = planned(make_case, people)
    case.restricted_at = clock.now()
    db.session.commit()
    html = page_of(login(people.supervisor), case)
    assert 'id="approval"' not in html and 'data-action="approve_plan"' not in html
    assert "Bảo đảm an toàn cho em Như" not in html


def test_the_procedure_box_shows_each_step(people, login, make_case):
    case = make_case("support")
    html = page_of(login(people.supervisor), case)
    steps = dict(re.findall(r'data-step="(\w+)" data-state="(\w+)"', html))
    assert steps == {"intake": "done", "emergency": "not_applicable", "assessment": "done",
                     "needs": "done", "plan": "done", "decision": "missing",
                     "support": "active", "closure": "later"}


def test_only_the_forms_the_case_can_take_now_are_offered(people, login, make_case):
    """The plan's form once the needs assessment (form 03) is on file, not before;
    "reopen" on a closed case only (it shares its target with the assessment)."""
    officer = login(people.officer)
    fresh = make_case("intake", assigned=True)
    page = officer.get(f"/cases/{fresh.reference}").get_data(as_text=True)
    assert 'data-action-link="assess"' in page and 'data-action-link="reopen"' not in page
    assert 'id="act-assess"' in form_page(officer, fresh.reference, "assess")
    assert officer.get(f"/cases/{fresh.reference}/actions/reopen").status_code == 403

    case = make_case("assessment")
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'data-action-link="needs"' in page and 'data-action-link="plan"' not in page
    # Opened before the meeting (a bookmark, the browser's history), the plan's
    # page sends its drafter to the needs assessment, saying why: no refusal.
    early = officer.get(f"/cases/{case.reference}/actions/plan")
    assert early.status_code == 302
    assert early.headers["Location"].endswith(f"/cases/{case.reference}/actions/needs")
    needs_page = officer.get(early.headers["Location"]).get_data(as_text=True)
    assert "Ghi nhận đánh giá nhu cầu cùng cuộc họp trước" in needs_page
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'data-action-link="plan"' in page
    assert 'id="act-plan"' in form_page(officer, case.reference, "plan")

    closed = make_case("closure", via="referral")
    supervisor = login(people.supervisor)
    page = supervisor.get(f"/cases/{closed.reference}").get_data(as_text=True)
    assert 'data-action-link="reopen"' in page
    assert 'id="act-reopen"' in form_page(supervisor, closed.reference, "reopen")
