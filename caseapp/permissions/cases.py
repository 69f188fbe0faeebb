"""Who may do what with a case: named rules, the grants that open a case's
data key, and the audited denial.

The role table of DESIGN.md, as rules on a loaded case:

* counselor: cases they recorded while still at intake, and cases assigned to them;
* officer: cases assigned to them (as lead officer or as another assignee), and,
  like a counselor, an intake they recorded until it leaves intake;
* supervisor: the metadata of every case in their unit subtree; child data only
  when assigned, or read-only through an active break-glass access of their own
  (:mod:`caseapp.break_glass`); assigns, approves plans and closures, and
  while an approval waits reads what it approves (:func:`grant_approval_view`:
  the plan, the assessments, the review; never the child's name or contacts);
* admin: no case at all.

:func:`caseapp.cases.queries.visible_cases` is the same rule as SQL; the two
are tested against each other.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from caseapp.auditing import reads as audit_reads
from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.crypto.grants import Grant, issue_grant

from . import PermissionDenied
from . import public_help as public

STAFF_ROLES = ("counselor", "officer", "supervisor")
INTAKE_ROLES = ("counselor", "officer")
ASSIGNABLE_ROLES = ("counselor", "officer")


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.is_enabled and not user.awaiting_confirmation
                and user.role in STAFF_ROLES and intact(user))


def unit_contains(outer, inner) -> bool:
    """``inner`` is ``outer`` or below it in the unit tree (both paths genuine)."""
    return bool(outer is not None and inner is not None and outer.path
                and inner.path.startswith(outer.path) and intact(outer) and intact(inner))


# --- relations between a user and a case ---------------------------------------------------

def is_lead_officer(user, case) -> bool:
    return _active(user) and user.role == "officer" and case.lead_officer_id == user.id \
        and intact(case)


def is_assignee(user, case) -> bool:
    """Lead officer or another assignee (an assignment row counts only when genuine)."""
    return _active(user) and intact(case) and (
        case.lead_officer_id == user.id
        or any(a.user_id == user.id and intact(a) for a in case.assignees))


def is_intake_recorder(user, case) -> bool:
    """The person who recorded the report, while it is at intake and in their
    units: a report transferred to another unit leaves them (issue 17)."""
    return _active(user) and case.stage == "intake" and case.recorded_by_id == user.id \
        and intact(case) and unit_contains(user.unit, case.unit)


def is_supervisor_of(user, case) -> bool:
    return _active(user) and user.role == "supervisor" and intact(case) \
        and unit_contains(user.unit, case.unit)


# --- named rules -------------------------------------------------------------------------------

def can_view_case(user, case) -> bool:
    """The case exists for this user (its metadata at least)."""
    return is_supervisor_of(user, case) or is_assignee(user, case) \
        or is_intake_recorder(user, case) or public.is_triage_reader(user, case)


# The break-glass feature (above this layer) tells how to find a user's active
# access to a case; until it registers, there is none.
def _break_glass_lookup(_user: Any, _case: Any) -> Any:
    return None


def register_break_glass_lookup(lookup: Callable[[Any, Any], Any]) -> None:
    global _break_glass_lookup
    _break_glass_lookup = lookup


def active_break_glass(user, case):
    """``user``'s active, genuine break-glass access to ``case``, or None.

    Asked every time (every request): an access ends on its own, nothing has
    to revoke it. Only a supervisor of the case can hold one.
    """
    if not (is_supervisor_of(user, case) and case.id):
        return None
    return _break_glass_lookup(user, case)


def can_break_glass(user, case) -> bool:
    """A supervisor of the case's unit who is not working on it may ask for
    emergency read-only access to an open case's child data (with a written
    reason). On a restricted case this is the only way anyone reads it."""
    return is_supervisor_of(user, case) and not is_assignee(user, case) \
        and not case.is_purged and not case.is_closed


def _works_on(user, case) -> bool:
    return not case.is_purged and (is_assignee(user, case) or is_intake_recorder(user, case))


def can_view_child_data(user, case) -> bool:
    """Assigned people, or a supervisor's break-glass. On a restricted case (a
    data-subject "restrict" request granted) the assigned people lose it and
    only a supervisor's break-glass remains: a restriction only ever narrows
    who sees the child, it never opens a new way in."""
    if case.is_purged:
        return False
    if case.is_restricted:
        return active_break_glass(user, case) is not None
    return _works_on(user, case) or public.is_triage_reader(user, case) \
        or active_break_glass(user, case) is not None


def can_see_reporter(user, case) -> bool:
    """Who reported, among the child's data a user may see. A reporter who asked to
    stay anonymous is known to the people on the case only (the lead officer, the
    assignees, the counselor while the intake is theirs), never to a supervisor
    (not through break-glass, not when reading for an approval), and is printed
    on no copy (:mod:`caseapp.printing`)."""
    return not case.reporter_anonymous or _works_on(user, case)


def can_copy_child_data(user, case) -> bool:
    """Take a copy of the child's data away (print a form, download evidence): the
    people working on the case. Break-glass is read-only: it shows the child's
    details on screen in an emergency and hands out no copy."""
    return _works_on(user, case) and not case.is_restricted


def is_open_for_work(case) -> bool:
    """Case work (notes, evidence and custody records, assessments, plans,
    referrals, support actions) happens on an open case. A closed case is
    closed until a supervisor reopens it; what legitimately arrives later
    (late outcomes of referrals, the commune's decision on a plan, data-subject
    requests and their answers, retention) has rules of its own."""
    return not case.is_closed and not case.is_purged


def closed_case_message():
    return _l("This case is closed: nothing can be added to it. Ask a supervisor to reopen "
              "it if work must go on.")


def can_change_child_data(user, case) -> bool:
    """Add notes, support actions, referral updates: the people working on the case
    (never through break-glass, which is read-only; never while restricted)."""
    return _works_on(user, case) and not case.is_restricted


def can_work_on_case(user, case) -> bool:
    """Add to the case's work (see :func:`is_open_for_work`): the people working
    on it, while it is open."""
    return can_change_child_data(user, case) and is_open_for_work(case)


def can_record_late_outcome(user, case) -> bool:
    """Record what arrives after closure (an agency's late answer to a referral):
    the people who worked on the case, closed or not."""
    return can_change_child_data(user, case)


def can_set_harm_categories(user, case) -> bool:
    """Correct what an open case is about: its lead officer (not while restricted)
    or a supervisor of the case."""
    return ((is_lead_officer(user, case) and not case.is_restricted)
            or is_supervisor_of(user, case)) and not case.is_closed and not case.is_purged


def can_record_sharing_consent(user, case) -> bool:
    """The people working on an open case record consent to share it with an agency."""
    return can_change_child_data(user, case) and not case.is_closed


def can_withdraw_sharing_consent(user, case) -> bool:
    return can_change_child_data(user, case) or is_supervisor_of(user, case)


def can_record_data_request(user, case) -> bool:
    """The people on the case and its supervisors take a data-subject request down."""
    return not case.is_purged and (is_assignee(user, case) or is_intake_recorder(user, case)
                                   or is_supervisor_of(user, case))


def can_answer_data_request(user, case) -> bool:
    """A supervisor of the case decides (restriction and deletion are theirs to grant)."""
    return not case.is_purged and is_supervisor_of(user, case)


def can_record_intake(user, unit) -> bool:
    """A deactivated unit takes no new case (its closed ones stay counted)."""
    return (_active(user) and user.role in INTAKE_ROLES and unit.is_active
            and unit_contains(user.unit, unit))


def can_assign(user, case) -> bool:
    return is_supervisor_of(user, case) and not case.is_closed and not case.is_purged


def can_be_assigned(supervisor, assignee, case, *, lead: bool) -> bool:
    """``assignee`` may work on ``case`` for ``supervisor``: an enabled officer (lead)
    or counselor/officer (other) whose unit is inside the supervisor's subtree."""
    roles = ("officer",) if lead else ASSIGNABLE_ROLES
    return (_active(assignee) and assignee.role in roles
            and unit_contains(supervisor.unit, assignee.unit)
            and unit_contains(supervisor.unit, case.unit))


def can_request_closure(user, case) -> bool:
    return is_lead_officer(user, case) and case.stage in ("assessment", "support", "referral") \
        and not case.is_purged and not case.is_restricted


def closure_request_offered(user, case) -> bool:
    """The form is offered once; the request then waits for a supervisor's decision."""
    return can_request_closure(user, case) and not case.closure_pending


def can_decide_closure(user, case) -> bool:
    """A supervisor of the case approves or sends back a closure request; on a
    restricted case only with their own break-glass access (they must be able
    to read what they decide on)."""
    return is_supervisor_of(user, case) and not case.is_purged and _may_read_to_decide(
        user, case) and closure_waiting(case)


def _may_read_to_decide(user, case) -> bool:
    return not case.is_restricted or active_break_glass(user, case) is not None


PLAN_STAGES = ("assessment", "support", "referral")


def can_draft_plan(user, case) -> bool:
    """The plan (Mẫu 04) is drafted in assessment and revised during support."""
    return is_lead_officer(user, case) and case.stage in PLAN_STAGES \
        and not case.is_purged and not case.is_restricted


# The procedure's state that opens a reading or the way to support is taken
# from the plan rows only when the audit log's genuine entries agree: a
# database writer who clears a plan's approval, or sets it, gains nothing.
PLAN_ACTIONS = ("case.plan", "case.plan_approved", "case.plan_returned")
CLOSURE_ACTIONS = ("case.closure_requested", "case.closure_rejected", "case.transition")


def _latest_plan_entry(case, action: str) -> bool:
    plan = case.latest_plan
    entry = audit_reads.latest_genuine(case.reference, PLAN_ACTIONS)
    return (plan is not None and entry is not None and entry.action == action
            and entry.details.get("version") == plan.version)


def plan_waiting(case) -> bool:
    """The newest plan waits for a supervisor (its row and the log agree)."""
    plan = case.latest_plan
    return plan is not None and plan.is_waiting and _latest_plan_entry(case, "case.plan")


def plan_approved(case) -> bool:
    """The newest plan was approved by a supervisor (its row and the log agree)."""
    plan = case.latest_plan
    return (plan is not None and plan.approved_at is not None
            and case.plan_approved_at is not None
            and _latest_plan_entry(case, "case.plan_approved"))


def _closure_step(entry) -> bool:
    return entry.action != "case.transition" or "closure" in (
        entry.details.get("from"), entry.details.get("to"))


def closure_waiting(case) -> bool:
    """A closure request waits (the case's columns and the log agree)."""
    if not case.closure_pending:
        return False
    entry = audit_reads.latest_genuine(case.reference, CLOSURE_ACTIONS, _closure_step)
    return entry is not None and entry.action == "case.closure_requested"


def can_approve_plan(user, case) -> bool:
    """A supervisor of the case decides on the newest plan (approve, or send back);
    on a restricted case only with their own break-glass access."""
    return is_supervisor_of(user, case) and case.stage in PLAN_STAGES \
        and not case.is_purged and _may_read_to_decide(user, case) and plan_waiting(case)


def can_record_decision(user, case) -> bool:
    """The commune's decision on the approved plan (Mẫu 05), once, by the people
    on the case; also after closure (it may come back late); never for a minor."""
    plan = case.approved_plan
    return (can_record_late_outcome(user, case) and plan is not None
            and plan.decision_recorded_at is None and not case.is_minor)


def approval_waiting(case) -> bool:
    """A plan or a closure request waits for a supervisor's decision."""
    return not case.is_purged and (
        (case.stage in PLAN_STAGES and plan_waiting(case)) or closure_waiting(case))


def can_read_for_approval(user, case) -> bool:
    """A supervisor of the case reads what they are asked to approve, while it
    waits. Not on a restricted case: there the child's data is for a
    supervisor's break-glass only, which shows them everything anyway."""
    return is_supervisor_of(user, case) and not case.is_restricted \
        and approval_waiting(case)


def can_send_back(user, case) -> bool:
    return can_approve_plan(user, case) or can_decide_closure(user, case)


def can_reopen(user, case) -> bool:
    return is_supervisor_of(user, case) and case.is_closed and not case.is_purged


def can_record_needs_assessment(user, case) -> bool:
    """The needs assessment (Mẫu 03): the people on the case once it is assessed."""
    return is_assignee(user, case) and not case.is_purged and not case.is_restricted \
        and case.stage in ("assessment", "support", "referral")


def can_add_referral(user, case) -> bool:
    """Another agency, while the case is in referral: its lead officer."""
    return case.stage == "referral" and is_lead_officer(user, case) and not case.is_purged


def can_update_referrals(user, case) -> bool:
    """An agency's answer (accepted, declined, completed), late ones included."""
    return is_assignee(user, case) and not case.is_purged and any(
        r.status in ("sent", "accepted") for r in case.referrals)


def can_open_supervision(user) -> bool:
    """The supervision queue is the supervisors' screen."""
    return _active(user) and user.role == "supervisor"


def can_open_figures(user) -> bool:
    """The figures: supervisors for their units, officers for their own caseload."""
    return can_open_supervision(user) or (_active(user) and user.role == "officer")


# --- denial ----------------------------------------------------------------------------------

def record_denial(user, case=None, *, action: str, reference: str | None = None) -> None:
    """Audit a refused access ("case.denied", outcome "denied"); no child data, ever."""
    if case is not None:
        reference = case.reference
        unit_path = case.unit.path if case.unit is not None else None
    else:
        unit_path = None
    record("case.denied", outcome="denied", actor=user, object_type="case",
           object_id=reference, unit_path=unit_path, details={"action": action})


def deny(user, case, *, action: str, message=None) -> PermissionDenied:
    """Record the denial and return the exception to raise."""
    record_denial(user, case, action=action)
    return PermissionDenied(message or _l("You are not allowed to do this with this case."))


def require(allowed: bool, user, case, *, action: str, message=None) -> None:
    if not allowed:
        raise deny(user, case, action=action, message=message)


def require_open_for_work(user, case, *, action: str) -> None:
    """Refuse case work on a closed case first, whoever asks and whatever they
    sent: a clear message, audited as a denial."""
    if case.is_closed and not case.is_purged:
        raise deny(user, case, action=action, message=closed_case_message())


# --- grants: the proof a check passed, needed to decrypt ------------------------------------

def view_basis(user, case) -> dict | None:
    """Why ``user`` may see ``case``'s child data, as audit details ({"via": ...}),
    or None when they may not. The one source for every entry that records a
    view, a print or a download, so that the who-viewed panel reads them alike."""
    if case.is_purged:
        return None
    if _works_on(user, case) and not case.is_restricted:
        return {"via": "assignment"}
    if public.is_triage_reader(user, case) and not case.is_restricted:
        # A request from the public form that nobody leads yet (public_help).
        return {"via": "public_triage"}
    access = active_break_glass(user, case)
    if access is None:
        return None
    details = {"via": "break_glass", "access_id": access.id}
    if case.is_restricted:
        details["restricted"] = True
    return details


def denied_view_message(case):
    if case.is_restricted and not case.is_purged:
        return _l("This case is restricted at the request of the child or guardian: the "
                  "child's details are hidden until a supervisor lifts the restriction.")
    return _l("You cannot see this child's details.")


def grant_case_view(user, case) -> Grant:
    """Open a case's child data for reading: checked, then audited as "case.view"."""
    details = view_basis(user, case)
    if details is None:
        raise deny(user, case, action="view_child_data", message=denied_view_message(case))
    if has_request_context():
        # The endpoint's name, never the URL (a query string can carry anything).
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.view", actor=user, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)
    return issue_grant("case.view", user.id, case.id)


def grant_case_list(user, cases) -> tuple[Grant | None, set[str]]:
    """One listed page of cases with the child's details where the reader may
    take a copy (the API's case list): each case checked as a single reading
    would be (:func:`can_copy_child_data` and :func:`view_basis`: assigned, not
    restricted, not purged; break-glass hands out no copy), then ONE "case.list"
    entry naming every reference listed ("cases") and those whose child data is
    in the answer ("child"), each also indexed for the who-viewed panel, and
    one grant covering those cases. Returns the grant (None when no child data
    is shown) and the ids of the cases it opens."""
    opened = [c for c in cases
              if can_copy_child_data(user, c) and view_basis(user, c) is not None]
    opened_ids = {c.id for c in opened}
    details: dict[str, Any] = {"shown": len(cases), "cases": [c.reference for c in cases],
                               "child": [c.reference for c in opened], "via": "assignment"}
    if has_request_context():
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.list", actor=user, object_type="case_list", unit_path=user.unit.path,
           details=details, cases={c.reference: c.id in opened_ids for c in cases})
    if not opened:
        return None, set()
    return issue_grant("case.list", user.id, opened_ids), opened_ids


