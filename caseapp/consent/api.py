"""Consent to share, on the JSON API."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint
from flask_login import current_user, login_required
from pydantic import Field

from caseapp.api.openapi import route
from caseapp.api.schemas import Body, parse
from caseapp.cases import answers, queries
from caseapp.cases.api import CHANGE_ERRORS, changed
from caseapp.cases.schemas import Changed, Code, Text

from . import service

bp = Blueprint("consent_api", __name__, url_prefix="/api/v1")


@bp.before_request
@login_required
def require_login():
    """Every call needs a logged-in caller (401 otherwise)."""


class SharingConsentIn(Body):
    agency: Code
    basis: Literal["consent", "emergency", "legal_duty"]
    child: bool | None = Field(default=None, description="the child's own consent, from age 7")
    guardian: bool = False
    note: Text = ""


@route(bp, "/cases/<reference>/sharing-consents", "POST", body=SharingConsentIn,
       answer=Changed, status=201, errors=CHANGE_ERRORS,
       summary="Record the consent of the child (7+) and guardian to share the case with one "
               "agency, or the legal ground used without it (a referral on consent needs one)")
def sharing_consent(reference: str):
    case = queries.load_case(current_user, reference, action="api:sharing_consent",
                             for_work=True)
    body = parse(SharingConsentIn)
    row = service.record_sharing_consent(current_user, case, service.SharingConsentData(
        agency=body.agency, basis=body.basis, child=body.child, guardian=body.guardian,
        note=body.note))
    return changed(case, 201, sharing_consent={"id": row.id, "agency": row.agency_code,
                                               "basis": row.basis,
                                               "recorded_at": answers.iso(row.recorded_at)})
