"""A needs assessment recorded without its meeting: the case page says the plan
waits for the meeting (not only the refusal when drafting), and the needs form
opens with what was written, to add the meeting to it (UX walk)."""
from __future__ import annotations

import html as markup
import re

from caseapp.cases import service
from caseapp.extensions import db
from tests.case_actions import form_page
from tests.cases.conftest import needs_data

MEETING_FIRST = "Trước hết hãy ghi cuộc họp đánh giá nhu cầu"


def field(page: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="needs-{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return markup.unescape(found.group(1)).strip() if found else ""


def test_the_plan_step_says_the_meeting_comes_first_and_the_form_keeps_the_text(
        people, make_case, login):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data(
        meeting_date=None, meeting_chair="", meeting_participants=""))
    db.session.commit()
    client = login(people.officer)
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert MEETING_FIRST in page
    needs = form_page(client, case.reference, "needs")
    assert field(needs, "condition") == "Em lo lắng, mất ngủ"
    assert field(needs, "notes") == "Cần hỗ trợ tâm lý"
    assert field(needs, "meeting_participants") == ""

    # With the meeting recorded the note is gone and the form opens with it.
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    assert MEETING_FIRST not in client.get(f"/cases/{case.reference}").get_data(as_text=True)
    needs = form_page(client, case.reference, "needs")
    assert field(needs, "meeting_participants") == "Cán bộ phụ trách, mẹ của em"
    day = re.search(r'<input[^>]*name="needs-meeting_date"[^>]*>', needs).group(0)
    assert re.search(r'value="\d\d/\d\d/\d{4}"', day), day


def test_someone_who_may_not_read_the_child_gets_no_text_in_the_form(
        people, make_case, login):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    # The supervisor sees the case's steps but does not record the needs assessment.
    response = login(people.supervisor).get(f"/cases/{case.reference}/actions/needs")
    assert response.status_code in (403, 404)
    assert "Em lo lắng" not in response.get_data(as_text=True)