# What an approving supervisor reads ("table.column"): the plan, the risk and
# needs assessments, the closure review and outcome, and what was sent back.
# Not the child's name, contacts, address or school, nor the narrative.
APPROVAL_COLUMNS = frozenset({
    "case_plans.goals", "case_plans.items", "case_plans.return_reason",
    "case_assessments.notes", "case_assessments.details",
    "cases.outcome_summary", "cases.review_notes", "cases.closure_return_reason",
    "case_plan_goals.text",
})


def grant_approval_view(user, case) -> Grant:
    """Open the columns of :data:`APPROVAL_COLUMNS` for a supervisor deciding on a
    plan or a closure: checked, then audited as "case.view" (via "approval")
    like any view. The grant opens nothing else, whatever a template asks."""
    if not can_read_for_approval(user, case):
        raise deny(user, case, action="view_for_approval")
    details = {"via": "approval"}
    if has_request_context():
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.view", actor=user, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)
    return issue_grant("case.approval", user.id, case.id, columns=APPROVAL_COLUMNS)


AGE_COLUMNS = frozenset({"cases.child_date_of_birth", "cases.child_estimated_age"})


def grant_reband(case_ids) -> Grant:
    """For ``caseapp cases reband`` (the host's operator, holding the keys): open
    the date of birth and estimated age of these cases, nothing else, to put
    them in the age bands split at 16. The service audits each case it changes."""
    return issue_grant("cases.reband", None, case_ids, columns=AGE_COLUMNS)


