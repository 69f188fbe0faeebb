"""Follow-ups and the plan's goals on the JSON API, declared like the API's other
inputs (:mod:`caseapp.api.openapi`). The words (goals, notes, outcomes) are
answered only to the people working on the case (a copy leaves the app, as
for the case itself: :func:`caseapp.cases.api.open_if_allowed`)."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask import Blueprint
from flask_login import current_user, login_required
from pydantic import Field

from caseapp import clock
from caseapp.api.openapi import route
from caseapp.api.schemas import Answer, Body, parse
from caseapp.cases import answers, queries
from caseapp.cases.api import CHANGE_ERRORS, answer, changed, open_if_allowed, user_id_of
from caseapp.cases.schemas import Changed, Code, Text

from . import service

bp = Blueprint("followups_api", __name__, url_prefix="/api/v1")


@bp.before_request
@login_required
def require_login():
    """Every call needs a logged-in caller (401 otherwise)."""


class FollowUpIn(Body):
    due_on: date = Field(description="the day of the follow-up (local)")
    kind: Literal["home_visit", "call", "school_visit", "family_meeting"]
    assignee: Code = Field(description="username of who goes: a person of the case's unit")


class FollowUpResultIn(Body):
    result: Literal["done", "missed"]
    outcome: Text


class GoalIn(Body):
    text: Text


class GoalProgressIn(Body):
    status: Literal["not_started", "in_progress", "reached", "dropped"]
    note: Text
    noted_on: date | None = Field(default=None, description="the day of the note (empty: today)")


class FollowUpOut(Answer):
    id: str
    due_on: str
    kind: str
    assignee: str | None
    state: Literal["scheduled", "done", "missed"]
    overdue: bool = Field(description="planned and past its day, or missed and not re-planned")
    settled_at: str | None
    outcome: str | None = Field(default=None, description="only for the people on the case")


class GoalOut(Answer):
    id: str
    number: int
    status: str
    text: str | None = Field(default=None, description="only for the people on the case")
    progress: list[dict[str, Any]] | None = None


class FollowUpsAnswer(Answer):
    follow_ups: list[FollowUpOut]
    goals: list[GoalOut]


class FollowUpChanged(Changed):
    follow_up: dict[str, Any] | None = None
    goal: dict[str, Any] | None = None


@route(bp, "/cases/<reference>/follow-ups", "GET", answer=FollowUpsAnswer,
       summary="The case's follow-ups and the goals of its plan (words only for the people "
               "on the case)")
def list_follow_ups(reference: str):
    case = queries.load_case(current_user, reference, action="api:follow_ups")
    child = open_if_allowed(case)
    rows = service.follow_ups_of(case)
    late = {r.id for r in service.needing_attention(rows, clock.now())}
    names = answers.usernames({r.assignee_id for r in rows})
    goals = service.goals_of(case)
    return answer(FollowUpsAnswer, follow_ups=[{
        "id": r.id, "due_on": r.due_on.isoformat(), "kind": r.kind,
        "assignee": names.get(r.assignee_id), "state": r.state, "overdue": r.id in late,
        "settled_at": answers.iso(r.settled_at),
        **({"outcome": r.outcome} if child else {})} for r in rows],
        goals=[{"id": g.id, "number": g.number, "status": g.status,
                **({"text": g.text, "progress": [
                    {"noted_on": p.noted_on.isoformat(), "status": p.status, "note": p.note}
                    for p in g.progress]} if child else {})} for g in goals])


@route(bp, "/cases/<reference>/follow-ups", "POST", body=FollowUpIn, answer=FollowUpChanged,
       status=201, errors=CHANGE_ERRORS,
       summary="Plan a follow-up: its day, kind and who goes")
def schedule(reference: str):
    case = queries.load_case(current_user, reference, action="api:follow_up_scheduled",
                             for_work=True)
    body = parse(FollowUpIn)
    row = service.schedule(current_user, case, service.FollowUpData(
        due_on=body.due_on, kind=body.kind, assignee_id=user_id_of(body.assignee, "assignee")))
    return changed(case, 201, model=FollowUpChanged,
                   follow_up={"id": row.id, "due_on": row.due_on.isoformat(),
                              "state": row.state})


@route(bp, "/cases/<reference>/follow-ups/<follow_up_id>/result", "POST",
       body=FollowUpResultIn, answer=FollowUpChanged, errors=CHANGE_ERRORS,
       summary="A planned follow-up was done or missed, with its outcome")
def settle(reference: str, follow_up_id: str):
    case = queries.load_case(current_user, reference, action="api:follow_up_settled",
                             for_work=True)
    body = parse(FollowUpResultIn)
    row = service.settle(current_user, case, service.SettleData(
        follow_up_id=follow_up_id, result=body.result, outcome=body.outcome))
    return changed(case, model=FollowUpChanged,
                   follow_up={"id": row.id, "state": row.state})


@route(bp, "/cases/<reference>/goals", "POST", body=GoalIn, answer=FollowUpChanged,
       status=201, errors=CHANGE_ERRORS, summary="Add a goal of the plan, as a record")
def add_goal(reference: str):
    case = queries.load_case(current_user, reference, action="api:plan_goal", for_work=True)
    body = parse(GoalIn)
    goal = service.add_goal(current_user, case, body.text)
    return changed(case, 201, model=FollowUpChanged,
                   goal={"id": goal.id, "number": goal.number, "status": goal.status})


@route(bp, "/cases/<reference>/goals/<goal_id>/progress", "POST", body=GoalProgressIn,
       answer=FollowUpChanged, status=201, errors=CHANGE_ERRORS,
       summary="A dated progress note on one goal, and the status it leaves the goal in")
def progress(reference: str, goal_id: str):
    case = queries.load_case(current_user, reference, action="api:goal_progress",
                             for_work=True)
    body = parse(GoalProgressIn)
    row = service.record_progress(current_user, case, service.ProgressData(
        goal_id=goal_id, status=body.status, note=body.note, noted_on=body.noted_on))
    return changed(case, 201, model=FollowUpChanged,
                   goal={"id": goal_id, "status": row.status})
