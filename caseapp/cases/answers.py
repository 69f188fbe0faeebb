"""What the JSON API answers about a case, built from the case (and its child's data
only where the caller opened it). The shapes are declared in :mod:`.schemas`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.extensions import db

from . import deadlines
from .models import Case


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
        "risk_level": case.risk_level, "age_band": case.age_band, "minor": case.is_minor,
        "child_group": case.child_group, "gender": case.gender_code,
        "lead_officer": names.get(case.lead_officer_id),
        "assignees": sorted(names.get(i, i) for i in case.assignee_ids),
        "next_deadline_at": iso(case.next_deadline_at), "overdue": case.is_overdue(now),
        "deadlines": [{"step": step, "due_at": iso(due), "overdue": due <= now}
                      for step, due in deadlines.pending(case)],
        "closure_requested": case.closure_pending, "closure_reason": case.closure_reason_code,
        "closed_at": iso(case.closed_at), "plan_missing": case.plan_missing,
        "decision_missing": case.decision_missing,
    }


def child_only(case: Case) -> dict:
    """The child's own sealed fields of an unlocked case (the case list's
    block: the case's row alone, none of its records)."""
    return {"full_name": case.child_full_name,
            "date_of_birth": iso(case.child_date_of_birth),
            "estimated_age": case.child_estimated_age, "gender": case.gender_code,
            "address": case.child_address, "school": case.child_school,
            "school_class": case.child_class, "phone": case.child_phone,
            "guardian_name": case.guardian_name,
            "guardian_contact": case.guardian_contact,
            "access_needs": case.child_access_needs}


def child_block(case: Case, *, reporter: bool = True) -> dict:
    """The sealed data of an unlocked case. ``reporter``: whether the caller may
    know who reported (an anonymous reporter: the people on the case only)."""
    return {
        "child": child_only(case),
        "reporter": ({"name": case.reporter_name, "relation": case.reporter_relation,
                      "phone": case.reporter_phone, "address": case.reporter_address,
                      "anonymous": case.reporter_anonymous} if reporter
                     else {"name": None, "relation": None, "phone": None, "address": None,
                           "anonymous": True}),
        "consent": {"child": case.child_consent, "guardian": case.guardian_consent,
                    "legal_ground": case.legal_ground, "note": case.consent_note},
        "narrative": case.narrative,
        "incident_place": case.incident_place, "child_condition": case.child_condition,
        "consequences_without_help": case.consequences_without_help,
        "family_circumstances": case.family_circumstances,
        "current_caregiver": case.current_caregiver,
        "help_before_report": case.help_before_report, "intake_notes": case.intake_notes,
        "hotline_call_number": case.hotline_call_number, "harm_date": iso(case.harm_date),
        "harm_when": case.harm_when, "child_whereabouts": case.child_whereabouts,
        "safe_tonight": case.safe_tonight, "advice_given": case.advice_given,
        "people": [{"relation": p.relation, "full_name": p.full_name, "age": p.age,
                    "occupation": p.occupation, "contact": p.contact} for p in case.people],
        "offender_accounts": [{"handle": a.handle, "platform": a.platform_code}
                              for a in case.offender_accounts],
        "evidence_location": case.evidence_location,
        "outcome_summary": case.outcome_summary,
    }


def detail(case: Case, child: bool, names: dict[str, str], now: datetime, *,
           reporter: bool = True) -> dict:
    result = summary(case, names, now)
    result.update(child_block(case, reporter=reporter) if child else {"child": None})
    result["child_data_hidden"] = not child
    result["consent_basis"] = {"child": case.child_consent, "guardian": case.guardian_consent,
                               "legal_ground": case.legal_ground}
    result["transitions"] = [{"from": t.from_stage, "to": t.to_stage, "at": iso(t.occurred_at),
                              "by": names.get(t.actor_id), "reason": t.reason_code,
                              "note": (t.note if child else None)} for t in case.transitions]
    result["assessments"] = [{"kind": a.kind, "risk_level": a.risk_level,
                              "immediate_danger": a.immediate_danger,
                              "at": iso(a.recorded_at), "by": names.get(a.recorded_by_id),
                              "meeting_on": iso(a.meeting_on),
                              "notes": (a.notes if child else None),
                              "details": (a.details if child else None)}
                             for a in case.assessments]
    result["plans"] = [{"id": p.id, "version": p.version, "drafted_at": iso(p.drafted_at),
                        "drafted_by": names.get(p.drafted_by_id),
                        "approved_at": iso(p.approved_at),
                        "approved_by": names.get(p.approved_by_id),
                        "returned_at": iso(p.returned_at),
                        "return_reason": (p.return_reason if child else None),
                        "decision_recorded_at": iso(p.decision_recorded_at),
                        "decision": ({"number": p.decision_number,
                                      "decided_on": iso(p.decision_date),
                                      "signatory": p.decision_signatory}
                                     if child and p.decision_recorded_at else None),
                        "goals": (p.goals if child else None),
                        "items": (p.items if child else None)} for p in case.plans]
    result["support_actions"] = [{"kind": a.kind, "performed_at": iso(a.performed_at),
                                  "by": names.get(a.recorded_by_id),
                                  "description": (a.description if child else None)}
                                 for a in case.support_actions]
    result["referrals"] = [{"id": r.id, "agency": r.agency_code, "status": r.status,
                            "sharing_basis": r.sharing_basis, "sent_at": iso(r.sent_at),
                            "accepted_at": iso(r.accepted_at),
                            "declined_at": iso(r.declined_at),
                            "completed_at": iso(r.completed_at),
                            "reason": (r.reason if child else None),
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
            | {p.returned_by_id for p in case.plans}
            | {a.recorded_by_id for a in case.support_actions}
            | {n.author_id for n in case.notes})
