"""The case workflow as JSON under /api/v1 (session cookie plus X-CSRFToken header).

Like the screens: parse the body into the domain's typed data, load the case
through the scoped query (a case outside the caller's scope is a 404,
audited), call one service function, and answer a CaseError as 422 with the
field it names. Each route declares its OpenAPI entry next to it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.api import openapi
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules

from . import data, deadlines, queries, service
from .errors import CaseConflict, CaseError, IntakeLimitReached
from .models import Case

bp = Blueprint("cases_api", __name__, url_prefix="/api/v1")


class InputError(Exception):
    def __init__(self, field: str, message):
        super().__init__(field)
        self.field = field
        self.message = message


@bp.before_request
@login_required
def require_login():
    """Every case call needs a logged-in caller (401 JSON otherwise)."""


@bp.errorhandler(InputError)
def input_error(exc: InputError):
    return error(422, _l("Some fields are not valid."), {exc.field: str(exc.message)})


@bp.errorhandler(CaseConflict)
def conflict(exc: CaseConflict):
    return error(409, exc.message)


@bp.errorhandler(CaseError)
def case_error(exc: CaseError):
    if isinstance(exc, IntakeLimitReached):
        return error(429, exc.message)
    return error(422, exc.message, {exc.field or "_": str(exc.message)})


@bp.errorhandler(PermissionDenied)
def denied(exc: PermissionDenied):
    return error(403, exc.message)


def error(code: int, message, fields: dict | None = None):
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), code


# --- parsing: JSON values into typed data, with the field named on error -----------------------

def body() -> dict:
    # Not silent: a body the JSON gate refuses is a 400 naming the field.
    payload = request.get_json(silent=request.content_type is None)
    if not isinstance(payload, dict):
        raise InputError("_", _l("Send a JSON object (Content-Type: application/json)."))
    return payload


def obj(payload: dict, name: str, prefix: str = "") -> dict:
    value = payload.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(prefix + name, _l("This must be an object."))
    return value


def text(payload: dict, name: str, prefix: str = "", default: str = "") -> str:
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InputError(prefix + name, _l("This must be text."))
    return value


def flag(payload: dict, name: str, prefix: str = "", default: bool | None = False):
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InputError(prefix + name, _l("This must be true or false."))
    return value


def codes(payload: dict, name: str) -> tuple[str, ...]:
    value = payload.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(name, _l("This must be a list of codes."))
    return tuple(value)


def moment(payload: dict, name: str, prefix: str = "") -> datetime | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(prefix + name, _l("Give a date and time in ISO 8601 (2026-03-01T09:30+07:00)."))


def day(payload: dict, name: str, prefix: str = "") -> date | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(prefix + name, _l("Give a date in ISO 8601 (2012-03-04)."))


def whole(payload: dict, name: str, prefix: str = "") -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(prefix + name, _l("This must be a whole number."))
    return value


def optional_body() -> dict:
    """A body that may be empty; anything but an object is refused."""
    if not request.get_data(cache=True):
        return {}
    payload = request.get_json(silent=request.content_type is None)
    if payload is None or payload == {}:
        return {}
    if not isinstance(payload, dict):
        raise InputError("_", _l("Send a JSON object (Content-Type: application/json)."))
    return payload


def version(payload: dict) -> int | None:
    return whole(payload, "version")


def intake_data(payload: dict) -> data.IntakeData:
    child = obj(payload, "child")
    reporter = obj(payload, "reporter")
    consent = obj(payload, "consent")
    accounts = payload.get("offender_accounts") or []
    if not isinstance(accounts, list):
        raise InputError("offender_accounts", _l("This must be a list."))
    offenders = []
    for i, account in enumerate(accounts):
        if isinstance(account, str):
            offenders.append(data.OffenderAccountData(account))
        elif isinstance(account, dict):
            offenders.append(data.OffenderAccountData(
                text(account, "handle", f"offender_accounts.{i}."),
                text(account, "platform", f"offender_accounts.{i}.") or None))
        else:
            raise InputError(f"offender_accounts.{i}", _l("Give an account name or link."))
    received_at = moment(payload, "received_at")
    if received_at is None:
        raise InputError("received_at", _l("Give the date and time the report was received."))
    return data.IntakeData(
        unit=text(payload, "unit"), received_at=received_at,
        channel=text(payload, "channel"), requested_by=text(payload, "requested_by"),
        child=data.ChildData(
            full_name=text(child, "full_name", "child."),
            date_of_birth=day(child, "date_of_birth", "child."),
            estimated_age=whole(child, "estimated_age", "child."),
            gender=text(child, "gender", "child.", "unknown"),
            address=text(child, "address", "child."), school=text(child, "school", "child."),
            school_class=text(child, "school_class", "child."),
            phone=text(child, "phone", "child."),
            guardian_name=text(child, "guardian_name", "child."),
            guardian_contact=text(child, "guardian_contact", "child.")),
        consent=data.ConsentData(child=flag(consent, "child", "consent.", None),
                                 guardian=flag(consent, "guardian", "consent."),
                                 legal_ground=text(consent, "legal_ground", "consent.") or None,
                                 note=text(consent, "note", "consent.")),
        help_requested=flag(payload, "help_requested", default=True),
        harm_categories=codes(payload, "harm_categories"),
        platforms=codes(payload, "platforms"), offender_accounts=tuple(offenders),
        reporter=data.ReporterData(text(reporter, "name", "reporter."),
                                   text(reporter, "relation", "reporter."),
                                   text(reporter, "phone", "reporter.")),
        narrative=text(payload, "narrative"),
        immediate_danger=flag(payload, "immediate_danger"),
        evidence_location=text(payload, "evidence_location"))


def referral_data(payload: dict) -> data.ReferralData:
    return data.ReferralData(agency=text(payload, "agency"), reason=text(payload, "reason"),
                             sharing_basis=text(payload, "sharing_basis"),
                             what_was_sent=text(payload, "what_was_sent"),
                             sent_at=moment(payload, "sent_at"))


def transition_data(case: Case, target: str, payload: dict):
    """The typed data of the step from the case's stage to ``target`` (None: no such step)."""
    step = (case.stage, target)
    if step == ("intake", "assessment"):
        return data.AssessmentData(risk_level=text(payload, "risk_level"),
                                   notes=text(payload, "notes"),
                                   immediate_danger=flag(payload, "immediate_danger"))
    if step == ("closure", "assessment"):
        return data.ReopenData(reason=text(payload, "reason"))
    if step == ("assessment", "support"):
        needs = payload.get("needs_assessment")
        if isinstance(needs, dict):
            needs = text(needs, "notes", "needs_assessment.")
        elif needs is not None and not isinstance(needs, str):
            raise InputError("needs_assessment", _l("This must be text."))
        return data.SupportData(
            needs_assessment=data.NeedsAssessmentData(notes=needs) if needs else None,
            note=text(payload, "note"))
    if step == ("referral", "support"):
        return data.ReturnData(reason=text(payload, "reason"))
    if target == "referral":
        return referral_data(payload)
    if target == "closure":
        return data.ClosureApproval()
    return None


