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
    # A disability or need that changes how to reach the child (deaf: write,
    # do not call; needs an interpreter...).
    access_needs: str = ""


@dataclass(frozen=True)
class ReporterData:
    name: str = ""
    relation: str = ""
    phone: str = ""
    address: str = ""
    # Asks to stay anonymous: name and contacts kept for the people on the case
    # only, printed on no copy.
    anonymous: bool = False


@dataclass(frozen=True)
class ConsentData:
    """Consent as it was recorded: the child's (asked from age 7) and the
    guardian's, each "given", "refused" or "not_asked"; and the legal ground
    used when it is not complete (none chosen: the duty to receive the report)."""

    child: str = "not_asked"
    guardian: str = "not_asked"
    legal_ground: str | None = None  # "emergency" | "legal_duty"
    note: str = ""


@dataclass(frozen=True)
class PersonData:
    """Someone around the child (father, mother, caregiver...): Mẫu 01."""

    relation: str
    full_name: str = ""
    age: int | None = None
    occupation: str = ""
    contact: str = ""


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
    help_requested: bool | None = None  # required: no default, the 100% figure counts it
    child_group: str = ""  # models.CHILD_GROUPS
    harm_categories: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    offender_accounts: tuple[OffenderAccountData, ...] = ()
    reporter: ReporterData = field(default_factory=ReporterData)
    narrative: str = ""
    immediate_danger: bool = False
    evidence_location: str = ""
    incident_place: str = ""
    child_condition: str = ""
    consequences_without_help: str = ""
    family_circumstances: str = ""
    current_caregiver: str = ""
    help_before_report: str = ""
    intake_notes: str = ""
    people: tuple[PersonData, ...] = ()
    # A hotline call (the channels of models.HOTLINE_CHANNELS): the hotline's number
    # of the call, to find it again in the hotline's records.
    hotline_call_number: str = ""
    # When the harm happened: a day, or in words ("about two weeks ago").
    harm_date: date | None = None
    harm_when: str = ""
    # Where the child is now, and whether they are safe tonight ("yes", "no",
    # "unknown"; "" not asked). "no" is immediate danger.
    child_whereabouts: str = ""
    safe_tonight: str = ""
    # The advice the counselor already gave on the call.
    advice_given: str = ""


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
    """Initial risk assessment (Mẫu 02, Decree 56 Art. 26): intake -> assessment.

    The three criteria (harm, the abuser's access, obstacles in the care
    environment) each high, medium or low; whether the parents or caregiver
    are the ones causing harm (Art. 31(1)); whether emergency measures are
    applied (Art. 26(2)); the overall risk level and a note."""

    risk_level: str
    notes: str
    immediate_danger: bool = False
    harm: str = ""
    access: str = ""
    obstacles: str = ""
    caregiver_harms: bool = False
    emergency_measures: bool = False


@dataclass(frozen=True)
class NeedsAssessmentData:
    """Needs assessment (Mẫu 03, Decree 56 Art. 27(1) a-h) and the minutes of
    the needs meeting (Art. 27(2)); ``notes`` is its conclusion."""

    notes: str
    condition: str = ""  # a) physical, psychological and emotional state
    family: str = ""  # b) family, relationships, the parents' ability to protect
    risk_factors: str = ""  # c) what could make the harm continue
    learning: str = ""  # d) schooling and the child's ability to protect themself
    community: str = ""  # đ) safety and support of the community
    service_needs: str = ""  # e) medical, social, education, legal, counselling needs
    child_views: str = ""  # g) the child's views and wishes
    caregiver_views: str = ""  # h) the parents' or caregiver's (unless they cause harm)
    meeting_date: date | None = None
    meeting_chair: str = ""
    meeting_participants: str = ""
    meeting_measures: str = ""


@dataclass(frozen=True)
class SupportData:
    """assessment -> support: needs an approved plan."""

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
    review_harm: str = ""
    review_access: str = ""
    review_obstacles: str = ""
    review_self_protection: str = ""
    review_recovery: str = ""
    review_notes: str = ""


@dataclass(frozen=True)
class SendBackData:
    """A supervisor sends a plan or a closure request back: why (the officer sees it)."""

    reason: str


@dataclass(frozen=True)
class DecisionData:
    """The commune chairman's decision on the plan (Mẫu 05), as it came back."""

    number: str
    decided_on: date | None
    signatory: str


@dataclass(frozen=True)
class ClosureApproval:
    """A supervisor's sign-off: -> closure. The request holds the data."""


@dataclass(frozen=True)
class ReopenData:
    """closure -> assessment (supervisor only)."""

    reason: str  # one of models.REOPEN_REASONS


@dataclass(frozen=True)
class PlanItem:
    """A service or task of the plan (Art. 28(3) a-d)."""

    action: str
    who: str = ""  # the body or person responsible
    due: date | None = None  # expected end
    start: date | None = None
    provider: str = ""  # the service provider mobilised
    cost: int | None = None  # estimated cost, VND


@dataclass(frozen=True)
class PlanData:
    """Support plan (Mẫu 04)."""

    goals: str
    items: tuple[PlanItem, ...] = ()
    follow_up_at: datetime | None = None


@dataclass(frozen=True)
class SupportActionData:
    """A dated support action; the emergency kinds (models.EMERGENCY_KINDS) are
    emergency measures, allowed from intake on."""

    kind: str
    description: str
    performed_at: datetime | None = None
    next_follow_up_at: datetime | None = None
