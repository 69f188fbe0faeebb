"""Small typed inputs of the case services (what a form or the JSON API builds).

Validation is the services' job (they raise CaseError naming the field);
these only say what may be given. Codes are the stable codes of
:mod:`caseapp.cases.reference_data`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ChildData:
    full_name: str
    date_of_birth: date | None = None
    estimated_age: int | None = None  # when the date of birth is unknown
    gender: str = "unknown"
    address: str = ""
    school: str = ""
    school_class: str = ""
    phone: str = ""
    guardian_name: str = ""
    guardian_contact: str = ""


@dataclass(frozen=True)
class ReporterData:
    name: str = ""
    relation: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ConsentData:
    """The child's consent (needed from age 7) and the guardian's, or a legal ground."""

    child: bool | None = None
    guardian: bool = False
    legal_ground: str | None = None  # "emergency" | "legal_duty"
    note: str = ""


@dataclass(frozen=True)
class OffenderAccountData:
    handle: str
    platform: str | None = None


@dataclass(frozen=True)
class IntakeData:
    """Form Mẫu 01. ``received_at`` without a time zone is local time."""

    unit: str
    received_at: datetime
    channel: str
    requested_by: str
    child: ChildData
    consent: ConsentData
    help_requested: bool = True
    harm_categories: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    offender_accounts: tuple[OffenderAccountData, ...] = ()
    reporter: ReporterData = field(default_factory=ReporterData)
    narrative: str = ""
    immediate_danger: bool = False
    evidence_location: str = ""


@dataclass(frozen=True)
class AssignmentData:
    """The lead officer (required) and the other people on the case (the whole set)."""

    lead_officer_id: str
    assignee_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteData:
    text: str


@dataclass(frozen=True)
class AssessmentData:
    """Initial risk assessment (Mẫu 02): intake -> assessment."""

    risk_level: str
    notes: str
    immediate_danger: bool = False
    details: dict | None = None


@dataclass(frozen=True)
class NeedsAssessmentData:
    """Needs assessment (Mẫu 03)."""

    notes: str
    details: dict | None = None


@dataclass(frozen=True)
class SupportData:
    """assessment -> support: needs a needs assessment, recorded before or given here."""

    needs_assessment: NeedsAssessmentData | None = None
    note: str = ""


@dataclass(frozen=True)
class ReferralData:
    """support -> referral (the first agency), or another agency while in referral."""

    agency: str
    reason: str
    sharing_basis: str  # "consent" | "emergency" | "legal_duty"
    what_was_sent: str = ""
    sent_at: datetime | None = None


@dataclass(frozen=True)
class ReferralStatusData:
    status: str  # "accepted" | "declined" | "completed"
    at: datetime | None = None
    outcome: str = ""


@dataclass(frozen=True)
class ReturnData:
    """referral -> support: why the case came back."""

    reason: str


@dataclass(frozen=True)
class ClosureData:
    """The lead officer's closure request: reason, outcome and the review (Mẫu 06)."""

    reason: str
    outcome_summary: str
    review_harm: str
    review_access: str
    review_obstacles: str
    review_notes: str = ""


@dataclass(frozen=True)
class ClosureApproval:
    """A supervisor's sign-off: -> closure. The request holds the data."""


@dataclass(frozen=True)
class ReopenData:
    """closure -> assessment (supervisor only)."""

    reason: str  # one of models.REOPEN_REASONS


@dataclass(frozen=True)
class PlanItem:
    action: str
    who: str = ""
    due: date | None = None


@dataclass(frozen=True)
class PlanData:
    """Support plan (Mẫu 04)."""

    goals: str
    items: tuple[PlanItem, ...] = ()
    follow_up_at: datetime | None = None


@dataclass(frozen=True)
class SupportActionData:
    """A dated support action; kind "emergency" is the emergency action."""

    kind: str
    description: str
    performed_at: datetime | None = None
    next_follow_up_at: datetime | None = None
