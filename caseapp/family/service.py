"""The people around a child and the household: add, change, remove, read.

Each change is checked (scope 404, closed case, role 403: all audited by the
permission layer), validated as a whole (every mistake at once, nothing
written), then written in one savepoint with its audit entry. Audit details
name the row, never what it holds: a relation next to a flag says who in the
family is suspected.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.cases.errors import CaseConflict, CaseError
from caseapp.cases.guards import Problems, atomic, clean_text, ensure_visible
from caseapp.cases.models import Case
from caseapp.clock import local_timezone
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.permissions import cases as case_rules
from caseapp.permissions import family as rules

from .models import FAMILY_RELATIONS, FamilyHousehold, FamilyMember

MAX_MEMBERS = 30
NAME_LENGTH = 200
HOUSEHOLD_LENGTH = 500
CIRCUMSTANCES_LENGTH = 5000
EARLIEST_BIRTH_YEAR = 1900
OLDEST_AGE = 120


@dataclass(frozen=True)
class MemberData:
    relation: str
    full_name: str
    birth_year: int | None = None
    age: int | None = None
    occupation: str = ""
    contact: str = ""
    lives_with_child: bool = False
    may_be_abuser: bool = False


@dataclass(frozen=True)
class HouseholdData:
    lives_with: str = ""
    circumstances: str = ""


def _audit(action: str, actor, case: Case, **details) -> None:
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def _this_year() -> int:
    return clock.now().astimezone(local_timezone()).date().year


# --- reading (the case must be unlocked for the sealed fields) ------------------------------

def members_of(case: Case) -> list[FamilyMember]:
    return list(db.session.scalars(
        select(FamilyMember).where(FamilyMember.case_id == case.id)
        .order_by(FamilyMember.position, FamilyMember.recorded_at, FamilyMember.id)))


def member_count(case: Case) -> int:
    """How many people are recorded around the child (SQL; no decryption)."""
    return int(db.session.scalar(select(func.count()).select_from(FamilyMember)
                                 .where(FamilyMember.case_id == case.id)) or 0)


def household_of(case: Case) -> FamilyHousehold | None:
    return db.session.scalar(select(FamilyHousehold)
                             .where(FamilyHousehold.case_id == case.id))


def flagged_members(case: Case) -> list[FamilyMember]:
    """The people flagged "may be the abuser or in contact with the abuser"
    (reads the sealed flag: the case must be unlocked)."""
    return [m for m in members_of(case) if m.flagged]


def contactable_members(case: Case) -> list[FamilyMember]:
    """The people a family copy may go to and name (unlocked case)."""
    return [m for m in members_of(case) if rules.may_receive_family_copy(m)]


# --- checks -------------------------------------------------------------------------------

def _check_member(data: MemberData) -> dict:
    """The values to seal, or CaseError(s) naming every field that is wrong."""
    problems = Problems()
    values: dict = {}
    if data.relation not in FAMILY_RELATIONS:
        problems.add(_l("Choose the person's relation to the child."), "relation")
    values["relation"] = data.relation
    values["full_name"] = problems.check(
        clean_text, data.full_name, "full_name", required=True, max_length=NAME_LENGTH,
        message=_l("Give the person's name."), default="")
    values["occupation"] = problems.check(clean_text, data.occupation, "occupation",
                                          max_length=NAME_LENGTH, default="")
    values["contact"] = problems.check(clean_text, data.contact, "contact",
                                       max_length=NAME_LENGTH, default="")
    year = data.birth_year
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not EARLIEST_BIRTH_YEAR <= year <= _this_year()):
        problems.add(_l("Give a year of birth between %(first)d and %(last)d.",
                        first=EARLIEST_BIRTH_YEAR, last=_this_year()), "birth_year")
    age = data.age
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)
                            or not 0 <= age <= OLDEST_AGE):
        problems.add(_l("Give an age between 0 and %(n)d years.", n=OLDEST_AGE), "age")
    problems.raise_any()
    values.update(birth_year=year, age=age,
                  lives_with_child=1 if data.lives_with_child else 0,
                  may_be_abuser=1 if data.may_be_abuser else 0)
    return values


def _require_edit(actor, case: Case, action: str) -> None:
    ensure_visible(actor, case, action)
    case_rules.require_open_for_work(actor, case, action=action)
    case_rules.require(rules.can_edit_family(actor, case), actor, case, action=action)


def _write(member: FamilyMember, values: dict) -> None:
    for name, value in values.items():
        setattr(member, name, None if value in (None, "") else value)


def _own_member(actor, case: Case, member_id: str) -> FamilyMember:
    """The row ``member_id`` of this case, or CaseError: an id of another case's
    row (or none at all) is refused the same way, and nothing is read of it.
    Another case's row is an attempt on that case: audited as a denial there."""
    row = db.session.get(FamilyMember, member_id) \
        if isinstance(member_id, str) and 0 < len(member_id) <= 36 else None
    if row is not None and row.case_id != case.id:
        case_rules.record_denial(actor, db.session.get(Case, row.case_id),
                                 action="family_member_of_another_case")
    if row is None or row.case_id != case.id:
        raise CaseError(_l("This person is not recorded on this case."), field="member")
    return row


