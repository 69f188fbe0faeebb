"""Every change to a case goes through here.

Each function takes the acting user explicitly, makes sure the case exists
for them (404 otherwise, audited), checks permission (403, audited),
validates its input (CaseError naming the field), then writes the change and
exactly one audit entry in one savepoint and flushes. The caller commits once
(request, CLI command, job). Stages change only through
:mod:`caseapp.cases.workflow`; :func:`transition` is its door.

Audit entries name the case by its reference and carry codes only: never a
name, a contact, a narrative or any other child data.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.auditing import reads as audit_reads
from caseapp.auditing.writer import record
from caseapp.crypto import blind_index, current_keyring, new_data_key, unlock
from caseapp.crypto.blind_index import DEFAULT_BITS
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules
from caseapp.units.models import Unit

from . import deadlines, facts, hooks, reference_data, workflow
from .data import (
    AssignmentData,
    ChildData,
    ClosureApproval,
    ClosureData,
    ConsentData,
    DecisionData,
    IntakeData,
    NeedsAssessmentData,
    NoteData,
    OffenderAccountData,
    PersonData,
    PlanData,
    PlanItem,
    ReferralData,
    ReferralStatusData,
    ReopenData,
    ReporterData,
    SendBackData,
    SupportActionData,
)
from .errors import CaseConflict, CaseError, CaseErrors, CaseNotFound, IntakeLimitReached
from .guards import (
    LONG_TEXT,
    Problems,
    atomic,
    aware_datetime,
    check_day,
    clean_text,
    ensure_version,
    ensure_visible,
)
from .models import (
    ACTION_KINDS,
    CHILD_GROUPS,
    CONSENT_STATES,
    EARLY_CLOSURE_REASONS,
    EMERGENCY_KINDS,
    HOTLINE_CHANNELS,
    LEGAL_GROUNDS,
    LEVELS,
    MINOR_BAND,
    PERSON_RELATIONS,
    RECEIVE_REPORT,
    SAFE_TONIGHT,
    Assessment,
    Case,
    CaseAssignee,
    CaseNote,
    CasePerson,
    OffenderAccount,
    Referral,
    SupportAction,
    SupportPlan,
)

__all__ = [
    "AssignmentData", "CaseConflict", "CaseError", "CaseNotFound", "ChildData",
    "ClosureApproval", "ClosureData", "ConsentData", "DecisionData", "IntakeData",
    "NeedsAssessmentData", "NoteData", "OffenderAccountData", "PermissionDenied", "PersonData",
    "PlanData", "PlanItem", "ReferralData", "ReferralStatusData", "ReopenData", "ReporterData",
    "SendBackData", "SupportActionData",
    "add_note", "add_person", "add_referral", "age_band", "approve_closure", "approve_plan",
    "assign", "draft_plan", "new_reference", "open_child_data", "open_for_approval",
    "intake_problems", "record_decision", "record_intake", "record_needs_assessment",
    "record_support_action",
    "reject_closure", "reopen", "request_closure", "return_plan", "set_harm_categories",
    "transition", "update_referral",
]

REFERENCE_PREFIX = "HS-"
# No 0/O, 1/I/L: read aloud over the phone and copied by hand without mistakes.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8
CLOCK_SKEW = timedelta(minutes=5)
ADULT_AGE = 18
CONSENT_AGE = 7
REFERRAL_STEPS = {"sent": ("accepted", "declined", "completed"),
                  "accepted": ("completed", "declined")}


# --- helpers ---------------------------------------------------------------------------------

def new_reference() -> str:
    """A random reference, unique among cases; never derived from anything about the child."""
    for _ in range(20):
        reference = REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET)
                                               for _ in range(REFERENCE_LENGTH))
        if db.session.scalar(select(Case.id).where(Case.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find a free case reference")  # 31**8 values: not in practice


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def child_age_now(case: Case, today: date | None = None) -> int | None:
    """The child's age today from the (unlocked) case: date of birth, or the
    estimated age at intake plus the years since. None when unknown."""
    today = today or clock.local_today()
    born = case.child_date_of_birth
    if born is not None:
        return age_on(born, today)
    if case.child_estimated_age is not None:
        received = clock.as_utc(case.received_at).astimezone(clock.local_timezone()).date()
        return case.child_estimated_age + max(age_on(received, today), 0)
    return None


def age_band(age: int | None) -> str:
    """The band of an age in years; split at 16 (the Law on Children's "child")."""
    if age is None:
        return "unknown"
    if age <= 5:
        return "0-5"
    if age <= 10:
        return "6-10"
    if age <= 15:
        return "11-15"
    return MINOR_BAND


MAX_OFFENDER_ACCOUNTS = 50


def _not_future(value: datetime, field: str) -> None:
    if value > clock.now() + CLOCK_SKEW:
        raise CaseError(_l("This time is in the future."), field=field)


def _index(kind: str, value, field: str, message) -> int:
    try:
        return blind_index(kind, value, current_keyring().blind_index_key,
                           bits=current_app.config.get("BLIND_INDEX_BITS", DEFAULT_BITS))
    except (ValueError, TypeError):
        raise CaseError(message, field=field) from None


def _family_name(full_name: str) -> str:
    # Vietnamese order: family name first ("Nguyễn Thị Lan").
    return full_name.split()[0] if full_name.split() else ""


def _require_codes(kind: str, codes, field: str, message, *, at_least_one: bool = False
                   ) -> list:
    codes = list(dict.fromkeys(codes or ()))
    if at_least_one and not codes:
        raise CaseError(message, field=field)
    found = [reference_data.get(kind, c) for c in codes]
    if any(entry is None for entry in found):
        raise CaseError(message, field=field)
    return found


def _touch(case: Case, now: datetime) -> None:
    case.updated_at = now


def _audit(action: str, actor, case: Case, **details) -> None:
    """One entry about ``case``, with its facts as they stand after the change
    (codes and times, never child data: :mod:`caseapp.cases.facts`)."""
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details={**details, "facts": facts.snapshot(case)})


# --- reading -----------------------------------------------------------------------------------

def open_child_data(actor, case: Case) -> None:
    """Make the child data of ``case`` readable in this request or command.

    Checked and audited ("case.view") by :mod:`caseapp.permissions.cases`;
    raises CaseNotFound (outside scope) or PermissionDenied (metadata only).
    """
    ensure_visible(actor, case, "view_child_data")
    unlock(case, grant=rules.grant_case_view(actor, case))