def find_user(value, field: str) -> str:
    """A user id from an id or a username (the service checks who may be assigned)."""
    if not isinstance(value, str) or not value:
        raise InputError(field, _l("Give a username."))
    user = db.session.scalar(select(User).where(or_(User.id == value, User.username == value)))
    return user.id if user is not None else value


# --- answers -------------------------------------------------------------------------------------

def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def usernames(ids) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u.username for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def summary(case: Case, names: dict[str, str], now: datetime) -> dict:
    """Operational metadata: in clear in the database, shown to everyone who sees the case."""
    return {
        "reference": case.reference, "unit": case.unit.code, "stage": case.stage,
        "version": case.version_id, "received_at": iso(case.received_at),
        "channel": case.channel_code, "requested_by": case.requested_by_code,
        "help_requested": case.help_requested, "immediate_danger": case.immediate_danger,
        "harm_categories": case.harm_category_codes, "platforms": case.platform_codes,
        "risk_level": case.risk_level, "age_band": case.age_band, "gender": case.gender_code,
        "lead_officer": names.get(case.lead_officer_id),
        "assignees": sorted(names.get(i, i) for i in case.assignee_ids),
        "next_deadline_at": iso(case.next_deadline_at), "overdue": case.is_overdue(now),
        "deadlines": [{"step": step, "due_at": iso(due), "overdue": due <= now}
                      for step, due in deadlines.pending(case)],
        "closure_requested": case.closure_pending, "closure_reason": case.closure_reason_code,
        "closed_at": iso(case.closed_at),
    }


