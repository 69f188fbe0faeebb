"""The case workflow: the one table of allowed transitions, and the only code
that changes ``case.stage``.

::

    intake ──> assessment ──> support ──> referral ──> closure
                    │            ▲  │         │           │
                    │            └──┼─────────┘ (returned) │
                    └───────────────┴──> closure            └──> assessment (reopen)

Each transition names its guard (a rule of :mod:`caseapp.permissions.cases`),
the data it needs (a dataclass of :mod:`caseapp.cases.data`), a check of that
data against the case, and its effect. :func:`move` runs them in order: scope
(404, audited), guard (403, audited: before the version, so that a refusal is
recorded whatever version it names), version (409), the table, data; then, in one
savepoint, the effect, the stage, the deadlines, the timeline row and the
"case.transition" audit entry.

The stages follow Decree 56/2017 (Art. 25-30): intake records the report
(Mẫu 01); assessment holds the initial risk assessment (Mẫu 02, recorded by
the move into it), the needs assessment with its meeting (Mẫu 03) and the
plan (Mẫu 04) up to a supervisor's sign-off; the case enters support only
with an approved plan. Emergency measures (Art. 26(3)) are support actions
allowed from intake on, before any plan.

Closure is a supervisor's act: the lead officer files the request (reason,
outcome and, after support, the review of Mẫu 06) with
:func:`caseapp.cases.service.request_closure`, and the transition to closure
is guarded so that only a supervisor of the case's unit can perform it, on a
complete request. That *is* the approval. From assessment a case closes only
for the reasons that need no plan (unfounded, declined, unreachable...).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.permissions import cases as rules

from . import deadlines, facts, hooks, reference_data
from .data import AssessmentData, ClosureApproval, ReferralData, ReopenData, ReturnData, SupportData
from .errors import CaseError
from .guards import LONG_TEXT, atomic, clean_text, ensure_version, ensure_visible
from .models import (
    EARLY_CLOSURE_REASONS,
    LEVELS,
    REOPEN_REASONS,
    SHARING_BASES,
    STAGES,
    Assessment,
    Case,
    CaseTransition,
    Referral,
)

STAGE_LABELS = {
    "intake": _l("Intake"),
    "assessment": _l("Assessment"),
    "support": _l("Support"),
    "referral": _l("Referral"),
    "closure": _l("Closed"),
}


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    label: Any
    guard: Callable[[Any, Case], bool]
    data_type: type
    check: Callable[[Case, Any], None]
    apply: Callable[[Any, Case, Any, datetime, CaseTransition], None]
    # Whether the effect seals data (then the actor must hold the case's key).
    seals: bool


# --- required data ---------------------------------------------------------------------------

CRITERIA = ("harm", "access", "obstacles")  # Mẫu 02, each high / medium / low


def _check_assessment(case: Case, data: AssessmentData) -> None:
    if case.lead_officer_id is None:
        raise CaseError(_l("Assign a lead officer before the assessment."), field="lead_officer")
    for criterion in CRITERIA:
        if getattr(data, criterion) not in LEVELS:
            raise CaseError(_l("Rate each criterion of the risk assessment: high, medium or "
                               "low."), field=criterion)
    if data.risk_level not in LEVELS:
        raise CaseError(_l("Choose the risk level: high, medium or low."), field="risk_level")
    clean_text(data.notes, "notes", required=True, max_length=LONG_TEXT,
               message=_l("Write the assessment note."))


def _check_support(case: Case, data: SupportData) -> None:
    """Support carries out an approved plan (Decree 56, Art. 28-29)."""
    if not rules.plan_approved(case):
        raise CaseError(_l("Support starts with a support plan (form 04) approved by a "
                           "supervisor. Emergency measures can be recorded before it."),
                        field="plan")
    clean_text(data.note, "note", max_length=LONG_TEXT)


def check_referral(case: Case, data: ReferralData) -> None:
    """An agency, a reason, and the basis on which the child's data is shared."""
    if reference_data.get("agency", data.agency) is None:
        raise CaseError(_l("Choose the agency the case is referred to."), field="agency")
    clean_text(data.reason, "reason", required=True, max_length=LONG_TEXT,
               message=_l("Give the reason for the referral."))
    clean_text(data.what_was_sent, "what_was_sent", max_length=LONG_TEXT)
    if data.sharing_basis not in SHARING_BASES:
        raise CaseError(_l("Say on what basis the child's data is shared: consent or a legal "
                           "ground."), field="sharing_basis")
    # The basis for sharing with this agency must be on file (the consent feature).
    hooks.run(hooks.referral_check, case, data.agency, data.sharing_basis)
    if data.sent_at is not None and (data.sent_at.tzinfo is None or data.sent_at > clock.now()):
        raise CaseError(_l("The date sent cannot be in the future."), field="sent_at")


