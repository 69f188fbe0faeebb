"""The figures on the JSON API: the same numbers as /figures, for the same
people and scope (a supervisor's unit in their subtree, an officer's own
caseload), exact (the API, like the page, serves those who may see the cases)."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from pydantic import BaseModel

from caseapp import clock
from caseapp.api.openapi import route
from caseapp.api.problems import problem
from caseapp.api.schemas import query_option
from caseapp.permissions import cases as rules
from caseapp.permissions import unit_in_scope

from . import figures
from .period import PeriodError, parse

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")


@bp.before_request
@login_required
def require_login():
    """Every call needs a logged-in caller (401 otherwise)."""


class FiguresAnswer(BaseModel):
    period: str
    first: date
    last: date
    unit: str | None  # None: the caller's own caseload as lead officer
    as_of: datetime
    numbers: dict[str, int]


@route(bp, "/figures", "GET", answer=FiguresAnswer,
       summary="The 100% figures of a period: a supervisor's unit (default: their own), or an "
               "officer's own caseload; the keys of caseapp.reports.numbers, exact",
       errors={"403": "Not a supervisor or an officer", "422": "Unknown period or unit"},
       query=[{"name": "period", "in": "query", "required": False,
               "schema": {"type": "string", "maxLength": 64},
               "description": "2026-H1, 2026, 2026-01..2026-06 (default: this half-year)"},
              {"name": "unit", "in": "query", "required": False,
               "schema": {"type": "string", "maxLength": 64},
               "description": "a unit code in the supervisor's subtree"}])
def figures_api():
    if not rules.can_open_figures(current_user):
        return problem(403, _l("The figures are for supervisors and officers."))
    try:
        period = parse(query_option("period", max_length=64))
    except PeriodError as error:
        return problem(422, error.message, fields={"period": error.message})
    unit = None
    # Checked for every caller; an officer's figures are their own caseload
    # whatever unit is named (the answer's "unit" is null).
    asked = query_option("unit", max_length=64)
    if current_user.role == "supervisor":
        unit = unit_in_scope(current_user, asked)
        if unit is None:
            message = _l("Choose one of your units.")
            return problem(422, message, fields={"unit": message})
    as_of = clock.now()
    scope = figures.Scope(unit=unit) if unit else figures.Scope(lead_officer_id=current_user.id)
    numbers = figures.compute(scope, period, as_of)
    if unit is not None:
        numbers.update(figures.awareness(unit, period))
    body = FiguresAnswer(period=period.code, first=period.first, last=period.last,
                         unit=unit.code if unit else None, as_of=as_of,
                         numbers=dict(sorted(numbers.items())))
    return jsonify(body.model_dump(mode="json")), 200
