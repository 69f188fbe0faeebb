"""The support plan (form 04) takes as many activities as the plan has: "add a
row" posts the form back with one more empty row and what was typed, saving
nothing; empty rows are left out; a revision starts from every activity of the
version before."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from caseapp.cases import service
from caseapp.cases.models import SupportPlan
from caseapp.extensions import db
from tests.case_actions import form_page
from tests.cases.conftest import needs_data

from .conftest import act

FIVE = ["Tư vấn tâm lý hằng tuần", "Gỡ tài khoản giả mạo", "Thăm gia đình",
        "Hỗ trợ học tập", "Tập huấn an toàn trên mạng"]


def ready_for_plan(people, make_case):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    return case


def rows_on(html: str) -> list[str]:
    """The values of the plan form's "Service or task" inputs, in order."""
    form = html.split('data-action="plan"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<input[^>]*id="plan-items-\d+-action"[^>]*value="([^"]*)"', form)


def plans(case) -> int:
    return db.session.scalar(select(func.count()).select_from(SupportPlan)
                             .where(SupportPlan.case_id == case.id))


def test_a_plan_of_five_activities_is_saved_whole(people, make_case, login):
    case = ready_for_plan(people, make_case)
    officer = login(people.officer)
    fields = {"goals": "Em an toàn, đi học lại", "follow_up_at": ""}
    for i, action in enumerate(FIVE):
        fields[f"items-{i}-action"] = action
        fields[f"items-{i}-who"] = "cb.minh"
        fields[f"items-{i}-cost"] = f"{i + 1}00.000"
    fields["items-5-action"] = ""  # an empty row, left out
    fields["items-6-who"] = ""
    response = act(officer, case.reference, "plan", **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(case)
    items = case.latest_plan.items
    assert [item["action"] for item in items] == FIVE
    assert [item["cost"] for item in items] == [100_000, 200_000, 300_000, 400_000, 500_000]

    # The revision starts from all five, with one empty row for a sixth.
    page = form_page(officer, case.reference, "plan")
    assert rows_on(page) == [*FIVE, ""]


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(people, make_case, login):
    case = ready_for_plan(people, make_case)
    officer = login(people.officer)
    page = form_page(officer, case.reference, "plan")
    assert rows_on(page) == ["", "", ""]  # a first plan starts with three empty rows
    add = re.search(r'<button type="submit" name="plan-add_row" value="1" class="add-row" '
                    r'formaction="([^"]+)" formnovalidate>([^<]+)</button>', page)
    assert add and add.group(2) == "Thêm một dòng"
    # It opens the page at the new row.
    assert add.group(1).endswith(f"/cases/{case.reference}/plan#plan-items-3-row")

    typed = {"goals": "Em an toàn", "add_row": "1"}
    for i, action in enumerate(FIVE[:3]):
        typed[f"items-{i}-action"] = action
    response = act(officer, case.reference, "plan", **typed)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert rows_on(html) == [*FIVE[:3], ""]
    assert 'id="plan-items-3-row"' in html and "Em an toàn" in html
    assert 'aria-invalid="true"' not in html and 'id="form-failed"' not in html
    assert 'class="error-summary"' not in html  # nothing refused: no summary on the form
    assert plans(case) == 0

    # Twice more, then save the five.
    typed.update({"items-3-action": FIVE[3]})
    html = act(officer, case.reference, "plan", **typed).get_data(as_text=True)
    assert rows_on(html) == [*FIVE[:4], ""]
    typed.pop("add_row")
    typed["items-4-action"] = FIVE[4]
    assert act(officer, case.reference, "plan", **typed).status_code == 302
    db.session.refresh(case)
    assert [item["action"] for item in case.latest_plan.items] == FIVE


def test_add_a_row_needs_the_forms_token(people, make_case, login):
    case = ready_for_plan(people, make_case)
    officer = login(people.officer)
    response = officer.post(f"/cases/{case.reference}/plan",
                            data={"plan-add_row": "1", "plan-goals": "x"})
    assert response.status_code == 400


def test_a_row_with_no_activity_is_not_dropped_unseen(people, make_case, login):
    case = ready_for_plan(people, make_case)
    officer = login(people.officer)
    response = act(officer, case.reference, "plan", **{
        "goals": "Em an toàn", "items-0-action": "Tư vấn tâm lý", "items-1-who": "Mẹ của em",
        "items-1-cost": "200.000"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="plan-items-1-action-error"' in html
    assert "Hoạt động 2 · Dịch vụ, công việc: " in html  # named in the summary
    assert 'value="Mẹ của em"' in html and plans(case) == 0


def test_no_activity_at_all_is_said_beside_the_first_row(people, make_case, login):
    case = ready_for_plan(people, make_case)
    officer = login(people.officer)
    html = act(officer, case.reference, "plan", goals="Em an toàn").get_data(as_text=True)
    error = html.split('id="plan-items-0-action-error">', 1)[1].split("</div>", 1)[0]
    assert "Thêm ít nhất một hoạt động vào kế hoạch." in error


def test_add_a_row_only_for_whom_the_form_is_offered(people, make_case, login):
    """A supervisor of the case sees it but does not draft its plan: refused, nothing shown."""
    from .conftest import token

    case = ready_for_plan(people, make_case)
    supervisor = login(people.supervisor)
    response = supervisor.post(f"/cases/{case.reference}/plan", data={
        "plan-csrf_token": token(supervisor, f"/cases/{case.reference}"),
        "plan-add_row": "1", "plan-goals": "x"})
    assert response.status_code == 403
    assert 'data-action="plan"' not in response.get_data(as_text=True)
    assert plans(case) == 0


def test_a_plan_posted_with_thousands_of_rows_is_refused_without_building_them(
        people, make_case, login):
    case = ready_for_plan(people, make_case)
    officer = login(people.officer)
    fields = {"goals": "Em an toàn", "follow_up_at": ""}
    for i in range(5000):
        fields[f"items-{i}-action"] = f"Việc {i}"
    response = act(officer, case.reference, "plan", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Một kế hoạch có tối đa 40 hoạt động" in html
    assert html.count('name="items-') < 41 * 10  # at most 41 rows rendered back
    assert plans(case) == 0
