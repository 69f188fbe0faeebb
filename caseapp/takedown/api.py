"""Taking harmful content down, on the JSON API: the case's items and their
removal requests (links and tickets only to the people working on the case),
and the same three changes as the section's forms."""
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
from caseapp.cases.api import CHANGE_ERRORS, answer, changed, open_if_allowed
from caseapp.cases.schemas import Changed, Text
from caseapp.permissions import cases as case_rules
from caseapp.permissions import takedown as rules

from . import service
from .panel import listed

bp = Blueprint("takedown_api", __name__, url_prefix="/api/v1")

Platform = Literal["facebook", "tiktok", "youtube", "zalo", "instagram", "telegram", "x",
                   "discord", "other"]
Channel = Literal["platform_report", "trusted_flagger", "information_safety", "police"]
Outcome = Literal["removed", "restricted", "refused", "no_answer"]


@bp.before_request
@login_required
def require_login():
    """Every call needs a logged-in caller (401 otherwise)."""


class TakedownItemIn(Body):
    platform: Platform
    kind: Literal["post", "account", "group", "link"]
    link: str = Field(max_length=500, description="The link or account name, never the "
                                                  "content itself (stored encrypted)")
    note: Text = ""


class TakedownRequestIn(Body):
    item_id: str = Field(max_length=36, description="An item of this case")
    channel: Channel
    sent_on: date
    ticket: str = Field(default="", max_length=200,
                        description="The ticket or reference number given (encrypted)")


class TakedownOutcomeIn(Body):
    outcome: Outcome
    on: date


class TakedownRequestOut(Answer):
    id: str
    channel: Channel
    sent_on: date
    answer_due_at: str = Field(description="After this without an outcome it is overdue")
    overdue: bool
    outcome: Outcome | None
    outcome_on: date | None
    ticket: str | None = Field(description="Only where you may take a copy of the child's data")


class TakedownItemOut(Answer):
    id: str
    number: int
    platform: Platform
    kind: str
    link: str | None = Field(description="Only where you may take a copy of the child's data")
    removed: bool
    requests: list[TakedownRequestOut]


class TakedownList(Answer):
    items: list[TakedownItemOut]
    child_data_hidden: bool


class TakedownChanged(Changed):
    takedown: dict[str, Any] | None = None


@route(bp, "/cases/<reference>/takedown", "GET", answer=TakedownList,
       summary="The case's harmful items and the requests to take them down (links and "
               "tickets only where you may take a copy of the child's data)")
def list_takedown(reference: str):
    case = queries.load_case(current_user, reference, action="api:takedown")
    case_rules.require(rules.can_see_takedown(current_user, case), current_user, case,
                       action="api:takedown")
    child = open_if_allowed(case)
    now = clock.now()
    items = [{"id": i.id, "number": i.number, "platform": i.platform, "kind": i.kind,
              "link": i.link, "removed": i.removed,
              "requests": [{"id": r.id, "channel": r.channel, "sent_on": r.sent_on,
                            "answer_due_at": answers.iso(r.due_at), "overdue": r.overdue,
                            "outcome": r.outcome, "outcome_on": r.outcome_on,
                            "ticket": r.ticket} for r in i.requests]}
             for i in listed(case, child, now)]
    return answer(TakedownList, items=items, child_data_hidden=not child)


@route(bp, "/cases/<reference>/takedown/items", "POST", body=TakedownItemIn,
       answer=TakedownChanged, status=201, errors=CHANGE_ERRORS,
       summary="Record a harmful item of the case: its platform, what it is, its link")
def add_item(reference: str):
    case = queries.load_case(current_user, reference, action="api:takedown_item",
                             for_work=True)
    body = parse(TakedownItemIn)
    item = service.add_item(current_user, case, service.ItemData(
        platform=body.platform, kind=body.kind, link=body.link, note=body.note))
    return changed(case, 201, model=TakedownChanged,
                   takedown={"item_id": item.id, "platform": item.platform})


@route(bp, "/cases/<reference>/takedown/requests", "POST", body=TakedownRequestIn,
       answer=TakedownChanged, status=201, errors=CHANGE_ERRORS,
       summary="Record a request sent to take an item down: to whom, the day, the ticket")
def record_request(reference: str):
    case = queries.load_case(current_user, reference, action="api:takedown_request",
                             for_work=True)
    body = parse(TakedownRequestIn)
    row = service.record_request(current_user, case, service.RequestData(
        item_id=body.item_id, channel=body.channel, sent_on=body.sent_on, ticket=body.ticket))
    return changed(case, 201, model=TakedownChanged,
                   takedown={"request_id": row.id, "item_id": row.item_id,
                             "answer_due_at": answers.iso(clock.as_utc(row.answer_due_at))})


@route(bp, "/cases/<reference>/takedown/requests/<request_id>/outcome", "POST",
       body=TakedownOutcomeIn, answer=TakedownChanged, errors=CHANGE_ERRORS,
       summary="Record what came of a removal request, and the day")
def record_outcome(reference: str, request_id: str):
    case = queries.load_case(current_user, reference, action="api:takedown_outcome",
                             for_work=True)
    body = parse(TakedownOutcomeIn)
    row = service.record_outcome(current_user, case, service.OutcomeData(
        request_id=request_id, outcome=body.outcome, on=body.on))
    return changed(case, model=TakedownChanged,
                   takedown={"request_id": row.id, "outcome": row.outcome})
