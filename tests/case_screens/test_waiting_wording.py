"""What a case waits on is not the viewer's overdue: a plan late on the
supervisor's side reads "Chờ giám sát viên phê duyệt" in the officer's list row,
in the case's title and in its timeline (the supervisor still sees it overdue);
the case page's labels are the same words as the lists'; the action list leads
back to the top; the assignment cell does not say "Phân công" twice."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from caseapp import clock
from caseapp.cases import service as cases_service
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.cases.conftest import needs_data, plan_data

WAITING = "Chờ giám sát viên phê duyệt"


@pytest.fixture
def late_approval(people, make_case):
    case = make_case("assessment")
    cases_service.record_needs_assessment(people.officer, case, needs_data())
    cases_service.draft_plan(people.officer, case, plan_data())
    late = clock.now() - timedelta(days=2)
    db.session.execute(update(Case).where(Case.id == case.id).values(
        plan_approval_due_at=late, next_deadline_at=late))
    db.session.commit()
    return case


def _row(html: str, reference: str) -> str:
    start = html.rindex("<tr", 0, html.index(f">{reference}</a>"))
    return html[start:html.index("</tr>", start)]


def _title(html: str) -> str:
    return html[html.index('class="titlebar case-title'):html.index("</div>",
                                                                     html.index("titlebar"))]


def test_the_officers_row_waits_on_the_supervisor(people, login, late_approval):
    html = login(people.officer).get("/cases").get_data(as_text=True)
    row = _row(html, late_approval.reference)
    assert WAITING in row and "Quá hạn" not in row and "is-overdue" not in row
    # The supervisor: it is theirs, and late.
    supervisor = login(people.supervisor)
    for path in ("/cases", "/supervision/overdue"):
        row = _row(supervisor.get(path).get_data(as_text=True), late_approval.reference)
        assert "Quá hạn" in row and WAITING not in row and "is-overdue" in row


def test_the_case_page_reads_the_late_approval_as_waiting(people, login, late_approval):
    officer = login(people.officer)
    html = officer.get(f"/cases/{late_approval.reference}").get_data(as_text=True)
    assert WAITING in _title(html) and "Quá hạn" not in _title(html)
    deadline = re.search(r'<li class="event event-deadline[^"]*">.*?</li>', html, re.S).group(0)
    assert WAITING in deadline and "Quá hạn" not in deadline and "is-overdue" not in deadline
    action = officer.get(f"/cases/{late_approval.reference}/actions/note")
    assert action.status_code == 200
    title = _title(action.get_data(as_text=True))
    assert WAITING in title and "Quá hạn" not in title
    supervisor = login(people.supervisor).get(f"/cases/{late_approval.reference}"
                                              ).get_data(as_text=True)
    assert "Quá hạn" in _title(supervisor) and WAITING not in _title(supervisor)


def test_an_officers_own_late_step_is_still_overdue(people, login, late_approval):
    earlier = clock.now() - timedelta(days=3)
    db.session.execute(update(Case).where(Case.id == late_approval.id).values(
        emergency_due_at=earlier, emergency_done_at=None, next_deadline_at=earlier))
    db.session.commit()
    html = login(people.officer).get("/cases").get_data(as_text=True)
    row = _row(html, late_approval.reference)
    assert "Quá hạn" in row and WAITING not in row and "is-overdue" in row


def test_the_case_page_wording(people, login, make_case):
    case = make_case("support")
    db.session.execute(update(Case).where(Case.id == case.id).values(immediate_danger=True))
    db.session.commit()
    officer = login(people.officer)
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    listed = officer.get("/cases").get_data(as_text=True)
    # The same words for the same things, on the case and in the list.
    for words in ("Nguy hiểm tức thời", "Mức độ nguy cơ"):
        assert words in page and words in listed
    assert ">Nguy hiểm<" not in listed and ">Nguy cơ<" not in listed
    # The action list leads back to the top of a long page.
    actions = page[page.index('id="act-links"'):]
    actions = actions[:actions.index("</section>")]
    assert '<a href="#top">↑ Về mục lục</a>' in actions and 'id="top"' in page


def test_the_assignment_cell_says_assign_once(people, login, make_case):
    make_case("intake")
    html = login(people.supervisor).get("/supervision/unassigned").get_data(as_text=True)
    cell = html[html.index('class="assign-cell"'):]
    cell = cell[:cell.index("</td>")]
    assert html.count('data-label="Phân công"') == 0
    assert cell.count(">Phân công<") == 1