def open_listed_child_data(actor, cases: list[Case]) -> set[str]:
    """Make the child data of the listed ``cases`` that ``actor`` may copy
    readable: one check per case, one "case.list" entry and one grant for the
    page (:func:`caseapp.permissions.cases.grant_case_list`), the data keys
    unwrapped together. Returns the ids of the cases opened."""
    grant, opened = rules.grant_case_list(actor, cases)
    if grant is not None:
        unlock([c for c in cases if c.id in opened], grant=grant)
    return opened


def open_for_approval(actor, case: Case) -> None:
    """Make what a supervisor is asked to approve readable (the plan, the
    assessments, the review and outcome; never the child's name or contacts):
    checked and audited ("case.view", via "approval") by the permission layer."""
    ensure_visible(actor, case, "view_for_approval")
    unlock(case, grant=rules.grant_approval_view(actor, case))


# --- intake ----------------------------------------------------------------------------------

def _child_age(child: ChildData, received: date) -> int | None:
    if child.date_of_birth is not None:
        if not isinstance(child.date_of_birth, date) or isinstance(child.date_of_birth, datetime):
            raise CaseError(_l("Give the date of birth as a date."), field="child.date_of_birth")
        if child.date_of_birth > received:
            raise CaseError(_l("The date of birth is after the report."),
                            field="child.date_of_birth")
        age = age_on(child.date_of_birth, received)
    elif child.estimated_age is not None:
        if isinstance(child.estimated_age, bool) or not isinstance(child.estimated_age, int) \
                or child.estimated_age < 0:
            raise CaseError(_l("Give the estimated age in years."), field="child.estimated_age")
        age = child.estimated_age
    else:
        return None
    if age >= ADULT_AGE:
        raise CaseError(_l("This system is for children under 18."), field="child.date_of_birth")
    return age


def _consent_on_file(consent: ConsentData, age: int | None) -> tuple[str, str, str | None]:
    """(the child's consent, the guardian's, the ground on file) as recorded.

    Receiving a report is a duty (Decree 56, Art. 25): an intake never waits
    for consent. When consent is not complete the ground on file is the one
    chosen, else the duty to receive the report; consent to share with each
    agency is still needed before a referral (the consent feature)."""
    if consent.guardian not in CONSENT_STATES:
        raise CaseError(_l("Say whether the parent or guardian gave consent, refused, or was "
                           "not asked yet."), field="consent.guardian")
    if consent.child not in CONSENT_STATES:
        raise CaseError(_l("Say whether the child gave consent, refused, or was not asked "
                           "yet."), field="consent.child")
    if consent.legal_ground and consent.legal_ground not in LEGAL_GROUNDS:
        raise CaseError(_l("Unknown legal ground."), field="consent.legal_ground")
    child = "too_young" if age is not None and age < CONSENT_AGE else consent.child
    complete = consent.guardian == "given" and child in ("given", "too_young")
    ground = consent.legal_ground or (None if complete else RECEIVE_REPORT)
    return child, consent.guardian, ground


MAX_PEOPLE = 20
MAX_PERSON_AGE = 120


def _intake_people(people) -> list[tuple[str, dict]]:
    """(relation, sealed values) of each person around the child that was named."""
    if len(people or ()) > MAX_PEOPLE:
        raise CaseError(_l("At most %(n)d people per case.", n=MAX_PEOPLE), field="people")
    found = []
    for i, person in enumerate(people or ()):
        values = person_values(person, f"people.{i}")
        if any(v not in (None, "") for v in values.values()):
            if not values["full_name"]:
                raise CaseError(_l("Give the person's name."), field=f"people.{i}.full_name")
            found.append((person.relation, values))
    return found


def person_values(person, field: str) -> dict:
    """Check one person's details; the sealed values to store."""
    if person.relation not in PERSON_RELATIONS:
        raise CaseError(_l("Choose how this person is related to the child."),
                        field=f"{field}.relation")
    age = person.age
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)
                            or not 0 <= age <= MAX_PERSON_AGE):
        raise CaseError(_l("Give the age in whole years."), field=f"{field}.age")
    return {"full_name": clean_text(person.full_name, f"{field}.full_name"), "age": age,
            "occupation": clean_text(person.occupation, f"{field}.occupation"),
            "contact": clean_text(person.contact, f"{field}.contact")}


def _check_intake_rate(actor) -> None:
    """Reports recorded by ``actor`` through the web or the API in the last hour and
    day, from the audit log (shared by every worker; only recorded reports count).
    Commands and jobs (no request) are not limited."""
    if not has_request_context():
        return
    for limit, window in ((current_app.config["INTAKE_LIMIT_PER_HOUR"], timedelta(hours=1)),
                          (current_app.config["INTAKE_LIMIT_PER_DAY"], timedelta(days=1))):
        count = audit_reads.recent_count("case.create", actor.id, window)
        if count >= limit:
            rules.record_denial(actor, None, action="intake_limit")
            raise IntakeLimitReached(_l(
                "You have recorded %(n)d reports in a short time, the most allowed. Nothing "
                "was saved: keep this page open and call your supervisor, who can record "
                "it or have the limit raised.", n=count))


def _intake_unit(actor, data: IntakeData) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == (data.unit or "").strip().upper()))
    if unit is None:
        raise CaseError(_l("Unknown unit."), field="unit")
    if not rules.can_record_intake(actor, unit):
        rules.record_denial(actor, None, action="intake")
        raise PermissionDenied(_l("You cannot record a report for this unit."))
    return unit


def _intake_received_at(data: IntakeData) -> datetime:
    received_at = aware_datetime(data.received_at, "received_at")
    if received_at is None:
        raise CaseError(_l("Give the date and time the report was received."),
                        field="received_at")
    _not_future(received_at, "received_at")
    return received_at.replace(second=0, microsecond=0)


