"""The family records on the JSON API: read a case's people and household,
add, correct or remove a person, record the household.

Like the screens: the case through the scoped query first (404, audited),
then the body parsed into its declared model (so the OpenAPI document shows
it), one service call, an answer in its declared shape. Reading is child
data: checked (403, audited) and audited as a view of the case.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint
from flask_login import current_user, login_required
from pydantic import Field

from caseapp.api.openapi import route
from caseapp.api.schemas import Answer, Body, parse
from caseapp.cases import answers, queries
from caseapp.cases import service as case_service
from caseapp.cases.api import CHANGE_ERRORS, answer, changed
from caseapp.cases.schemas import Changed
from caseapp.permissions import cases as case_rules
from caseapp.permissions import family as rules

from . import service

bp = Blueprint("family_api", __name__, url_prefix="/api/v1")

Name = Annotated[str, Field(min_length=1, max_length=service.NAME_LENGTH)]
Line = Annotated[str, Field(max_length=service.NAME_LENGTH)]
Relation = Literal["father", "mother", "step_parent", "grandparent", "sibling", "caregiver",
                   "teacher", "other"]


@bp.before_request
@login_required
def require_login():
    """Every call needs a logged-in caller (401 otherwise)."""


class FamilyMemberIn(Body):
    relation: Relation
    full_name: Name
    birth_year: Annotated[int | None, Field(ge=service.EARLIEST_BIRTH_YEAR, le=2100)] = None
    age: Annotated[int | None, Field(ge=0, le=service.OLDEST_AGE)] = None
    occupation: Line = ""
    contact: Line = ""
    lives_with_child: bool = False
    may_be_abuser: bool = Field(default=False, description=(
        "may be the abuser or in contact with the abuser: never contacted through the "
        "case, left out of the family copy of printed forms"))

    def to_data(self) -> service.MemberData:
        return service.MemberData(**self.model_dump(exclude={"version"}))


class FamilyMemberCorrection(FamilyMemberIn):
    version: int = Field(description=(
        "The person's version you saw (the family list gives it): a correction replaces "
        "the whole record, so a newer one answers 409"))


class HouseholdIn(Body):
    lives_with: Annotated[str, Field(max_length=service.HOUSEHOLD_LENGTH)] = ""
    circumstances: Annotated[str, Field(max_length=service.CIRCUMSTANCES_LENGTH)] = ""
    version: int = Field(description=(
        "The household's version you saw (0: there was none): a newer one answers 409"))


class FamilyMemberOut(Answer):
    id: str
    version: int
    relation: str
    full_name: str
    birth_year: int | None = None
    age: int | None = None
    occupation: str = ""
    contact: str = ""
    lives_with_child: bool
    may_be_abuser: bool


class RemovalIn(Body):
    version: int = Field(description=(
        "The person's version you saw: one corrected meanwhile (a flag set) answers 409"))


class HouseholdOut(Answer):
    version: int
    lives_with: str = ""
    circumstances: str = ""
    updated_at: str | None = None


class FamilyOut(Answer):
    reference: str
    members: list[FamilyMemberOut]
    household: HouseholdOut | None = None


class FamilyChanged(Changed):
    family_member: dict[str, Any] | None = None
    household: dict[str, Any] | None = None


def _member(m) -> dict:
    return {"id": m.id, "version": m.version_id, "relation": m.relation or "other",
            "full_name": m.full_name or "",
            "birth_year": m.birth_year, "age": m.age, "occupation": m.occupation or "",
            "contact": m.contact or "", "lives_with_child": m.lives_with,
            "may_be_abuser": m.flagged}


@route(bp, "/cases/<reference>/family", "GET", answer=FamilyOut,
       errors={"403": "Visible to you, but not the child's data"},
       summary="The people around the child and the household (child data: audited)")
def list_family(reference: str):
    case = queries.load_case(current_user, reference, action="api:family")
    # A copy leaves the screen: the people working on the case only (break-glass
    # is read-only, on the page; hostile review: it got the flagged person's phone).
    case_rules.require(rules.can_see_family(current_user, case)
                       and case_rules.can_copy_child_data(current_user, case),
                       current_user, case, action="api:family")
    case_service.open_child_data(current_user, case)
    household = service.household_of(case)
    return answer(FamilyOut, reference=case.reference,
                  members=[_member(m) for m in service.members_of(case)],
                  household=None if household is None else {
                      "version": household.version_id,
                      "lives_with": household.lives_with or "",
                      "circumstances": household.circumstances or "",
                      "updated_at": answers.iso(household.updated_at)})


@route(bp, "/cases/<reference>/family", "POST", body=FamilyMemberIn, answer=FamilyChanged,
       status=201, errors=CHANGE_ERRORS,
       summary="Add a person around the child (relation, name, age or year of birth, "
               "occupation, contact, lives with the child, may be the abuser)")
def add_family_member(reference: str):
    case = queries.load_case(current_user, reference, action="api:family_member",
                             for_work=True)
    member = service.add_member(current_user, case, parse(FamilyMemberIn).to_data())
    return changed(case, 201, model=FamilyChanged,
                   family_member={"id": member.id, "version": member.version_id,
                                  "recorded_at": answers.iso(member.recorded_at)})


@route(bp, "/cases/<reference>/family/household", "POST", body=HouseholdIn,
       answer=FamilyChanged, errors=CHANGE_ERRORS,
       summary="Record who the child lives with and the household's circumstances")
def save_household(reference: str):
    case = queries.load_case(current_user, reference, action="api:family_household",
                             for_work=True)
    body = parse(HouseholdIn)
    household = service.save_household(current_user, case, service.HouseholdData(
        lives_with=body.lives_with, circumstances=body.circumstances),
        expected_version=body.version)
    return changed(case, model=FamilyChanged,
                   household={"id": household.id, "version": household.version_id,
                              "updated_at": answers.iso(household.updated_at)})


@route(bp, "/cases/<reference>/family/<member_id>", "POST", body=FamilyMemberCorrection,
       answer=FamilyChanged, errors=CHANGE_ERRORS,
       summary="Correct what is recorded of one person around the child: the whole record, "
               "as when added (an id of another case's person is refused as an unknown one)")
def correct_family_member(reference: str, member_id: str):
    case = queries.load_case(current_user, reference, action="api:family_member_changed",
                             for_work=True)
    body = parse(FamilyMemberCorrection)
    member = service.update_member(current_user, case, member_id, body.to_data(),
                                   expected_version=body.version)
    return changed(case, model=FamilyChanged,
                   family_member={"id": member.id, "version": member.version_id,
                                  "updated_at": answers.iso(member.updated_at)})


@route(bp, "/cases/<reference>/family/<member_id>/remove", "POST", body=RemovalIn,
       answer=FamilyChanged,
       errors={**CHANGE_ERRORS, "422": "This person is not recorded on this case, or the "
                                       "body is not valid"},
       summary="Take a person off the case (recorded by mistake, or not around the child)")
def remove_family_member(reference: str, member_id: str):
    case = queries.load_case(current_user, reference, action="api:family_member_removed",
                             for_work=True)
    service.remove_member(current_user, case, member_id,
                          expected_version=parse(RemovalIn).version)
    return changed(case, model=FamilyChanged)
