"""The case workflow as JSON under /api/v1 (session cookie plus X-CSRFToken header).

Like the screens: parse the body into its declared model (:mod:`.schemas`),
load the case through the scoped query (a case outside the caller's scope is
a 404, audited), call one service function, and answer with the declared
shape. Errors are problem details: a CaseError is a 422 naming its field, a
conflict a 409, a refusal a 403.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from pydantic import BaseModel
from sqlalchemy import or_, select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.api.openapi import route
from caseapp.api.schemas import InvalidInput, parse, query_option
from caseapp.core.errors import render_error
from caseapp.extensions import db
from caseapp.permissions import cases as rules

from . import answers, data, hooks, queries, service
from .errors import CaseConflict, CaseError, IntakeLimitReached
from .models import Case
from .schemas import (
    AssignIn,
    CaseList,
    Changed,
    ClosureIn,
    DecisionIn,
    IntakeIn,
    NeedsIn,
    NoteIn,
    OneCase,
    PersonIn,
    PlanIn,
    Recorded,
    ReferralIn,
    ReferralStatusIn,
    SendBackIn,
    SupportActionIn,
    TransitionIn,
    VersionIn,
)

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1")

CHANGE_ERRORS = {
    "403": "Visible to you, but you may not do this now",
    "409": "Someone else saved the case first (version); nothing was written",
}


@bp.before_request
@login_required
def require_login():
    """Every case call needs a logged-in caller (401 otherwise)."""


def case_error(exc: CaseError):
    """A refused change (any route, any feature's): 409 for a conflict, 429 for the
    intake limit, else 422 naming the field. Registered app-wide by the package."""
    if isinstance(exc, CaseConflict):
        return render_error(409, None, exc.message)
    if isinstance(exc, IntakeLimitReached):
        return render_error(429, None, exc.message)
    fields: dict = {}
    for error in getattr(exc, "errors", (exc,)):
        fields.setdefault(error.field or "_", error.message)
    return render_error(422, None, exc.message, fields=fields)


def answer(model: type[BaseModel], status: int = 200, **values):
    """Build the answer through its declared model, so the two cannot differ."""
    body = model.model_validate(values).model_dump(mode="json", exclude_unset=True)
    return jsonify(body), status


def changed(case: Case, status: int = 200, *, model: type[BaseModel] = Changed, **extra):
    """The answer to a change: the case's metadata (no child data) and what was made."""
    names = answers.usernames({case.lead_officer_id} | case.assignee_ids)
    return answer(model, status, case=answers.summary(case, names, clock.now()), **extra)


def open_if_allowed(case: Case) -> bool:
    """The API hands out a copy (JSON): only to the people working on the case.
    Break-glass is read-only on the case page."""
    if rules.can_copy_child_data(current_user, case):
        service.open_child_data(current_user, case)
        return True
    return False


def user_id_of(value: str, field: str) -> str:
    """A user id from an id or a username (the service checks who may be assigned)."""
    if not value:
        raise InvalidInput({field: _l("Give a username.")})
    user = db.session.scalar(select(User).where(or_(User.id == value, User.username == value)))
    return user.id if user is not None else value


CLOSED_VALUES = ("1", "true", "0", "false")


# --- routes --------------------------------------------------------------------------------------

@route(bp, "/cases", "GET", answer=CaseList,
       summary="Cases you may see, nearest deadline first (overdue first)",
       errors={"422": "`closed` or `after` is not a value this list takes"},
       query=[{"name": "closed", "in": "query", "required": False,
               "schema": {"type": "string", "enum": list(CLOSED_VALUES)},
               "description": "include closed cases (1 or true; 0 or false: open ones only, "
                              "the default)"},
              {"name": "after", "in": "query", "required": False,
               "schema": {"type": "string", "maxLength": queries.PAGE_MARK_LENGTH},
               "description": "the `next` of the previous page (50 cases a page)"}])
def list_cases():
    include_closed = query_option("closed", allowed=CLOSED_VALUES) in ("1", "true")
    after = query_option("after", max_length=queries.PAGE_MARK_LENGTH)
    now = clock.now()
    cases, next_mark = queries.my_cases_page(
        current_user, include_closed=include_closed,
        after=queries.PageMark.parse(after), records=True)
    names = answers.usernames({c.lead_officer_id for c in cases}
                              | {i for c in cases for i in c.assignee_ids})
    # One "case.list" entry for the page, naming the references shown; each
    # case still checked on its own (the rules, its row MAC, a restriction).
    opened = service.open_listed_child_data(current_user, cases)
    rows = []
    for case in cases:
        row = answers.summary(case, names, now)
        child = case.id in opened
        row["child"] = answers.child_only(case) if child else None
        row["child_data_hidden"] = not child
        rows.append(row)
    return answer(CaseList, cases=rows,
                  total=queries.count_my_cases(current_user, include_closed=include_closed),
                  next=next_mark.token() if next_mark else None)


@route(bp, "/cases", "POST", body=IntakeIn, answer=Recorded, status=201,
       summary="Record a report (intake, form Mẫu 01)",
       errors={"403": CHANGE_ERRORS["403"], "429": "Too many reports recorded lately"})
def create_case():
    case = service.record_intake(current_user, parse(IntakeIn).to_data())
    # Whether a likely earlier case of the child / an offender named before
    # exists: yes or no only (the matching feature), never which case.
    response, status = changed(case, 201, model=Recorded, reference=case.reference,
                               **hooks.flags(case))
    response.headers["Location"] = url_for("cases_api.get_case", reference=case.reference)
    return response, status


@route(bp, "/cases/<reference>", "GET", answer=OneCase,
       summary="One case: metadata, timeline, and child data only where you may see it")
def get_case(reference: str):
    case = queries.load_case(current_user, reference, action="api:open")
    child = open_if_allowed(case)
    names = answers.usernames(answers.people_of(case))
    return answer(OneCase, case=answers.detail(case, child, names, clock.now(),
                                               reporter=rules.can_see_reporter(current_user,
                                                                               case)))


@route(bp, "/cases/<reference>/assign", "POST", body=AssignIn, answer=Changed,
       errors=CHANGE_ERRORS,
       summary="Assign the lead officer and the others on the case (supervisors)")
def assign_case(reference: str):
    case = queries.load_case(current_user, reference, action="api:assign", for_work=True)
    body = parse(AssignIn)
    assignment = data.AssignmentData(
        user_id_of(body.lead_officer, "lead_officer"),
        tuple(user_id_of(v, f"assignees.{i}") for i, v in enumerate(body.assignees)))
    service.assign(current_user, case, assignment, expected_version=body.version)
    return changed(case)


@route(bp, "/cases/<reference>/transition", "POST", body=TransitionIn, answer=Changed,
       errors=CHANGE_ERRORS,
       summary="Move the case to another stage with the data that step needs")
def transition_case(reference: str):
    case = queries.load_case(current_user, reference, action="api:transition")
    body = parse(TransitionIn)
    if body.to != "assessment":  # reopening is the only move out of closure
        rules.require_open_for_work(current_user, case, action="api:transition")
    service.transition(current_user, case, body.to, body.to_data(case.stage),
                       expected_version=body.version)
    return changed(case)


@route(bp, "/cases/<reference>/notes", "POST", body=NoteIn, answer=Changed, status=201,
       errors=CHANGE_ERRORS, summary="Add a note")
def add_note(reference: str):
    case = queries.load_case(current_user, reference, action="api:note", for_work=True)
    note = service.add_note(current_user, case, data.NoteData(text=parse(NoteIn).text))
    return changed(case, 201, note={"stage": note.stage, "at": answers.iso(note.created_at)})


@route(bp, "/cases/<reference>/referrals", "POST", body=ReferralIn, answer=Changed,
       status=201, errors=CHANGE_ERRORS, summary="Refer to another agency (while in referral)")
def add_referral(reference: str):
    case = queries.load_case(current_user, reference, action="api:referral", for_work=True)
    referral = service.add_referral(current_user, case, parse(ReferralIn).to_data())
    return changed(case, 201, referral={"id": referral.id, "status": referral.status})


@route(bp, "/cases/<reference>/referrals/<referral_id>", "POST", body=ReferralStatusIn,
       answer=Changed, errors=CHANGE_ERRORS,
       summary="An agency accepted, declined or completed a referral")
def update_referral(reference: str, referral_id: str):
    case = queries.load_case(current_user, reference, action="api:referral_status")
    body = parse(ReferralStatusIn)
    referral = service.update_referral(current_user, case, referral_id, data.ReferralStatusData(
        status=body.status, at=body.at, outcome=body.outcome))
    return changed(case, referral={"id": referral.id, "status": referral.status})


@route(bp, "/cases/<reference>/needs-assessments", "POST", body=NeedsIn, answer=Changed,
       status=201, errors=CHANGE_ERRORS, summary="Record the needs assessment (form 03)")
def needs_assessment(reference: str):
    case = queries.load_case(current_user, reference, action="api:needs", for_work=True)
    service.record_needs_assessment(current_user, case, parse(NeedsIn).to_data())
    return changed(case, 201)


@route(bp, "/cases/<reference>/plans", "POST", body=PlanIn, answer=Changed, status=201,
       errors=CHANGE_ERRORS, summary="Draft or revise the support plan (form 04)")
def draft_plan(reference: str):
    case = queries.load_case(current_user, reference, action="api:plan", for_work=True)
    body = parse(PlanIn)
    plan = service.draft_plan(current_user, case, body.to_data(), expected_version=body.version)
    return changed(case, 201, plan={"id": plan.id, "version": plan.version})


@route(bp, "/cases/<reference>/plans/<plan_id>/approve", "POST", body=VersionIn,
       answer=Changed, errors=CHANGE_ERRORS,
       summary="Approve the newest plan (form 05, supervisors)")
def approve_plan(reference: str, plan_id: str):
    case = queries.load_case(current_user, reference, action="api:approve_plan",
                             for_work=True)
    body = parse(VersionIn)
    plan = service.approve_plan(current_user, case, plan_id, expected_version=body.version)
    return changed(case, plan={"id": plan.id, "version": plan.version,
                               "approved_at": answers.iso(plan.approved_at)})


@route(bp, "/cases/<reference>/plans/<plan_id>/return", "POST", body=SendBackIn,
       answer=Changed, errors=CHANGE_ERRORS,
       summary="Send the newest plan back with a reason (supervisors)")
def return_plan(reference: str, plan_id: str):
    case = queries.load_case(current_user, reference, action="api:return_plan",
                             for_work=True)
    body = parse(SendBackIn)
    plan = service.return_plan(current_user, case, plan_id,
                               data.SendBackData(reason=body.reason),
                               expected_version=body.version)
    return changed(case, plan={"id": plan.id, "version": plan.version,
                               "returned_at": answers.iso(plan.returned_at)})


@route(bp, "/cases/<reference>/plans/decision", "POST", body=DecisionIn, answer=Changed,
       status=201, errors=CHANGE_ERRORS,
       summary="Record the commune's decision on the approved plan (form 05)")
def record_decision(reference: str):
    # The decision may come back after closure (its own rule checks that).
    case = queries.load_case(current_user, reference, action="api:decision")
    plan = service.record_decision(current_user, case, parse(DecisionIn).to_data())
    return changed(case, 201, plan={"id": plan.id, "version": plan.version,
                                    "decision_recorded_at":
                                        answers.iso(plan.decision_recorded_at)})


@route(bp, "/cases/<reference>/people", "POST", body=PersonIn, answer=Changed, status=201,
       errors=CHANGE_ERRORS, summary="Add someone around the child (form 01)")
def add_person(reference: str):
    case = queries.load_case(current_user, reference, action="api:person", for_work=True)
    service.add_person(current_user, case, parse(PersonIn).to_data())
    return changed(case, 201)


@route(bp, "/cases/<reference>/support-actions", "POST", body=SupportActionIn,
       answer=Changed, status=201, errors=CHANGE_ERRORS,
       summary="Record a dated support action (the emergency kinds, allowed from intake on, "
               "meet the 12-hour deadline)")
def support_action(reference: str):
    case = queries.load_case(current_user, reference, action="api:support_action",
                             for_work=True)
    body = parse(SupportActionIn)
    service.record_support_action(current_user, case, data.SupportActionData(
        kind=body.kind, description=body.description, performed_at=body.performed_at,
        next_follow_up_at=body.next_follow_up_at))
    return changed(case, 201)


@route(bp, "/cases/<reference>/closure-request", "POST", body=ClosureIn, answer=Changed,
       errors=CHANGE_ERRORS,
       summary="Request closure: reason, outcome and the review (form 06, lead officer)")
def request_closure(reference: str):
    case = queries.load_case(current_user, reference, action="api:request_closure",
                             for_work=True)
    body = parse(ClosureIn)
    service.request_closure(current_user, case, body.to_data(), expected_version=body.version)
    return changed(case)


@route(bp, "/cases/<reference>/closure-rejection", "POST", body=SendBackIn, answer=Changed,
       errors=CHANGE_ERRORS,
       summary="Send a closure request back with a reason (supervisors); approving is the "
               "transition to closure")
def reject_closure(reference: str):
    case = queries.load_case(current_user, reference, action="api:reject_closure",
                             for_work=True)
    body = parse(SendBackIn)
    service.reject_closure(current_user, case, data.SendBackData(reason=body.reason),
                           expected_version=body.version)
    return changed(case)