# --- changes ------------------------------------------------------------------------------

def add_member(actor, case: Case, data: MemberData) -> FamilyMember:
    """Record one more person around the child."""
    _require_edit(actor, case, "family_member")
    values = _check_member(data)
    if member_count(case) >= MAX_MEMBERS:
        raise CaseError(_l("At most %(n)d people per case.", n=MAX_MEMBERS), field="member")
    grant = case_rules.grant_case_change(actor, case, action="family_member")
    now = clock.now()
    position = db.session.scalar(select(func.max(FamilyMember.position))
                                 .where(FamilyMember.case_id == case.id))
    with atomic():
        unlock(case, grant=grant)
        member = FamilyMember(case_id=case.id, case=case, recorded_by_id=actor.id,
                              recorded_at=now, updated_at=now,
                              position=(position if position is not None else -1) + 1)
        _write(member, values)
        db.session.add(member)
        db.session.flush()
        _audit("case.family_member", actor, case, member_id=member.id)
    return member


def _ensure_record_version(current: int, expected: int | None) -> None:
    """The form or call was made on this version of the record, or it conflicts
    (``None``: an API call that names none, as for the case's own version)."""
    if expected is not None and expected != current:
        raise CaseConflict(current_version=current)


@contextmanager
def _saving(model, row_id: str | None) -> Iterator[None]:
    """atomic(); a save that lost a race to another names the record's version
    as it is now, which the form shown again carries (not the case's)."""
    try:
        with atomic():
            yield
    except CaseConflict:
        current = db.session.scalar(select(model.version_id).where(model.id == row_id)) \
            if row_id else None
        raise CaseConflict(current_version=current or 0) from None


def update_member(actor, case: Case, member_id: str, data: MemberData, *,
                  expected_version: int | None = None) -> FamilyMember:
    """Correct what is recorded of one person (the flag included): the whole
    record, so it must be the version the correction was made on."""
    _require_edit(actor, case, "family_member_changed")
    member = _own_member(actor, case, member_id)
    _ensure_record_version(member.version_id, expected_version)
    values = _check_member(data)
    grant = case_rules.grant_case_change(actor, case, action="family_member_changed")
    with _saving(FamilyMember, member.id):
        unlock(case, grant=grant)
        _write(member, values)
        member.updated_at = clock.now()
        _audit("case.family_member_changed", actor, case, member_id=member.id)
    return member


def remove_member(actor, case: Case, member_id: str, *,
                  expected_version: int | None = None) -> None:
    """Take a person off the case (recorded by mistake, or not around the
    child), as they were shown: one flagged meanwhile is not removed unseen."""
    _require_edit(actor, case, "family_member_removed")
    member = _own_member(actor, case, member_id)
    _ensure_record_version(member.version_id, expected_version)
    case_rules.grant_case_change(actor, case, action="family_member_removed")
    with _saving(FamilyMember, member.id):
        db.session.delete(member)
        _audit("case.family_member_removed", actor, case, member_id=member_id)


def save_household(actor, case: Case, data: HouseholdData, *,
                   expected_version: int | None = None) -> FamilyHousehold:
    """Who the child lives with and the household's circumstances (one record;
    ``expected_version`` 0: there was none when the form was shown)."""
    _require_edit(actor, case, "family_household")
    household = household_of(case)
    _ensure_record_version(household.version_id if household is not None else 0,
                           expected_version)
    problems = Problems()
    lives_with = problems.check(clean_text, data.lives_with, "lives_with",
                                max_length=HOUSEHOLD_LENGTH, default="")
    circumstances = problems.check(clean_text, data.circumstances, "circumstances",
                                   max_length=CIRCUMSTANCES_LENGTH, default="")
    problems.raise_any()
    if not lives_with and not circumstances:
        raise CaseError(_l("Say who the child lives with or describe the household."),
                        field="lives_with")
    grant = case_rules.grant_case_change(actor, case, action="family_household")
    try:
        with _saving(FamilyHousehold, household.id if household is not None else None):
            unlock(case, grant=grant)
            if household is None:
                household = FamilyHousehold(case_id=case.id, case=case,
                                            recorded_by_id=actor.id)
                db.session.add(household)
            household.recorded_by_id = actor.id
            household.updated_at = clock.now()
            household.lives_with = lives_with or None
            household.circumstances = circumstances or None
            db.session.flush()
            _audit("case.family_household", actor, case, household_id=household.id)
    except IntegrityError:
        # Another save created the case's one household meanwhile (anything
        # else is not a conflict and goes on as the error it is).
        made = household_of(case)
        if made is None:
            raise
        raise CaseConflict(current_version=made.version_id) from None
    return household
