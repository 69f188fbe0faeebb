"""Intake form errors, who sees which forms, the supervision queue."""
from __future__ import annotations

from html import unescape

from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.case_actions import form_page
from tests.cases.conftest import CHILD_NAME, audit_count

from .conftest import act
from .test_web_lifecycle import intake_form


def vietnamese(message: str) -> str:
    """The message as a Vietnamese user sees it (the start of a long one is enough)."""
    with force_locale("vi"):
        full = [m for m in _MESSAGES if m.startswith(message)]
        return gettext(full[0] if full else message)[:40]


_MESSAGES = [
    "The report was not saved. Correct these and save again:",
]


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_bad_intake_shows_vietnamese_errors_and_saves_nothing(people, login):
    client = login(people.counselor)
    before = case_count(), audit_count(action="case.create")
    bad = [
        ({"help_requested": None}, "Say whether help was requested: yes or no."),
        ({"consent_child": "maybe"}, ("Say whether the child gave consent, refused, or was not "
                                      "asked yet.")),
        ({"father_age": "bốn mươi"}, "Give a whole number of years."),
        ({"received_at": "hôm qua"}, ("Enter the date and time as dd/mm/yyyy hh:mm, for "
                                     "example 15/09/2011 14:30.")),
        ({"harm_categories": None}, "Choose at least one kind of harm from the list."),
        ({"child_name": ""}, "Give the child's name (or what the reporter calls them)."),
        ({"child_dob": "2000-01-01"}, "This system is for children under 18."),
        ({"narrative": ""}, "Describe what happened."),
        ({"unit": "HUYEN2"}, "You cannot record a report for this unit."),
    ]
    for overrides, message in bad:
        response = client.post("/cases/new", data=intake_form(client, **overrides))
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == 422, overrides
        assert vietnamese("The report was not saved.") in html
        assert vietnamese(message) in html, (overrides, message)
        # What the user typed is still there.
        assert "Thôn Đông Sơn" in html
    assert (case_count(), audit_count(action="case.create")) == before


def test_intake_in_english(people, login):
    client = login(people.counselor)
    from tests.conftest import csrf_token

    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "locale": "en",
                                   "next": "/"})
    html = client.get("/cases/new").get_data(as_text=True)
    assert "Child's full name" in unescape(html) and "Sextortion" in html


def test_supervisor_cannot_record_intake(people, login):
    client = login(people.supervisor)
    assert client.get("/cases/new").status_code == 403


def test_supervision_is_for_supervisors(people, login):
    assert login(people.officer).get("/supervision").status_code == 403


def test_forms_follow_role_and_stage(people, login, make_case):
    case = make_case("support", assignees=[people.officer2])
    clients = {who: login(getattr(people, who)) for who in ("officer", "officer2", "supervisor")}
    officer, other, sup = (clients[who].get(f"/cases/{case.reference}").get_data(as_text=True)
                           for who in ("officer", "officer2", "supervisor"))
    # The note's form is on the page; every other action is a link to its own page.
    assert 'data-action="note"' in officer
    for name in ("plan", "refer", "request_closure", "support_action"):
        assert f'data-action-link="{name}"' in officer
        assert f'data-action="{name}"' in form_page(clients["officer"], case.reference, name)
    assert 'data-action-link="plan"' not in other and 'data-action="note"' in other
    assert 'data-action-link="assign"' in sup and 'data-action="note"' not in sup
    assert 'data-action="assign"' in form_page(clients["supervisor"], case.reference, "assign")
    # No link, and the page itself refuses: not the officer2's plan, not the supervisor's note.
    assert clients["officer2"].get(f"/cases/{case.reference}/actions/plan").status_code == 403
    assert clients["supervisor"].get(f"/cases/{case.reference}/actions/note").status_code == 403
    assert CHILD_NAME in officer and CHILD_NAME in other and CHILD_NAME not in sup


def test_refused_action_is_403(people, login, make_case):
    case = make_case("support", assignees=[people.officer2])
    response = act(login(people.officer2), case.reference, "refer", agency="police",
                   reason="x", sharing_basis="consent")
    assert response.status_code == 403
    db.session.refresh(case)
    assert case.stage == "support"


def test_action_error_is_shown_on_the_form(people, login, make_case):
    case = make_case("intake", assigned=True)
    response = act(login(people.officer), case.reference, "assess", harm="high",
                   access="low", obstacles="low", risk_level="", notes="ghi chú của tôi")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "ghi chú của tôi" in html
    assert vietnamese("Choose the risk level: high, medium or low.") in unescape(html)
    db.session.refresh(case)
    assert case.stage == "intake"


def test_queue_shows_cases_of_a_disabled_officer(people, login, make_case):
    case = make_case("assessment")
    people.officer.is_enabled = False
    db.session.commit()
    supervisor = login(people.supervisor)
    html = supervisor.get("/supervision").get_data(as_text=True)
    section = html[html.index('id="unassigned"'):html.index('id="closures"')]
    assert case.reference in section and "badge overdue" in section
    response = act(supervisor, case.reference, "assign",
                   lead_officer=people.officer2.id, next="/supervision")
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.lead_officer_id == people.officer2.id


def test_switching_language_on_a_refused_form_lands_on_a_page(people, login, make_case):
    """A refused form is shown at its POST-only address: the language switch
    there goes to the nearest page above it (the case), not to a 405."""
    from tests.conftest import csrf_token

    case = make_case("support")
    client = login(people.officer)
    for posted, expected in ((f"/cases/{case.reference}/takedown/requests",
                              f"/cases/{case.reference}"),
                             ("/cases?after=abc", "/cases?after=abc"),
                             ("/no/such/page", None)):
        response = client.post("/language", data={"csrf_token": csrf_token(client, "/"),
                                                   "locale": "en", "next": posted})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location == (expected or "/"), (posted, location)
        assert client.get(location).status_code == 200
