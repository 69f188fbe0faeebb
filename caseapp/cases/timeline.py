"""A case's history, oldest first, for the case page."""
from __future__ import annotations

from flask_babel import gettext as _

from caseapp import clock

from . import deadlines, hooks, workflow
from .forms import (
    ACTION_KIND_LABELS,
    LEVEL_LABELS,
    REFERRAL_STATUS_LABELS,
    REOPEN_REASON_LABELS,
    SHARING_BASIS_LABELS,
)
from .models import Case
from .screens import DEADLINE_LABELS, label


def _stages(case: Case, child: bool) -> list[dict]:
    events = []
    for row in case.transitions:
        title = _("%(source)s → %(target)s", source=workflow.STAGE_LABELS[row.from_stage],
                  target=workflow.STAGE_LABELS[row.to_stage])
        detail = ""
        if row.reason_code:
            detail = (label("closure_reason", row.reason_code) if row.to_stage == "closure"
                      else str(REOPEN_REASON_LABELS.get(row.reason_code, row.reason_code)))
        events.append({"at": row.occurred_at, "kind": "stage", "actor": row.actor_id,
                       "title": title, "detail": detail,
                       "text": row.note if child else None})
    return events


def _assessments_and_plans(case: Case, child: bool) -> list[dict]:
    events = []
    for a in case.assessments:
        if a.kind == "initial":
            title = _("Risk assessment (form 02): %(level)s",
                      level=LEVEL_LABELS.get(a.risk_level, a.risk_level or ""))
        else:
            title = _("Needs assessment (form 03)")
        events.append({"at": a.recorded_at, "kind": "assessment", "actor": a.recorded_by_id,
                       "title": title, "detail": _("Immediate danger") if a.immediate_danger
                       else "", "text": a.notes if child else None})
    for plan in case.plans:
        events.append({"at": plan.drafted_at, "kind": "plan", "actor": plan.drafted_by_id,
                       "title": _("Support plan, version %(n)d (form 04)", n=plan.version),
                       "text": plan.goals if child else None,
                       "plan_items": plan.items if child else None})
        if plan.approved_at:
            events.append({"at": plan.approved_at, "kind": "plan", "actor": plan.approved_by_id,
                           "title": _("Support plan, version %(n)d, approved by a supervisor",
                                      n=plan.version)})
        if plan.returned_at:
            events.append({"at": plan.returned_at, "kind": "plan", "actor": plan.returned_by_id,
                           "title": _("Support plan, version %(n)d, sent back", n=plan.version),
                           "text": plan.return_reason if child else None})
        if plan.decision_recorded_at:
            events.append({"at": plan.decision_recorded_at, "kind": "plan",
                           "actor": plan.decision_recorded_by_id,
                           "title": _("Commune's decision on version %(n)d recorded (form 05)",
                                      n=plan.version),
                           "detail": _("No. %(number)s", number=plan.decision_number)
                           if child else ""})
    return events


def _referrals(case: Case, child: bool) -> list[dict]:
    events = []
    for r in case.referrals:
        agency = label("agency", r.agency_code)
        events.append({"at": r.sent_at, "kind": "referral", "actor": r.created_by_id,
                       "title": _("Referred to %(agency)s", agency=agency),
                       "detail": str(SHARING_BASIS_LABELS.get(r.sharing_basis, "")),
                       "text": r.reason if child else None,
                       "sent": r.what_was_sent if child else None})
        for status in ("accepted", "declined", "completed"):
            at = getattr(r, f"{status}_at")
            if at:
                events.append({"at": at, "kind": "referral",
                               "title": _("%(agency)s: %(status)s", agency=agency,
                                          status=REFERRAL_STATUS_LABELS[status]),
                               "text": (r.outcome if child and status != "accepted" else None)})
    return events


def timeline(case: Case, child: bool) -> list[dict]:
    """Every stage, assessment, plan, action, referral, note and deadline, oldest first.

    Texts (sealed child data) only when ``child``: the case is unlocked then.
    """
    now = clock.now()
    events: list[dict] = [{"at": case.received_at, "kind": "intake", "actor": case.recorded_by_id,
                           "title": _("Report received (form 01)"),
                           "detail": label("channel", case.channel_code)}]
    events += _stages(case, child) + _assessments_and_plans(case, child)
    events += [{"at": action.performed_at, "kind": "action", "actor": action.recorded_by_id,
                "title": str(ACTION_KIND_LABELS.get(action.kind, action.kind)),
                "text": action.description if child else None}
               for action in case.support_actions]
    events += _referrals(case, child)
    events += [{"at": note.created_at, "kind": "note", "actor": note.author_id,
                "title": _("Note (%(stage)s)", stage=workflow.STAGE_LABELS[note.stage]),
                "text": note.text if child else None} for note in case.notes]
    if case.closure_requested_at:
        events.append({"at": case.closure_requested_at, "kind": "closure",
                       "actor": case.closure_requested_by_id,
                       "title": _("Closure requested: %(reason)s",
                                  reason=label("closure_reason", case.closure_reason_code)),
                       "text": case.outcome_summary if child else None})
    if case.closure_returned_at:
        events.append({"at": case.closure_returned_at, "kind": "closure",
                       "actor": case.closure_returned_by_id,
                       "title": _("Closure request sent back"),
                       "text": case.closure_return_reason if child else None})
    for function in hooks.timeline_events:
        events += function(case, child)
    events += [{"at": due, "kind": "deadline", "overdue": due <= now, "step": step,
                "title": _("Deadline: %(step)s", step=DEADLINE_LABELS[step])}
               for step, due in deadlines.pending(case)]
    return sorted(events, key=lambda e: e["at"])