SEND_BACK_COLUMNS = frozenset({"case_plans.return_reason", "cases.closure_return_reason"})


def grant_send_back(user, case, *, action: str) -> Grant:
    """Open the case's key to seal a supervisor's reason for sending a plan or a
    closure request back (those columns only). For the services: their own
    entry records the change."""
    if not can_send_back(user, case):
        raise deny(user, case, action=action)
    return issue_grant("case.send_back", user.id, case.id, columns=SEND_BACK_COLUMNS)


def grant_break_glass(user, case) -> Grant:
    """Open a case's data key to seal the reason of a new break-glass access.

    The caller (:func:`caseapp.break_glass.service.break_glass`) writes the
    "case.break_glass" entry; refusals are audited here like any denial.
    """
    if not can_break_glass(user, case):
        raise deny(user, case, action="break_glass")
    return issue_grant("case.break_glass", user.id, case.id)


def can_read_break_glass_reason(user, access) -> bool:
    """Who judges a break-glass reads its reason: the supervisors of the case (its
    unit and every unit above, the author included) and the people who may see
    the case's child data. Each reading is audited (the form asks not to name
    the child in it, but it is sealed all the same)."""
    case = access.case
    return not case.is_purged and _active(user) and (
        is_supervisor_of(user, case) or can_view_child_data(user, case))