def child_block(case: Case) -> dict:
    """The sealed data of an unlocked case."""
    return {
        "child": {"full_name": case.child_full_name,
                  "date_of_birth": iso(case.child_date_of_birth),
                  "estimated_age": case.child_estimated_age, "gender": case.gender_code,
                  "address": case.child_address, "school": case.child_school,
                  "school_class": case.child_class, "phone": case.child_phone,
                  "guardian_name": case.guardian_name,
                  "guardian_contact": case.guardian_contact},
        "reporter": {"name": case.reporter_name, "relation": case.reporter_relation,
                     "phone": case.reporter_phone},
        "consent": {"child": case.consent_child, "guardian": case.consent_guardian,
                    "legal_ground": case.legal_ground, "note": case.consent_note},
        "narrative": case.narrative,
        "offender_accounts": [{"handle": a.handle, "platform": a.platform_code}
                              for a in case.offender_accounts],
        "evidence_location": case.evidence_location,
        "outcome_summary": case.outcome_summary,
    }


def open_if_allowed(case: Case) -> bool:
    """The API hands out a copy (JSON): only to the people working on the case.
    Break-glass is read-only on the case page."""
    if rules.can_copy_child_data(current_user, case):
        service.open_child_data(current_user, case)
        return True
    return False


def detail(case: Case, child: bool, names: dict[str, str], now: datetime) -> dict:
    result = summary(case, names, now)
    result.update(child_block(case) if child else {"child": None})
    result["child_data_hidden"] = not child
    result["consent_basis"] = {"child": case.consent_child, "guardian": case.consent_guardian,
                               "legal_ground": case.legal_ground}
    result["transitions"] = [{"from": t.from_stage, "to": t.to_stage, "at": iso(t.occurred_at),
                              "by": names.get(t.actor_id), "reason": t.reason_code,
                              "note": (t.note if child else None)} for t in case.transitions]
    result["assessments"] = [{"kind": a.kind, "risk_level": a.risk_level,
                              "immediate_danger": a.immediate_danger,
                              "at": iso(a.recorded_at), "by": names.get(a.recorded_by_id),
                              "notes": (a.notes if child else None)} for a in case.assessments]
    result["plans"] = [{"id": p.id, "version": p.version, "drafted_at": iso(p.drafted_at),
                        "drafted_by": names.get(p.drafted_by_id),
                        "approved_at": iso(p.approved_at),
                        "approved_by": names.get(p.approved_by_id),
                        "goals": (p.goals if child else None), "items": (p.items if child else None)} for p in case.plans]
    result["support_actions"] = [{"kind": a.kind, "performed_at": iso(a.performed_at),
                                  "by": names.get(a.recorded_by_id),
                                  "description": (a.description if child else None)}
                                 for a in case.support_actions]
    result["referrals"] = [{"id": r.id, "agency": r.agency_code, "status": r.status,
                            "sharing_basis": r.sharing_basis, "sent_at": iso(r.sent_at),
                            "accepted_at": iso(r.accepted_at),
                            "declined_at": iso(r.declined_at),
                            "completed_at": iso(r.completed_at), "reason": (r.reason if child else None),
                            "what_was_sent": (r.what_was_sent if child else None),
                            "outcome": (r.outcome if child else None)} for r in case.referrals]
    result["notes"] = [{"stage": n.stage, "at": iso(n.created_at), "by": names.get(n.author_id),
                        "text": (n.text if child else None)} for n in case.notes]
    return result