def _intake_codes(data: IntakeData, problems: Problems) -> tuple[list, list]:
    """The coded answers (known codes only): kinds of harm and platforms."""
    if reference_data.get("channel", data.channel) is None:
        problems.add(_l("Choose how the report came in."), "channel")
    if reference_data.get("requested_by", data.requested_by) is None:
        problems.add(_l("Choose who asked for help."), "requested_by")
    if reference_data.get("gender", data.child.gender) is None:
        problems.add(_l("Choose the child's gender (or unknown)."), "child.gender")
    harms = problems.check(_require_codes, "harm_category", data.harm_categories,
                           "harm_categories",
                           _l("Choose at least one kind of harm from the list."),
                           at_least_one=True, default=[])
    platforms = problems.check(_require_codes, "platform", data.platforms, "platforms",
                               _l("Choose platforms from the list."), default=[])
    return harms, platforms


def _intake_texts(data: IntakeData, problems: Problems) -> dict[str, str]:
    """The free texts that are sealed as they are (checked for length and characters)."""
    child = data.child
    texts: dict[str, str] = {}

    def put(name, value, field, **kwargs):
        texts[name] = problems.check(clean_text, value, field, default="", **kwargs)

    for name, value, field in (
            ("child_address", child.address, "child.address"),
            ("child_school", child.school, "child.school"),
            ("child_class", child.school_class, "child.school_class"),
            ("guardian_name", child.guardian_name, "child.guardian_name"),
            ("guardian_contact", child.guardian_contact, "child.guardian_contact"),
            ("reporter_name", data.reporter.name, "reporter.name"),
            ("reporter_relation", data.reporter.relation, "reporter.relation"),
            ("reporter_address", data.reporter.address, "reporter.address"),
            ("current_caregiver", data.current_caregiver, "current_caregiver"),
            ("incident_place", data.incident_place, "incident_place"),
            ("child_whereabouts", data.child_whereabouts, "child_whereabouts"),
            ("harm_when", data.harm_when, "harm_when")):
        put(name, value, field)
    put("child_access_needs", child.access_needs, "child.access_needs", max_length=LONG_TEXT)
    for name in ("evidence_location", "child_condition",
                 "consequences_without_help", "family_circumstances", "help_before_report",
                 "intake_notes", "advice_given"):
        put(name, getattr(data, name), name, max_length=LONG_TEXT)
    put("consent_note", data.consent.note, "consent.note", max_length=LONG_TEXT)
    put("narrative", data.narrative, "narrative", required=True, max_length=LONG_TEXT,
        message=_l("Describe what happened."))
    return texts


# The hotline's number of a call as its records write it: letters and digits,
# with "-", "/" or "." between them.
HOTLINE_CALL_NUMBER = re.compile(r"^[0-9A-Za-z](?:[0-9A-Za-z./-]{0,30}[0-9A-Za-z])?$")


def _intake_call(data: IntakeData, received_day: date, problems: Problems) -> dict:
    """What the hotline counselor asked on the call that is not free text: the
    call's number (hotline channels only), the day the harm happened, and whether
    the child is safe tonight."""
    values: dict = {}
    number = problems.check(clean_text, data.hotline_call_number, "hotline_call_number",
                            max_length=32, default="")
    if number:
        if data.channel not in HOTLINE_CHANNELS:
            problems.add(_l("A call number is only for reports from hotline 111."),
                         "hotline_call_number")
        elif not HOTLINE_CALL_NUMBER.match(number):
            problems.add(_l("Write the call number as the hotline gave it: letters and digits, "
                            "with '-', '/' or '.' between them, at most 32."),
                         "hotline_call_number")
        else:
            values["hotline_call_number"] = number
    if data.harm_date is not None:
        if not isinstance(data.harm_date, date) or isinstance(data.harm_date, datetime):
            problems.add(_l("Give the day the harm happened as a date."), "harm_date")
        elif data.harm_date > received_day:
            problems.add(_l("The harm cannot have happened after the report was received."),
                         "harm_date")
        else:
            try:
                check_day(data.harm_date, "harm_date")
            except CaseError as exc:
                problems.found.append(exc)
            else:
                values["harm_date"] = data.harm_date
    if data.safe_tonight and data.safe_tonight not in SAFE_TONIGHT:
        problems.add(_l("Say whether the child is safe tonight: yes, no, or not known."),
                     "safe_tonight")
    elif data.safe_tonight:
        values["safe_tonight"] = data.safe_tonight
    return values


def _intake_phones(data: IntakeData, full_name: str, problems: Problems
                   ) -> tuple[str, str, dict]:
    """(child's phone, reporter's phone, the child's blind indexes)."""
    child = data.child
    child_phone = problems.check(clean_text, child.phone, "child.phone", max_length=40,
                                 default="")
    reporter_phone = problems.check(clean_text, data.reporter.phone, "reporter.phone",
                                    max_length=40, default="")
    bad_phone = _l("This is not a phone number.")
    if reporter_phone:
        # Checked, not indexed: an index of reporters' phones would let anyone holding
        # the database group cases by whistle-blower, and nothing needs it.
        problems.check(_index, "reporter_phone", reporter_phone, "reporter.phone", bad_phone)
    indexes = {
        "child_phone_index": problems.check(_index, "child_phone", child_phone, "child.phone",
                                            bad_phone) if child_phone else None,
        "child_dob_family_index": problems.check(
            _index, "child_dob_family", (child.date_of_birth, _family_name(full_name)),
            "child.date_of_birth", _l("Check the date of birth."))
        if child.date_of_birth else None,
    }
    return child_phone, reporter_phone, indexes


def _intake_offenders(data: IntakeData, problems: Problems
                      ) -> list[tuple[str | None, str, int]]:
    """(platform, handle, blind index) of each offender account named."""
    if len(data.offender_accounts or ()) > MAX_OFFENDER_ACCOUNTS:
        problems.add(_l("At most %(n)d offender accounts per report.", n=MAX_OFFENDER_ACCOUNTS),
                     "offender_accounts")
        return []
    offenders = []
    for i, account in enumerate(data.offender_accounts or ()):
        field = f"offender_accounts.{i}"
        handle = problems.check(clean_text, account.handle, field, required=True,
                                max_length=500)
        if account.platform and reference_data.get("platform", account.platform) is None:
            problems.add(_l("Choose platforms from the list."), field)
        elif handle:
            index = problems.check(_index, "offender_handle", handle, field,
                                   _l("This is not an account name or link."))
            if index is not None:
                offenders.append((account.platform or None, handle, index))
    return offenders