def grant_break_glass_reason(user, access) -> Grant:
    """Open the case's data key to read one break-glass reason; audited."""
    case = access.case
    if not can_read_break_glass_reason(user, access):
        raise deny(user, case, action="break_glass_reason")
    details = {"access_id": access.id}
    if has_request_context():
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.break_glass_reason", actor=user, object_type="case",
           object_id=case.reference, unit_path=case.unit.path, details=details)
    return issue_grant("case.break_glass_reason", user.id, case.id,
                       columns={"break_glass_accesses.reason"})


def grant_case_change(user, case, *, action: str, after_closure: bool = False) -> Grant:
    """Open a case's data key for a change that writes its own audit entry.

    For services only: the change's entry records the access, so no separate
    "case.view" entry is written. Refusals are audited like any denial. On a
    closed case only changes that may arrive after closure pass
    (``after_closure``: :func:`can_record_late_outcome`).
    """
    allowed = can_record_late_outcome(user, case) if after_closure else can_work_on_case(user, case)
    if not allowed:
        message = closed_case_message() if (can_change_child_data(user, case)
                                            and not is_open_for_work(case)) else None
        raise deny(user, case, action=action, message=message)
    return issue_grant("case.change", user.id, case.id)


def grant_case_record(user, case, *, action: str) -> Grant:
    """Open a case's data key to seal the text of a data-subject request or its
    answer (:mod:`caseapp.data_rights`). The people on the case and its
    supervisors take such requests, restricted or not; the service's own
    audit entry records the access. Refusals are audited like any denial."""
    if not can_record_data_request(user, case):
        raise deny(user, case, action=action)
    return issue_grant("case.record", user.id, case.id)