def people_of(case: Case) -> set[str]:
    return ({case.lead_officer_id, case.recorded_by_id, case.closure_requested_by_id}
            | case.assignee_ids | {t.actor_id for t in case.transitions}
            | {a.recorded_by_id for a in case.assessments}
            | {p.drafted_by_id for p in case.plans} | {p.approved_by_id for p in case.plans}
            | {a.recorded_by_id for a in case.support_actions}
            | {n.author_id for n in case.notes})


def changed(case: Case, status: int = 200, **extra):
    """The answer to a change: the case's metadata (no child data) and what was made."""
    names = usernames({case.lead_officer_id} | case.assignee_ids)
    return jsonify(case=summary(case, names, clock.now()), **extra), status


# --- routes --------------------------------------------------------------------------------------

@bp.get("/cases")
def list_cases():
    include_closed = request.args.get("closed") in ("1", "true")
    now = clock.now()
    cases = queries.fetch_cases(current_user, queries.my_cases(
        current_user, include_closed=include_closed, now=now))
    names = usernames({c.lead_officer_id for c in cases}
                      | {i for c in cases for i in c.assignee_ids})
    rows = []
    for case in cases:
        row = summary(case, names, now)
        child = open_if_allowed(case)
        row["child"] = child_block(case)["child"] if child else None
        row["child_data_hidden"] = not child
        rows.append(row)
    return jsonify(cases=rows)


@bp.post("/cases")
def create_case():
    case = service.record_intake(current_user, intake_data(body()))
    # Whether a likely earlier case of the child / an offender named before
    # exists: yes or no only (caseapp.care.matching), never which case.
    from caseapp.care.matching import match_flags

    response, status = changed(case, 201, reference=case.reference, **match_flags(case))
    response.headers["Location"] = url_for("cases_api.get_case", reference=case.reference)
    return response, status


@bp.get("/cases/<reference>")
def get_case(reference: str):
    case = queries.load_case(current_user, reference, action="api:open")
    child = open_if_allowed(case)
    return jsonify(case=detail(case, child, usernames(people_of(case)), clock.now()))


@bp.post("/cases/<reference>/assign")
def assign_case(reference: str):
    case = queries.load_case(current_user, reference, action="api:assign",
                             for_work=True)
    payload = body()
    others = payload.get("assignees") or []
    if not isinstance(others, list):
        raise InputError("assignees", _l("This must be a list of usernames."))
    assignment = data.AssignmentData(
        find_user(payload.get("lead_officer"), "lead_officer"),
        tuple(find_user(v, f"assignees.{i}") for i, v in enumerate(others)))
    service.assign(current_user, case, assignment, expected_version=version(payload))
    return changed(case)


@bp.post("/cases/<reference>/transition")
def transition_case(reference: str):
    case = queries.load_case(current_user, reference, action="api:transition")
    payload = body()
    target = text(payload, "to")
    if target != "assessment":  # reopening is the only move out of closure
        rules.require_open_for_work(current_user, case, action="api:transition")
    service.transition(current_user, case, target, transition_data(case, target, payload),
                       expected_version=version(payload))
    return changed(case)


@bp.post("/cases/<reference>/notes")
def add_note(reference: str):
    case = queries.load_case(current_user, reference, action="api:note",
                             for_work=True)
    note = service.add_note(current_user, case, data.NoteData(text=text(body(), "text")))
    return changed(case, 201, note={"stage": note.stage, "at": iso(note.created_at)})


