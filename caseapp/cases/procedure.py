"""Where a case stands in the Decree 56 procedure, step by step, from metadata only.

The case page shows it to everyone who may open the case (no child data: the
steps, their dates and states), so a supervisor sees a missing plan or a
missing commune decision without reading anything about the child.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from .models import Case

# Mẫu 02's criteria (as Mẫu 06, 1a, has them for the end of the plan).
CRITERIA_LABELS = {
    "harm": _l("How serious the harm to the child is"),
    "access": _l("The abuser's access to the child"),
    "obstacles": _l("Obstacles to the child's safety in the care environment"),
}
# Mẫu 03: Decree 56, Art. 27(1) a-h, and the meeting of Art. 27(2).
NEEDS_POINT_LABELS = {
    "condition": _l("a) Physical, psychological and emotional state"),
    "family": _l("b) Family, relationships, the parents' ability to protect"),
    "risk_factors": _l("c) What could make the harm happen again"),
    "learning": _l("d) Schooling and the ability to protect themself"),
    "community": _l("e) Safety and support of the community"),
    "service_needs": _l("f) Needs for care and services"),
    "child_views": _l("g) The child's views and wishes"),
    "caregiver_views": _l("h) The parents' or caregiver's views"),
    "meeting_chair": _l("Needs meeting chaired by"),
    "meeting_participants": _l("Who took part"),
    "meeting_measures": _l("Measures agreed"),
}
# Mẫu 06: 1a (the risk at the end of the plan) and 1b (the child's own strength).
REVIEW_POINT_LABELS = {
    "a": (("review_harm_level", CRITERIA_LABELS["harm"]),
          ("review_access_level", CRITERIA_LABELS["access"]),
          ("review_obstacles_level", CRITERIA_LABELS["obstacles"])),
    "b": (("review_self_protection_level", _l("The child's ability to protect themself")),
          ("review_recovery_level", _l("The child's recovery"))),
}


@dataclass(frozen=True)
class Step:
    key: str
    label: Any
    state: str  # done | active | waiting | due | missing | not_applicable | later
    at: datetime | None = None
    note: Any = ""


def _plan_step(case: Case) -> Step:
    plan = case.latest_plan
    if plan is None:
        state = "missing" if case.plan_missing else (
            "due" if case.needs_assessed_at else "later")
        # The plan is drafted from the needs meeting (Art. 27(2); not for a
        # minor): until it is recorded, say so here, not only when drafting fails.
        blocked = case.needs_assessed_at and not case.is_minor and not any(
            a.kind == "needs" and a.has_meeting for a in case.assessments)
        return Step("plan", _l("Support plan (form 04)"), state, case.plan_draft_due_at,
                    _l("First record the needs meeting (its date and who took part) in the "
                       "needs assessment") if blocked else "")
    if plan.approved_at:
        return Step("plan", _l("Support plan (form 04)"), "done", plan.approved_at,
                    _l("Version %(n)d approved by a supervisor", n=plan.version))
    if plan.returned_at:
        return Step("plan", _l("Support plan (form 04)"), "due", case.plan_approval_due_at,
                    _l("Version %(n)d sent back: to be revised", n=plan.version))
    return Step("plan", _l("Support plan (form 04)"), "waiting", plan.drafted_at,
                _l("Version %(n)d waits for a supervisor", n=plan.version))


def _decision_step(case: Case) -> Step:
    label = _l("Commune's decision (form 05)")
    if case.is_minor:
        return Step("decision", label, "not_applicable", None,
                    _l("Not applicable: the child is 16 or 17"))
    plan = case.approved_plan
    if plan is None:
        return Step("decision", label, "later")
    if plan.decision_recorded_at:
        return Step("decision", label, "done", plan.decision_recorded_at)
    return Step("decision", label, "missing", case.decision_due_at,
                _l("Not recorded yet"))


def procedure_steps(case: Case) -> list[Step]:
    """The steps of the procedure with their states (metadata only)."""
    emergency = Step("emergency", _l("Emergency measures (12 hours)"),
                     "done" if case.emergency_done_at else "due" if case.emergency_due_at
                     else "not_applicable",
                     case.emergency_done_at or case.emergency_due_at,
                     "" if case.emergency_due_at or case.emergency_done_at
                     else _l("No immediate danger recorded"))
    needs_meeting = any(a.kind == "needs" and a.has_meeting for a in case.assessments)
    closed = case.stage == "closure"
    return [
        Step("intake", _l("Report received (form 01)"), "done", case.received_at),
        emergency,
        Step("assessment", _l("Initial risk assessment (form 02)"),
             "done" if case.assessed_at else "due", case.assessed_at or case.assessment_due_at),
        Step("needs", _l("Needs assessment and meeting (form 03)"),
             "done" if case.needs_assessed_at else "due" if case.assessed_at else "later",
             case.needs_assessed_at or case.needs_assessment_due_at,
             "" if needs_meeting or not case.needs_assessed_at
             else _l("The needs meeting is not recorded")),
        _plan_step(case),
        _decision_step(case),
        Step("support", _l("Support"),
             "active" if case.stage in ("support", "referral")
             else "done" if case.support_started_at else "later", case.support_started_at),
        Step("closure", _l("Review and closure (form 06)"),
             "done" if closed else "waiting" if case.closure_pending else "later",
             case.closed_at if closed else case.closure_requested_at),
    ]