@dataclass(frozen=True)
class _Intake:
    """An intake that passed every check: what :func:`record_intake` writes."""

    unit: Unit
    received_at: datetime
    harms: list
    platforms: list
    full_name: str
    age: int | None
    consent: tuple[str, str, str | None]
    texts: dict[str, str]
    call: dict
    people: list
    child_phone: str
    reporter_phone: str
    indexes: dict
    offenders: list


def _check_intake(actor, data: IntakeData, *, limit: bool, unit: Unit | None = None
                  ) -> _Intake:
    """Every check of an intake, all of them: one CaseError, or CaseErrors naming
    each field that is wrong (a person corrects them all at once). A refused unit
    (PermissionDenied) and the intake limit stop at once: they are not mistakes
    to correct on the form."""
    problems = Problems()
    if unit is None:
        unit = problems.check(_intake_unit, actor, data)
    if limit:
        _check_intake_rate(actor)
    received_at = problems.check(_intake_received_at, data)
    local_day = (received_at or clock.now()).astimezone(clock.local_timezone()).date()
    harms, platforms = _intake_codes(data, problems)
    child = data.child
    full_name = problems.check(
        clean_text, child.full_name, "child.full_name", required=True, default="",
        message=_l("Give the child's name (or what the reporter calls them)."))
    age = problems.check(_child_age, child, local_day)
    if data.help_requested is None:
        problems.add(_l("Say whether help was requested: yes or no."), "help_requested")
    if data.child_group and data.child_group not in CHILD_GROUPS:
        problems.add(_l("Choose the child's group from the list."), "child_group")
    consent = problems.check(_consent_on_file, data.consent, age)
    texts = _intake_texts(data, problems)
    call = _intake_call(data, local_day, problems)
    people = problems.check(_intake_people, data.people, default=[])
    child_phone, reporter_phone, indexes = _intake_phones(data, full_name, problems)
    offenders = _intake_offenders(data, problems)
    problems.raise_any()
    return _Intake(unit, received_at, harms, platforms, full_name, age, consent, texts, call,
                   people, child_phone, reporter_phone, indexes, offenders)


def intake_problems(actor, data: IntakeData) -> list[CaseError]:
    """What :func:`record_intake` would refuse in ``data``, all of it, writing
    nothing (for a form that has mistakes of its own to show with these)."""
    try:
        _check_intake(actor, data, limit=False)
    except CaseErrors as exc:
        return list(exc.errors)
    except CaseError as exc:
        return [exc]
    return []


def record_intake(actor, data: IntakeData) -> Case:
    """Form Mẫu 01: a new case at intake, in ``data.unit``. Returns the case (with its reference).

    Everything is checked before anything is written (every mistake at once:
    CaseErrors); then the case, its sealed fields and its audit entry are
    written in one savepoint. A child not safe tonight is in immediate danger.
    """
    return _record_intake(actor, _check_intake(actor, data, limit=True), data, {})


def record_outside_intake(recorder, unit: Unit, data: IntakeData, **details) -> Case:
    """An intake that reached ``unit`` from outside its staff's screens: a partner
    system's token or the public help form. ``recorder`` is that channel's service
    account (accounts.service_accounts), which no rule lets act: the caller has
    decided that the channel may file into ``unit`` (the token's unit, the unit
    the form offers) and throttled it. ``details`` (codes only: the token's id,
    the channel) go into the case's creation entry. Checked and written as
    :func:`record_intake`."""
    if not getattr(recorder, "is_service", False):
        raise PermissionDenied(_l("You cannot record a report for this unit."))
    if not unit.is_active:
        # As for staff (rules.can_record_intake): a report must not land in a
        # unit nobody works in any more.
        raise PermissionDenied(_l("You cannot record a report for this unit."))
    return _record_intake(recorder, _check_intake(recorder, data, limit=False, unit=unit),
                          data, details)


def _record_intake(actor, checked: _Intake, data: IntakeData, details: dict) -> Case:
    unit, child = checked.unit, data.child
    child_consent, guardian_consent, ground = checked.consent
    # "Not safe tonight" is immediate danger: the 12-hour emergency deadline runs
    # and the case shows it at its top, whether or not the box was ticked too.
    in_danger = bool(data.immediate_danger) or checked.call.get("safe_tonight") == "no"

    now = clock.now()
    with atomic():
        case = Case(reference=new_reference(), unit_id=unit.id, unit=unit,
                    recorded_by_id=actor.id, received_at=checked.received_at,
                    channel_code=data.channel, requested_by_code=data.requested_by,
                    help_requested=bool(data.help_requested),
                    immediate_danger=in_danger, gender_code=child.gender,
                    age_band=age_band(checked.age), child_group=data.child_group or None,
                    child_consent=child_consent, guardian_consent=guardian_consent,
                    legal_ground=ground, reporter_anonymous=bool(data.reporter.anonymous),
                    consent_recorded_at=now, consent_recorded_by_id=actor.id,
                    created_at=now, updated_at=now, **checked.indexes)
        workflow.begin(case, now)
        db.session.add(case)
        new_data_key(db.session, case)
        case.harm_categories = checked.harms
        case.platforms = checked.platforms
        case.child_full_name = checked.full_name
        if child.date_of_birth is not None:
            case.child_date_of_birth = child.date_of_birth
        elif child.estimated_age is not None:
            case.child_estimated_age = child.estimated_age
        for name, value in (("child_phone", checked.child_phone),
                            ("reporter_phone", checked.reporter_phone),
                            *checked.texts.items(), *checked.call.items()):
            if value:
                setattr(case, name, value)
        for platform, handle, index in checked.offenders:
            account = OffenderAccount(case=case, platform_code=platform, handle_index=index)
            account.handle = handle
            db.session.add(account)
        for position, (relation, values) in enumerate(checked.people):
            _new_person(case, relation, values, actor, now, position)
        db.session.flush()
        # The anonymity flag is a plain column (read before any key is opened):
        # its entry here is what a review compares it with.
        _audit("case.create", actor, case, stage="intake", **details,
               **({"reporter_anonymous": True} if case.reporter_anonymous else {}))
        hooks.run(hooks.case_event, "recorded", actor, case, {})
        # Likely earlier cases of the same child, offenders named before (the
        # matching feature: blind indexes compared in SQL, no other case decrypted).
        hooks.run(hooks.after_intake, case)
    return case