@bp.post("/cases/<reference>/referrals")
def add_referral(reference: str):
    case = queries.load_case(current_user, reference, action="api:referral",
                             for_work=True)
    referral = service.add_referral(current_user, case, referral_data(body()))
    return changed(case, 201, referral={"id": referral.id, "status": referral.status})


@bp.post("/cases/<reference>/sharing-consents")
def sharing_consent(reference: str):
    from caseapp.care.consent import SharingConsentData, record_sharing_consent

    case = queries.load_case(current_user, reference, action="api:sharing_consent",
                             for_work=True)
    payload = body()
    row = record_sharing_consent(current_user, case, SharingConsentData(
        agency=text(payload, "agency"), basis=text(payload, "basis"),
        child=flag(payload, "child", default=None), guardian=flag(payload, "guardian") is True,
        note=text(payload, "note")))
    return changed(case, 201, sharing_consent={"id": row.id, "agency": row.agency_code,
                                               "basis": row.basis,
                                               "recorded_at": iso(row.recorded_at)})


@bp.post("/cases/<reference>/referrals/<referral_id>")
def update_referral(reference: str, referral_id: str):
    case = queries.load_case(current_user, reference, action="api:referral_status")
    payload = body()
    referral = service.update_referral(current_user, case, referral_id, data.ReferralStatusData(
        status=text(payload, "status"), at=moment(payload, "at"),
        outcome=text(payload, "outcome")))
    return changed(case, referral={"id": referral.id, "status": referral.status})


@bp.post("/cases/<reference>/needs-assessments")
def needs_assessment(reference: str):
    case = queries.load_case(current_user, reference, action="api:needs",
                             for_work=True)
    service.record_needs_assessment(current_user, case,
                                    data.NeedsAssessmentData(notes=text(body(), "notes")))
    return changed(case, 201)


@bp.post("/cases/<reference>/plans")
def draft_plan(reference: str):
    case = queries.load_case(current_user, reference, action="api:plan",
                             for_work=True)
    payload = body()
    items = payload.get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError("items", _l("This must be a list of actions."))
    plan = service.draft_plan(current_user, case, data.PlanData(
        goals=text(payload, "goals"),
        items=tuple(data.PlanItem(action=text(item, "action", f"items.{i}."),
                                  who=text(item, "who", f"items.{i}."),
                                  due=day(item, "due", f"items.{i}."))
                    for i, item in enumerate(items)),
        follow_up_at=moment(payload, "follow_up_at")), expected_version=version(payload))
    return changed(case, 201, plan={"id": plan.id, "version": plan.version})


@bp.post("/cases/<reference>/plans/<plan_id>/approve")
def approve_plan(reference: str, plan_id: str):
    case = queries.load_case(current_user, reference, action="api:approve_plan",
                             for_work=True)
    plan = service.approve_plan(current_user, case, plan_id,
                                expected_version=version(optional_body()))
    return changed(case, plan={"id": plan.id, "version": plan.version,
                               "approved_at": iso(plan.approved_at)})


@bp.post("/cases/<reference>/support-actions")
def support_action(reference: str):
    case = queries.load_case(current_user, reference, action="api:support_action",
                             for_work=True)
    payload = body()
    service.record_support_action(current_user, case, data.SupportActionData(
        kind=text(payload, "kind"), description=text(payload, "description"),
        performed_at=moment(payload, "performed_at"),
        next_follow_up_at=moment(payload, "next_follow_up_at")))
    return changed(case, 201)


@bp.post("/cases/<reference>/closure-request")
def request_closure(reference: str):
    case = queries.load_case(current_user, reference, action="api:request_closure",
                             for_work=True)
    payload = body()
    service.request_closure(current_user, case, data.ClosureData(
        reason=text(payload, "reason"), outcome_summary=text(payload, "outcome_summary"),
        review_harm=text(payload, "review_harm"), review_access=text(payload, "review_access"),
        review_obstacles=text(payload, "review_obstacles"),
        review_notes=text(payload, "review_notes")), expected_version=version(payload))
    return changed(case)