def _check_return(case: Case, data: ReturnData) -> None:
    clean_text(data.reason, "reason", required=True, max_length=LONG_TEXT,
               message=_l("Say why the case came back from referral."))


REVIEW_LEVELS = ("review_harm_level", "review_access_level", "review_obstacles_level",
                 "review_self_protection_level", "review_recovery_level")


def _check_closure(case: Case, data: ClosureApproval) -> None:
    """A request with its reason; after support, with the whole review (Mẫu 06);
    from assessment, only for the reasons that need no plan."""
    requested = case.closure_requested_at is not None and case.closure_reason_code is not None
    if case.stage == "assessment":
        complete = requested and case.closure_reason_code in EARLY_CLOSURE_REASONS
    else:
        complete = requested and all(getattr(case, name) in LEVELS for name in REVIEW_LEVELS)
    if not complete:
        raise CaseError(_l("The lead officer has not requested closure with a reason, an "
                           "outcome and the review."), field="closure")


def _check_reopen(case: Case, data: ReopenData) -> None:
    if data.reason not in REOPEN_REASONS:
        raise CaseError(_l("Choose why the case is reopened."), field="reason")


# --- effects ---------------------------------------------------------------------------------

def _assess(actor, case: Case, data: AssessmentData, now: datetime, row: CaseTransition) -> None:
    assessment = Assessment(case=case, kind="initial", risk_level=data.risk_level,
                            immediate_danger=bool(data.immediate_danger),
                            recorded_by_id=actor.id, recorded_at=now)
    assessment.notes = clean_text(data.notes, "notes", max_length=LONG_TEXT)
    assessment.details = {**{c: getattr(data, c) for c in CRITERIA},
                          "caregiver_harms": bool(data.caregiver_harms),
                          "emergency_measures": bool(data.emergency_measures)}
    db.session.add(assessment)
    case.risk_level = data.risk_level
    if data.immediate_danger and not case.immediate_danger:
        case.immediate_danger = True
        deadlines.flag_danger(case, now)
    if case.assessed_at is None:
        case.assessed_at = now


def _start_support(actor, case: Case, data: SupportData, now: datetime,
                   row: CaseTransition) -> None:
    if data.note.strip():
        row.note = data.note.strip()
    if case.support_started_at is None:
        case.support_started_at = now


def make_referral(actor, case: Case, data: ReferralData, now: datetime) -> Referral:
    referral = Referral(case=case, agency_code=data.agency, status="sent",
                        sharing_basis=data.sharing_basis, sent_at=data.sent_at or now,
                        created_by_id=actor.id, updated_at=now)
    referral.reason = data.reason.strip()
    if data.what_was_sent.strip():
        referral.what_was_sent = data.what_was_sent.strip()
    db.session.add(referral)
    hooks.run(hooks.referral_made, actor, case, data.agency, data.sharing_basis, now)
    return referral


def _refer(actor, case: Case, data: ReferralData, now: datetime, row: CaseTransition) -> None:
    make_referral(actor, case, data, now)
    if case.support_started_at is None:
        case.support_started_at = now


def _return(actor, case: Case, data: ReturnData, now: datetime, row: CaseTransition) -> None:
    row.note = data.reason.strip()


def _close(actor, case: Case, data: ClosureApproval, now: datetime, row: CaseTransition) -> None:
    case.closure_approved_at = now
    case.closure_approved_by_id = actor.id
    case.closed_at = now
    row.reason_code = case.closure_reason_code


def _reopen(actor, case: Case, data: ReopenData, now: datetime, row: CaseTransition) -> None:
    row.reason_code = data.reason
    case.closed_at = None
    case.closure_requested_at = None
    case.closure_requested_by_id = None
    case.closure_approved_at = None
    case.closure_approved_by_id = None
    case.closure_reason_code = None
    for name in REVIEW_LEVELS:
        setattr(case, name, None)