def _new_person(case: Case, relation: str, values: dict, actor, now: datetime,
                position: int) -> CasePerson:
    person = CasePerson(case=case, relation=relation, position=position,
                        recorded_by_id=actor.id, recorded_at=now)
    for name, value in values.items():
        if value not in (None, ""):
            setattr(person, name, value)
    db.session.add(person)
    return person


def add_person(actor, case: Case, data: PersonData) -> CasePerson:
    """Someone around the child, added after intake by the people on the case."""
    ensure_visible(actor, case, "add_person")
    rules.require_open_for_work(actor, case, action="add_person")
    rules.require(rules.can_change_child_data(actor, case), actor, case, action="add_person")
    values = person_values(data, "person")
    if not values["full_name"]:
        raise CaseError(_l("Give the person's name."), field="person.full_name")
    if len(case.people) >= MAX_PEOPLE:
        raise CaseError(_l("At most %(n)d people per case.", n=MAX_PEOPLE), field="person")
    grant = rules.grant_case_change(actor, case, action="add_person")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        person = _new_person(case, data.relation, values, actor, now,
                             max((p.position for p in case.people), default=-1) + 1)
        _touch(case, now)
        _audit("case.person", actor, case, relation=data.relation)
    return person


# --- assignment --------------------------------------------------------------------------------

def assign(actor, case: Case, data: AssignmentData, *, expected_version: int | None = None
           ) -> Case:
    """Set the lead officer and the other people on the case (supervisors of its unit)."""
    ensure_visible(actor, case, "assign")
    rules.require_open_for_work(actor, case, action="assign")
    rules.require(rules.can_assign(actor, case), actor, case, action="assign")
    ensure_version(case, expected_version)
    lead = db.session.get(User, data.lead_officer_id) if data.lead_officer_id else None
    if lead is None or not rules.can_be_assigned(actor, lead, case, lead=True):
        raise CaseError(_l("Choose an active case officer of your units as lead officer."),
                        field="lead_officer")
    others: dict[str, User] = {}
    for user_id in data.assignee_ids or ():
        if user_id == lead.id or user_id in others:
            continue
        user = db.session.get(User, user_id)
        if user is None or not rules.can_be_assigned(actor, user, case, lead=False):
            raise CaseError(_l("Only active officers and counselors of your units can be "
                               "assigned."), field="assignees")
        others[user_id] = user
    now = clock.now()
    before = case.assignee_ids
    with atomic():
        previous_lead = case.lead_officer_id
        case.lead_officer_id = lead.id
        for row in list(case.assignees):
            if row.user_id not in others:
                case.assignees.remove(row)
        for user_id in others:
            if user_id not in before:
                case.assignees.append(CaseAssignee(user_id=user_id, assigned_at=now,
                                                   assigned_by_id=actor.id))
        if case.first_assigned_at is None:
            case.first_assigned_at = now
        _touch(case, now)
        _audit("case.assign", actor, case, lead=lead.id,
               lead_changed=previous_lead != lead.id,
               added=sorted(set(others) - before), removed=sorted(before - set(others)))
        added = set(others) - before
        if previous_lead != lead.id:
            added.add(lead.id)
        hooks.run(hooks.case_event, "assigned", actor, case, {"added": sorted(added)})
    return case


# --- the workflow ------------------------------------------------------------------------------

def transition(actor, case: Case, target: str, data=None, *,
               expected_version: int | None = None) -> Case:
    """Move the case to ``target`` with the data that step needs (see workflow.TRANSITIONS)."""
    return workflow.move(actor, case, target, data, expected_version=expected_version)


def approve_closure(actor, case: Case, *, expected_version: int | None = None) -> Case:
    """A supervisor signs off the lead officer's closure request: the case is closed."""
    return workflow.move(actor, case, "closure", ClosureApproval(),
                         expected_version=expected_version)


def reopen(actor, case: Case, data: ReopenData, *, expected_version: int | None = None) -> Case:
    return workflow.move(actor, case, "assessment", data, expected_version=expected_version)


REVIEW_FIELDS = ("review_harm", "review_access", "review_obstacles", "review_self_protection",
                 "review_recovery")


def request_closure(actor, case: Case, data: ClosureData, *,
                    expected_version: int | None = None) -> Case:
    """The lead officer asks to close: reason, outcome summary and, after
    support, the review (Mẫu 06: 1a harm, access, obstacles; 1b the child's
    ability to protect themself and recover). From assessment (no plan was
    made) only a report found unfounded, declined, unreachable or belonging
    elsewhere can be closed, without the review."""
    ensure_visible(actor, case, "request_closure")
    rules.require_open_for_work(actor, case, action="request_closure")
    rules.require(rules.can_request_closure(actor, case), actor, case, action="request_closure")
    ensure_version(case, expected_version)
    if case.closure_requested_at is not None:
        # What the supervisor reviews must not change under them.
        raise CaseError(_l("A closure request is already waiting for a supervisor's decision."),
                        field="reason")
    if reference_data.get("closure_reason", data.reason) is None:
        raise CaseError(_l("Choose the reason for closing."), field="reason")
    early = case.stage == "assessment"
    if early and data.reason not in EARLY_CLOSURE_REASONS:
        raise CaseError(_l("Before support a case closes only as unfounded, declined, "
                           "unreachable, a duplicate or transferred; otherwise make the plan "
                           "first."), field="reason")
    summary = clean_text(data.outcome_summary, "outcome_summary", required=True,
                         max_length=LONG_TEXT, message=_l("Summarise the outcome."))
    levels = {field: getattr(data, field) or None for field in REVIEW_FIELDS}
    for field, level in levels.items():
        if (level is None and not early) or (level is not None and level not in LEVELS):
            raise CaseError(_l("Rate each point of the review (form 06): high, medium or low."),
                            field=field)
    notes = clean_text(data.review_notes, "review_notes", max_length=LONG_TEXT)
    grant = rules.grant_case_change(actor, case, action="request_closure")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        case.closure_reason_code = data.reason
        for field, level in levels.items():
            setattr(case, f"{field}_level", level)
        case.outcome_summary = summary
        case.review_notes = notes or None
        case.closure_requested_at = now
        case.closure_requested_by_id = actor.id
        _touch(case, now)
        _audit("case.closure_requested", actor, case, reason=data.reason, stage=case.stage)
        hooks.run(hooks.case_event, "closure_waiting", actor, case, {})
    return case