@bp.post("/cases/<reference>/closure-rejection")
def reject_closure(reference: str):
    case = queries.load_case(current_user, reference, action="api:reject_closure",
                             for_work=True)
    service.reject_closure(current_user, case,
                           expected_version=version(optional_body()))
    return changed(case)


# --- OpenAPI ---------------------------------------------------------------------------------

def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


_ERROR = _json(_ref("Error"))
_CHANGE_ERRORS = {
    "403": {"description": "Visible to you, but you may not do this now", **_ERROR},
    "409": {"description": "Someone else saved the case first (version); nothing was written",
            **_ERROR},
    "422": {"description": "Invalid input: error.fields names each field", **_ERROR},
}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_VERSION = {"type": "integer", "description": "The case's version you saw (optional): a "
                                              "newer one answers 409"}
_LEVEL = {"type": "string", "enum": ["high", "medium", "low"]}
_REF_PARAM = [{"name": "reference", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": "^HS-[2-9A-HJ-NP-Z]{8}$"}}]

openapi.add_schema("CaseSummary", {"type": "object", "properties": {
    "reference": _STR, "unit": _STR,
    "stage": {"type": "string", "enum": ["intake", "assessment", "support", "referral",
                                         "closure"]},
    "version": {"type": "integer"}, "received_at": _TIME, "channel": _STR,
    "requested_by": _STR, "help_requested": _BOOL, "immediate_danger": _BOOL,
    "harm_categories": {"type": "array", "items": _STR},
    "platforms": {"type": "array", "items": _STR},
    "risk_level": {"type": ["string", "null"]}, "age_band": _STR, "gender": _STR,
    "lead_officer": {"type": ["string", "null"], "description": "username"},
    "assignees": {"type": "array", "items": _STR}, "next_deadline_at": {"type": ["string",
                                                                                "null"]},
    "overdue": _BOOL, "closure_requested": _BOOL,
    "deadlines": {"type": "array", "items": {"type": "object", "properties": {
        "step": _STR, "due_at": _TIME, "overdue": _BOOL}}},
    "child": {"type": ["object", "null"],
              "description": "Only where you may see the child's data (viewing is audited)"},
    "child_data_hidden": _BOOL}})
openapi.add_schema("CaseDetail", {"allOf": [_ref("CaseSummary"), {"type": "object", "properties": {
    "reporter": {"type": "object"}, "consent": {"type": "object"}, "narrative": _STR,
    "offender_accounts": {"type": "array"}, "transitions": {"type": "array"},
    "assessments": {"type": "array"}, "plans": {"type": "array"},
    "support_actions": {"type": "array"}, "referrals": {"type": "array"},
    "notes": {"type": "array"}}}]})
openapi.add_schema("Intake", {
    "type": "object", "description": "Form Mẫu 01 (Decree 56/2017). Codes are the stable codes "
                                     "of the admin-editable lists.",
    "required": ["unit", "received_at", "channel", "requested_by", "harm_categories",
                 "narrative", "child", "consent"],
    "properties": {
        "unit": {"type": "string", "description": "unit code"},
        "received_at": {**_TIME, "description": "to the minute; without offset: Vietnam time"},
        "channel": {"type": "string", "examples": ["hotline_111", "hotline_app", "online_report",
                                                  "police", "school", "commune", "walk_in",
                                                  "phone", "email", "other"]},
        "help_requested": _BOOL,
        "requested_by": {"type": "string", "examples": ["child", "relative", "community",
                                                       "agency"]},
        "harm_categories": {"type": "array", "items": _STR, "minItems": 1},
        "platforms": {"type": "array", "items": _STR},
        "offender_accounts": {"type": "array", "items": {"oneOf": [_STR, {
            "type": "object", "properties": {"handle": _STR, "platform": _STR}}]}},
        "immediate_danger": _BOOL, "narrative": _STR, "evidence_location": _STR,
        "child": {"type": "object", "required": ["full_name"], "properties": {
            "full_name": _STR, "date_of_birth": _DATE,
            "estimated_age": {"type": "integer", "description": "when the date is unknown"},
            "gender": {"type": "string", "enum": ["female", "male", "other", "unknown"]},
            "address": _STR, "school": _STR, "school_class": _STR, "phone": _STR,
            "guardian_name": _STR, "guardian_contact": _STR}},
        "reporter": {"type": "object", "properties": {"name": _STR, "relation": _STR,
                                                      "phone": _STR}},
        "consent": {"type": "object", "properties": {
            "child": {"type": ["boolean", "null"], "description": "needed from age 7"},
            "guardian": _BOOL,
            "legal_ground": {"type": ["string", "null"], "enum": ["emergency", "legal_duty",
                                                                  None]},
            "note": _STR}},
    }})
openapi.add_schema("Referral", {"type": "object", "required": ["agency", "reason",
                                                              "sharing_basis"],
                                "properties": {"agency": _STR, "reason": _STR,
                                               "sharing_basis": {"type": "string", "enum": [
                                                   "consent", "emergency", "legal_duty"]},
                                               "what_was_sent": _STR, "sent_at": _TIME}})
openapi.add_schema("Transition", {
    "type": "object", "required": ["to"],
    "description": "The data of the step: intake→assessment {risk_level, notes, "
                   "immediate_danger}; assessment→support {needs_assessment, note}; "
                   "support→referral (Referral); referral→support {reason}; →closure (a "
                   "supervisor's approval of the closure request); closure→assessment "
                   "(reopen) {reason}.",
    "properties": {"to": {"type": "string", "enum": ["assessment", "support", "referral",
                                                     "closure"]},
                   "version": _VERSION, "risk_level": _LEVEL, "notes": _STR,
                   "immediate_danger": _BOOL, "needs_assessment": _STR, "note": _STR,
                   "reason": _STR, "agency": _STR, "sharing_basis": _STR,
                   "what_was_sent": _STR}})


def _change(summary_text: str, schema: dict | None, *, created: bool = False,
            params: list | None = None) -> dict:
    operation: dict[str, Any] = {
        "summary": summary_text,
        "parameters": _REF_PARAM + (params or []),
        "responses": {("201" if created else "200"): {
            "description": "Done: the case's metadata", **_json({"type": "object", "properties": {
                "case": _ref("CaseSummary")}})}, **_CHANGE_ERRORS},
    }
    if schema is not None:
        operation["requestBody"] = {"required": True, **_json(schema)}
    return operation


openapi.add_path("/cases", "get", {
    "summary": "Cases you may see, nearest deadline first (overdue first)",
    "parameters": [{"name": "closed", "in": "query", "schema": {"type": "string",
                                                                "enum": ["1"]},
                    "description": "include closed cases"}],
    "responses": {"200": {"description": "Metadata, and child data only where you may see it",
                          **_json({"type": "object", "properties": {"cases": {
                              "type": "array", "items": _ref("CaseSummary")}}})}}})
openapi.add_path("/cases", "post", {
    "summary": "Record a report (intake, form Mẫu 01)",
    "requestBody": {"required": True, **_json(_ref("Intake"))},
    "responses": {"201": {"description": "Recorded", **_json({"type": "object", "properties": {
        "reference": _STR, "case": _ref("CaseSummary"),
        "possible_duplicate": {"type": "boolean", "description":
                               "a likely earlier case of the same child exists (blind-index "
                               "match, can be a coincidence): ask a supervisor"},
        "repeat_offender": {"type": "boolean", "description":
                            "an offender account was possibly named in another case"}}})},
        "403": _CHANGE_ERRORS["403"], "422": _CHANGE_ERRORS["422"]}})
openapi.add_path("/cases/{reference}", "get", {
    "summary": "One case: metadata, timeline, and child data only where you may see it",
    "parameters": _REF_PARAM,
    "responses": {"200": {"description": "The case", **_json({"type": "object", "properties": {
        "case": _ref("CaseDetail")}})}}})
openapi.add_path("/cases/{reference}/assign", "post", _change(
    "Assign the lead officer and the others on the case (supervisors)",
    {"type": "object", "required": ["lead_officer"], "properties": {
        "lead_officer": {"type": "string", "description": "username (or user id)"},
        "assignees": {"type": "array", "items": _STR}, "version": _VERSION}}))
openapi.add_path("/cases/{reference}/transition", "post", _change(
    "Move the case to another stage with the data that step needs", _ref("Transition")))
openapi.add_path("/cases/{reference}/notes", "post", _change(
    "Add a note (at any stage)", {"type": "object", "required": ["text"],
                                  "properties": {"text": _STR}}, created=True))
openapi.add_path("/cases/{reference}/referrals", "post", _change(
    "Refer to another agency (while in referral)", _ref("Referral"), created=True))
openapi.add_path("/cases/{reference}/sharing-consents", "post", _change(
    "Record the consent of the child (7+) and guardian to share the case with one agency, "
    "or the legal ground used without it (a referral on consent needs one)",
    {"type": "object", "required": ["agency", "basis"], "properties": {
        "agency": _STR, "basis": {"type": "string",
                                  "enum": ["consent", "emergency", "legal_duty"]},
        "child": {"type": "boolean"}, "guardian": {"type": "boolean"}, "note": _STR}},
    created=True))
openapi.add_path("/cases/{reference}/referrals/{referral_id}", "post", _change(
    "An agency accepted, declined or completed a referral",
    {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string", "enum": ["accepted", "declined", "completed"]},
        "at": _TIME, "outcome": _STR}},
    params=[{"name": "referral_id", "in": "path", "required": True, "schema": _STR}]))
openapi.add_path("/cases/{reference}/needs-assessments", "post", _change(
    "Record the needs assessment (form 03)", {"type": "object", "required": ["notes"],
                                              "properties": {"notes": _STR}}, created=True))
openapi.add_path("/cases/{reference}/plans", "post", _change(
    "Draft or revise the support plan (form 04)",
    {"type": "object", "required": ["goals", "items"], "properties": {
        "goals": _STR, "follow_up_at": _TIME, "version": _VERSION,
        "items": {"type": "array", "items": {"type": "object", "required": ["action"],
                                             "properties": {"action": _STR, "who": _STR,
                                                            "due": _DATE}}}}}, created=True))
openapi.add_path("/cases/{reference}/plans/{plan_id}/approve", "post", _change(
    "Approve the newest plan (form 05, supervisors)",
    {"type": "object", "properties": {"version": _VERSION}},
    params=[{"name": "plan_id", "in": "path", "required": True, "schema": _STR}]))
openapi.add_path("/cases/{reference}/support-actions", "post", _change(
    "Record a dated support action (kind emergency meets the emergency deadline)",
    {"type": "object", "required": ["kind", "description"], "properties": {
        "kind": _STR, "description": _STR, "performed_at": _TIME,
        "next_follow_up_at": _TIME}}, created=True))
openapi.add_path("/cases/{reference}/closure-request", "post", _change(
    "Request closure: reason, outcome and the review (form 06, lead officer)",
    {"type": "object", "required": ["reason", "outcome_summary", "review_harm",
                                    "review_access", "review_obstacles"],
     "properties": {"reason": _STR, "outcome_summary": _STR, "review_harm": _LEVEL,
                    "review_access": _LEVEL, "review_obstacles": _LEVEL,
                    "review_notes": _STR, "version": _VERSION}}))
openapi.add_path("/cases/{reference}/closure-rejection", "post", _change(
    "Send a closure request back (supervisors); approving is the transition to closure",
    {"type": "object", "properties": {"version": _VERSION}}))