def _closure_from(source: str) -> Transition:
    return Transition(source, "closure", "close", _l("Approve closure"), rules.can_decide_closure,
                      ClosureApproval, _check_closure, _close, seals=False)


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (t.source, t.target): t for t in (
        Transition("intake", "assessment", "assess", _l("Record the risk assessment"),
                   rules.is_lead_officer, AssessmentData, _check_assessment, _assess, seals=True),
        Transition("assessment", "support", "start_support", _l("Start support"),
                   rules.is_lead_officer, SupportData, _check_support, _start_support,
                   seals=True),
        Transition("support", "referral", "refer", _l("Refer to an agency"),
                   rules.is_lead_officer, ReferralData, check_referral, _refer, seals=True),
        Transition("referral", "support", "return", _l("Back from referral"),
                   rules.is_lead_officer, ReturnData, _check_return, _return, seals=True),
        _closure_from("assessment"),
        _closure_from("support"),
        _closure_from("referral"),
        Transition("closure", "assessment", "reopen", _l("Reopen"), rules.can_reopen,
                   ReopenData, _check_reopen, _reopen, seals=False),
    )
}


def may_move(user, case: Case, target: str) -> bool:
    """The table has the move from the case's stage to ``target`` and its guard
    allows ``user`` (the data is checked when the move is made)."""
    transition = TRANSITIONS.get((case.stage, target))
    return transition is not None and not case.is_purged and transition.guard(user, case)


def available(user, case: Case) -> list[Transition]:
    """Transitions ``user`` may perform on ``case`` now (the guard only, not the data)."""
    if case.is_purged:
        return []
    return [t for (source, _), t in TRANSITIONS.items()
            if source == case.stage and t.guard(user, case)]


def begin(case: Case, now: datetime) -> None:
    """A new case starts at intake (the only stage not entered by a transition)."""
    case.stage = "intake"
    case.stage_entered_at = now
    deadlines.start(case)


def move(actor, case: Case, target: str, data=None, *, expected_version: int | None = None
         ) -> Case:
    """Move ``case`` to ``target``: the one way a stage changes. See the module docs."""
    ensure_visible(actor, case, "transition")
    if target != "assessment":  # reopening is the only way out of closure
        rules.require_open_for_work(actor, case, action="transition")
    if target not in STAGES:
        raise CaseError(_l("Unknown stage."), field="stage")
    transition = TRANSITIONS.get((case.stage, target))
    # Who may move comes before which version they saw, so a refused move is
    # audited whatever version the request names.
    if transition is not None and (case.is_purged or not transition.guard(actor, case)):
        raise rules.deny(actor, case, action=f"transition:{transition.action}")
    ensure_version(case, expected_version)
    if transition is None:
        raise CaseError(_l("A case cannot move from %(source)s to %(target)s.",
                           source=STAGE_LABELS[case.stage], target=STAGE_LABELS[target]),
                        field="stage")
    if data is None and transition.data_type is ClosureApproval:
        data = ClosureApproval()
    if not isinstance(data, transition.data_type):
        raise CaseError(_l("This step needs other information."), field="data")
    transition.check(case, data)
    # Reopening is the way out of closure, so its note may be sealed on a closed case.
    grant = rules.grant_case_change(actor, case, action=f"transition:{transition.action}",
                                    after_closure=case.is_closed) if transition.seals else None
    source = case.stage
    now = clock.now()
    with atomic():
        if grant is not None:
            unlock(case, grant=grant)
        row = CaseTransition(case=case, from_stage=source, to_stage=target, actor_id=actor.id,
                             occurred_at=now)
        db.session.add(row)
        transition.apply(actor, case, data, now, row)
        case.stage = target
        case.stage_entered_at = now
        case.updated_at = now
        deadlines.enter_stage(case, target, now)
        record("case.transition", actor=actor, object_type="case", object_id=case.reference,
               unit_path=case.unit.path, details={"from": source, "to": target,
                                                  "facts": facts.snapshot(case)})
        if target == "closure":
            hooks.run(hooks.case_event, "closed", actor, case, {})
    return case
