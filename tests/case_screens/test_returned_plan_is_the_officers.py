"""Finding: a plan the supervisor SENT BACK is the officer's to revise, yet its
late approval deadline is shown to the officer as "waiting for the supervisor"
(row, title, timeline): the owner of the overdue duty is never told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from caseapp import clock
from caseapp.cases import service as cases_service
from caseapp.cases.data import SendBackData
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.case_screens.test_waiting_wording import WAITING, _row, _title
from tests.cases.conftest import needs_data, plan_data


@pytest.fixture
def returned_late_plan(people, make_case):
    case = make_case("assessment")
    cases_service.record_needs_assessment(people.officer, case, needs_data())
    plan = cases_service.draft_plan(people.officer, case, plan_data())
    cases_service.return_plan(people.supervisor, case, plan.id,
                              SendBackData("Thiếu mục tiêu an toàn, sửa lại"))
    db.session.commit()
    late = clock.now() - timedelta(days=2)
    db.session.execute(update(Case).where(Case.id == case.id).values(
        plan_approval_due_at=late, next_deadline_at=late))
    db.session.commit()
    assert not case.latest_plan.is_waiting  # nothing waits on the supervisor now
    return case


def test_officer_row_shows_own_overdue_revision_not_waiting(people, login, returned_late_plan):
    html = login(people.officer).get("/cases").get_data(as_text=True)
    row = _row(html, returned_late_plan.reference)
    assert WAITING not in row, "returned plan shown as waiting on the supervisor"
    assert "Quá hạn" in row and "is-overdue" in row


def test_officer_case_title_shows_own_overdue_revision(people, login, returned_late_plan):
    html = login(people.officer).get(f"/cases/{returned_late_plan.reference}"
                                     ).get_data(as_text=True)
    assert WAITING not in _title(html)
    assert "Quá hạn" in _title(html)