def reject_closure(actor, case: Case, data: SendBackData | None = None, *,
                   expected_version: int | None = None) -> Case:
    """A supervisor sends a closure request back with a reason: the case stays open."""
    ensure_visible(actor, case, "decide_closure")
    rules.require(rules.can_decide_closure(actor, case), actor, case, action="decide_closure")
    ensure_version(case, expected_version)
    reason = _send_back_reason(data or SendBackData(""))
    grant = rules.grant_send_back(actor, case, action="decide_closure")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        code = case.closure_reason_code
        clear_closure_request(case)
        case.closure_returned_at = now
        case.closure_returned_by_id = actor.id
        case.closure_return_reason = reason
        _touch(case, now)
        _audit("case.closure_rejected", actor, case, reason=code)
        hooks.run(hooks.case_event, "closure_returned", actor, case, {})
    return case


def clear_closure_request(case: Case) -> None:
    case.closure_requested_at = None
    case.closure_requested_by_id = None
    case.closure_reason_code = None
    for field in REVIEW_FIELDS:
        setattr(case, f"{field}_level", None)


# --- what the case is about ---------------------------------------------------------------------

def set_harm_categories(actor, case: Case, codes, *, expected_version: int | None = None
                        ) -> Case:
    """Correct the kinds of harm once the case is better known (a case found to be
    sextortion must start refusing uploads). The lead officer (not while the
    case is restricted) or a supervisor of the case; audited with the codes
    before and after (codes are not child data).

    A kind whose evidence is sexual images of a child is never taken off: that
    would reopen uploads on the case (the refusal must not be one edit away)."""
    ensure_visible(actor, case, "harm_categories")
    rules.require_open_for_work(actor, case, action="set_harm_categories")
    rules.require(rules.can_set_harm_categories(actor, case), actor, case,
                  action="harm_categories")
    ensure_version(case, expected_version)
    harms = _require_codes("harm_category", codes, "harm_categories",
                           _l("Choose at least one kind of harm from the list."),
                           at_least_one=True)
    kept = {h.code for h in harms}
    if any(reference_data.is_abuse_material(h) and h.code not in kept
           for h in case.harm_categories):
        raise CaseError(_l("A kind of harm whose evidence is sexual images of the child cannot "
                           "be removed: files stay refused on this case, and the material "
                           "stays with the police."), field="harm_categories")
    before = ",".join(case.harm_category_codes)
    with atomic():
        case.harm_categories = harms
        _touch(case, clock.now())
        _audit("case.harm_categories", actor, case, before=before,
               after=",".join(h.code for h in harms))
    return case


# --- records inside a stage ------------------------------------------------------------------

def add_note(actor, case: Case, data: NoteData) -> CaseNote:
    """A note, at any stage, by someone working on the case."""
    ensure_visible(actor, case, "add_note")
    rules.require_open_for_work(actor, case, action="add_note")
    text = clean_text(data.text, "text", required=True, max_length=LONG_TEXT,
                      message=_l("Write the note."))
    grant = rules.grant_case_change(actor, case, action="add_note")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        note = CaseNote(case=case, stage=case.stage, author_id=actor.id, created_at=now)
        note.text = text
        db.session.add(note)
        _audit("case.note", actor, case, stage=case.stage)
    return note


def update_consent(actor, case: Case, data: ConsentData, *,
                   expected_version: int | None = None) -> Case:
    """Consent asked after the intake (the guardian reached, the child old
    enough or ready to answer, a refusal withdrawn or given): the states on
    file, the ground while it is not complete, and who recorded it when. The
    child's age is today's (asked from 7, Law on Children Art. 33)."""
    ensure_visible(actor, case, "update_consent")
    rules.require_open_for_work(actor, case, action="update_consent")
    rules.require(rules.can_work_on_case(actor, case), actor, case, action="update_consent")
    ensure_version(case, expected_version)
    grant = rules.grant_case_change(actor, case, action="update_consent")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        child, guardian, ground = _consent_on_file(data, child_age_now(case))
        note = clean_text(data.note, "consent.note", max_length=LONG_TEXT)
        before = (case.child_consent, case.guardian_consent, case.legal_ground)
        case.child_consent, case.guardian_consent, case.legal_ground = child, guardian, ground
        if note:
            case.consent_note = note
        case.consent_recorded_at, case.consent_recorded_by_id = now, actor.id
        _touch(case, now)
        # The states are codes (never the note): what changed, for the timeline.
        _audit("case.consent", actor, case, child=child, guardian=guardian,
               ground=ground, child_before=before[0], guardian_before=before[1],
               ground_before=before[2])
    return case


NEEDS_TEXTS = ("condition", "family", "risk_factors", "learning", "community",
               "service_needs", "child_views", "caregiver_views", "meeting_chair",
               "meeting_participants", "meeting_measures")
# Mẫu 03's points without which there is nothing to plan from (Art. 27(1) a, b, e).
NEEDS_REQUIRED = {
    "condition": _l("Describe the child's physical, psychological and emotional state."),
    "family": _l("Describe the family, the child's relationships and the parents' ability "
                 "to protect the child."),
    "service_needs": _l("Say what the child needs (care, treatment, social, schooling, legal, "
                        "counselling)."),
}


def _needs_details(data: NeedsAssessmentData) -> tuple[dict, date | None]:
    """The sealed points of Mẫu 03 and the meeting's date (in clear: it says only
    that a meeting was held, and the plan's rule reads it without decrypting)."""
    details: dict = {}
    for name in NEEDS_TEXTS:
        value = clean_text(getattr(data, name), name, max_length=LONG_TEXT,
                           required=name in NEEDS_REQUIRED, message=NEEDS_REQUIRED.get(name))
        if value:
            details[name] = value
    meeting = data.meeting_date
    if meeting is not None:
        if not isinstance(meeting, date) or isinstance(meeting, datetime):
            raise CaseError(_l("Give the date as a date."), field="meeting_date")
        if meeting > clock.local_today():
            raise CaseError(_l("The meeting cannot be in the future."), field="meeting_date")
        check_day(meeting, "meeting_date")
    if (meeting is None) != (not details.get("meeting_participants")):
        field = "meeting_participants" if meeting is not None else "meeting_date"
        raise CaseError(_l("Give the needs meeting's date and who took part."), field=field)
    if meeting is None and (details.get("meeting_chair") or details.get("meeting_measures")):
        raise CaseError(_l("Give the needs meeting's date and who took part."),
                        field="meeting_date")
    return details, meeting


def record_needs_assessment(actor, case: Case, data: NeedsAssessmentData) -> Assessment:
    """Needs assessment (Mẫu 03) with the needs meeting's minutes, by the people
    on the case once it is assessed. The first of a round starts the plan's
    deadlines (Art. 28(1))."""
    ensure_visible(actor, case, "needs_assessment")
    rules.require_open_for_work(actor, case, action="needs_assessment")
    rules.require(rules.can_record_needs_assessment(actor, case), actor, case,
                  action="needs_assessment")
    notes = clean_text(data.notes, "notes", required=True, max_length=LONG_TEXT,
                       message=_l("Write the conclusion of the needs assessment."))
    details, meeting = _needs_details(data)
    grant = rules.grant_case_change(actor, case, action="needs_assessment")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        assessment = Assessment(case=case, kind="needs", recorded_by_id=actor.id,
                                recorded_at=now, meeting_on=meeting)
        assessment.notes = notes
        assessment.details = details
        db.session.add(assessment)
        deadlines.needs_assessed(case, now)
        _touch(case, now)
        _audit("case.needs_assessment", actor, case, meeting=meeting is not None)
    return assessment


MAX_PLAN_COST = 10**12  # VND; anything above is a typing mistake


def _plan_date(value, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CaseError(_l("Give the date as a date."), field=field)
    check_day(value, field)
    return value.isoformat()


def _plan_items(items: tuple[PlanItem, ...]) -> list[dict]:
    rows = []
    for i, item in enumerate(items or ()):
        action = clean_text(item.action, f"items.{i}.action", required=True,
                            max_length=LONG_TEXT, message=_l("Say what will be done."))
        start, due = _plan_date(item.start, f"items.{i}.start"), _plan_date(
            item.due, f"items.{i}.due")
        if start and due and due < start:
            raise CaseError(_l("The end is before the start."), field=f"items.{i}.due")
        cost = item.cost
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int)
                                 or not 0 <= cost <= MAX_PLAN_COST):
            raise CaseError(_l("Write the estimated cost in dong as a whole number, for "
                               "example 1.500.000."), field=f"items.{i}.cost")
        rows.append({"action": action, "who": clean_text(item.who, f"items.{i}.who"),
                     "provider": clean_text(item.provider, f"items.{i}.provider"),
                     "start": start, "due": due, "cost": cost})
    return rows


def plan_basis_ready(case: Case) -> bool:
    """Whether a plan can be drafted now (the page offers its form only then:
    the needs assessment's form is the step before it)."""
    try:
        _check_plan_basis(case)
    except CaseError:
        return False
    return True


def _check_plan_basis(case: Case) -> None:
    """A plan is drafted from the risk assessment (Mẫu 02) and the needs
    assessment (Mẫu 03) with its meeting (Art. 27(2); not for a minor)."""
    needs = [a for a in case.assessments if a.kind == "needs"]
    if case.assessed_at is None:
        raise CaseError(_l("Record the risk assessment (form 02) before the plan."),
                        field="plan")
    if not needs:
        raise CaseError(_l("Record the needs assessment (form 03) before the plan."),
                        field="plan")
    if not case.is_minor and not any(a.has_meeting for a in needs):
        raise CaseError(_l("Record the needs meeting (its date and who took part) in the needs "
                           "assessment before the plan."), field="plan")


def draft_plan(actor, case: Case, data: PlanData, *, expected_version: int | None = None
               ) -> SupportPlan:
    """The support plan (Mẫu 04), or a revision of it (a new version, to approve again)."""
    ensure_visible(actor, case, "draft_plan")
    rules.require_open_for_work(actor, case, action="draft_plan")
    rules.require(rules.can_draft_plan(actor, case), actor, case, action="draft_plan")
    ensure_version(case, expected_version)
    _check_plan_basis(case)
    goals = clean_text(data.goals, "goals", required=True, max_length=LONG_TEXT,
                       message=_l("Write the goals of the plan."))
    items = _plan_items(data.items)
    if not items:
        raise CaseError(_l("Add at least one action to the plan."), field="items")
    follow_up = aware_datetime(data.follow_up_at, "follow_up_at")
    grant = rules.grant_case_change(actor, case, action="draft_plan")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        previous = case.latest_plan
        plan = SupportPlan(case=case, version=(previous.version + 1) if previous else 1,
                           drafted_by_id=actor.id, drafted_at=now)
        plan.goals = goals
        plan.items = items
        db.session.add(plan)
        if case.plan_drafted_at is None:
            case.plan_drafted_at = now
        elif case.plan_approved_at is not None:
            deadlines.plan_revised(case, now)
        if follow_up is not None:
            case.next_follow_up_at = hooks.earliest_follow_up(case, follow_up)
        _touch(case, now)
        deadlines.refresh(case)
        _audit("case.plan", actor, case, version=plan.version)
        hooks.run(hooks.case_event, "plan_waiting", actor, case, {})
    return plan


def _waiting_plan(case: Case, plan_id: str) -> SupportPlan:
    plan = case.latest_plan
    if plan is None or plan.id != plan_id:
        raise CaseError(_l("This is not the newest version of the plan."), field="plan")
    if not plan.is_waiting:
        raise CaseError(_l("This plan was already decided."), field="plan")
    return plan


def approve_plan(actor, case: Case, plan_id: str, *, expected_version: int | None = None
                 ) -> SupportPlan:
    """A supervisor of the case signs the newest plan off (the union's gate); the
    commune's decision (Mẫu 05) is then due."""
    ensure_visible(actor, case, "approve_plan")
    rules.require_open_for_work(actor, case, action="approve_plan")
    rules.require(rules.can_approve_plan(actor, case), actor, case, action="approve_plan")
    ensure_version(case, expected_version)
    plan = _waiting_plan(case, plan_id)
    now = clock.now()
    with atomic():
        plan.approved_by_id = actor.id
        plan.approved_at = now
        deadlines.plan_approved(case, now)
        _touch(case, now)
        _audit("case.plan_approved", actor, case, version=plan.version)
        hooks.run(hooks.case_event, "plan_approved", actor, case, {})
    return plan


def _send_back_reason(data: SendBackData) -> str:
    return clean_text(data.reason, "reason", required=True, max_length=LONG_TEXT,
                      message=_l("Say what must change: the officer reads it."))


def return_plan(actor, case: Case, plan_id: str, data: SendBackData, *,
                expected_version: int | None = None) -> SupportPlan:
    """A supervisor sends the newest plan back with a reason; the officer revises it."""
    ensure_visible(actor, case, "return_plan")
    rules.require_open_for_work(actor, case, action="return_plan")
    rules.require(rules.can_approve_plan(actor, case), actor, case, action="return_plan")
    ensure_version(case, expected_version)
    plan = _waiting_plan(case, plan_id)
    reason = _send_back_reason(data)
    grant = rules.grant_send_back(actor, case, action="return_plan")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        plan.returned_by_id = actor.id
        plan.returned_at = now
        plan.return_reason = reason
        _touch(case, now)
        _audit("case.plan_returned", actor, case, version=plan.version)
        hooks.run(hooks.case_event, "plan_returned", actor, case, {})
    return plan


def record_decision(actor, case: Case, data: DecisionData) -> SupportPlan:
    """The commune chairman's decision approving the plan (Mẫu 05, Art. 28(4)),
    recorded by the people on the case when it comes back (also after closure)."""
    ensure_visible(actor, case, "record_decision")
    rules.require(rules.can_record_decision(actor, case), actor, case,
                  action="record_decision")
    plan = case.approved_plan
    number = clean_text(data.number, "number", required=True, max_length=60,
                        message=_l("Give the decision's number."))
    signatory = clean_text(data.signatory, "signatory", required=True,
                           message=_l("Give who signed the decision."))
    decided_on = data.decided_on
    if decided_on is None or not isinstance(decided_on, date) or isinstance(decided_on, datetime):
        raise CaseError(_l("Give the decision's date."), field="decided_on")
    local = clock.local_timezone()
    if decided_on > clock.local_today():
        raise CaseError(_l("The decision's date cannot be in the future."), field="decided_on")
    check_day(decided_on, "decided_on")
    if decided_on < plan.drafted_at.astimezone(local).date():
        raise CaseError(_l("The decision's date is before the plan was drafted."),
                        field="decided_on")
    grant = rules.grant_case_change(actor, case, action="record_decision", after_closure=True)
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        plan.decision_number = number
        plan.decision_date = decided_on
        plan.decision_signatory = signatory
        plan.decision_recorded_by_id = actor.id
        plan.decision_recorded_at = now
        if plan.id == case.approved_plan.id:
            case.decision_recorded_at = now
        _touch(case, now)
        deadlines.refresh(case)
        _audit("case.plan_decision", actor, case, version=plan.version)
    return plan


def record_support_action(actor, case: Case, data: SupportActionData) -> SupportAction:
    """A dated action; an emergency measure (from intake on, before any plan)
    meets the 12-hour deadline.

    The next follow-up given here replaces the planned one (None: none planned).
    """
    ensure_visible(actor, case, "support_action")
    rules.require_open_for_work(actor, case, action="support_action")
    if data.kind not in ACTION_KINDS:
        raise CaseError(_l("Choose the kind of action."), field="kind")
    emergency = data.kind in EMERGENCY_KINDS
    stages = ("intake", "assessment", "support", "referral") if emergency \
        else ("support", "referral")
    if case.stage not in stages:
        raise CaseError(_l("Before support starts (with an approved plan) only emergency "
                           "measures can be recorded."), field="kind")
    description = clean_text(data.description, "description", required=True,
                             max_length=LONG_TEXT, message=_l("Describe what was done."))
    performed_at = aware_datetime(data.performed_at, "performed_at") or clock.now()
    _not_future(performed_at, "performed_at")
    follow_up = aware_datetime(data.next_follow_up_at, "next_follow_up_at")
    grant = rules.grant_case_change(actor, case, action="support_action")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        action = SupportAction(case=case, kind=data.kind, performed_at=performed_at,
                               recorded_by_id=actor.id, recorded_at=now)
        action.description = description
        db.session.add(action)
        if emergency and case.emergency_done_at is None:
            case.emergency_done_at = performed_at
        case.next_follow_up_at = hooks.earliest_follow_up(case, follow_up)
        _touch(case, now)
        deadlines.refresh(case)
        _audit("case.support_action", actor, case, kind=data.kind)
    return action


def add_referral(actor, case: Case, data: ReferralData) -> Referral:
    """Another agency, while the case is in referral (the first comes with the transition)."""
    ensure_visible(actor, case, "add_referral")
    rules.require_open_for_work(actor, case, action="add_referral")
    allowed = rules.is_lead_officer(actor, case) and case.stage == "referral" \
        and not case.is_purged
    rules.require(allowed, actor, case, action="add_referral")
    workflow.check_referral(case, data)
    grant = rules.grant_case_change(actor, case, action="add_referral")
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        referral = workflow.make_referral(actor, case, data, now)
        _touch(case, now)
        _audit("case.referral", actor, case, agency=data.agency, status="sent")
    return referral


def update_referral(actor, case: Case, referral_id: str, data: ReferralStatusData) -> Referral:
    """An agency accepted, declined or completed: sent → accepted → completed (or declined)."""
    ensure_visible(actor, case, "update_referral")
    allowed = rules.is_assignee(actor, case) and not case.is_purged
    rules.require(allowed, actor, case, action="update_referral")
    referral = next((r for r in case.referrals if r.id == referral_id), None)
    if referral is None:
        raise CaseError(_l("Unknown referral."), field="referral")
    if data.status not in REFERRAL_STEPS.get(referral.status, ()):
        raise CaseError(_l("This referral cannot change to that status."), field="status")
    at = aware_datetime(data.at, "at") or clock.now()
    _not_future(at, "at")
    if at < referral.sent_at:
        raise CaseError(_l("This date is before the referral was sent."), field="at")
    outcome = clean_text(data.outcome, "outcome", max_length=LONG_TEXT)
    # An agency's answer can come after the case closed: it is still recorded.
    grant = rules.grant_case_change(actor, case, action="update_referral", after_closure=True)
    now = clock.now()
    with atomic():
        unlock(case, grant=grant)
        referral.status = data.status
        setattr(referral, f"{data.status}_at", at)
        referral.updated_at = now
        if outcome:
            referral.outcome = outcome
        _touch(case, now)
        _audit("case.referral_status", actor, case, agency=referral.agency_code,
               status=data.status)
    return referral

