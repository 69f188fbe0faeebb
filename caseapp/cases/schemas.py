"""The JSON API's bodies for cases, declared once (pydantic): what each route takes
and what it answers. Types and required fields are checked here; what a
value means (a known unit, an allowed stage move, consent on file) is the
service's to check, so the API and the screens refuse the same things.

The OpenAPI document is generated from these classes.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from caseapp.api.schemas import Answer, Body

from . import data

Text = Annotated[str, Field(max_length=20_000)]
Short = Annotated[str, Field(max_length=500)]
Code = Annotated[str, Field(max_length=64)]
Level = Literal["high", "medium", "low"]
Version = Annotated[int | None, Field(
    default=None, description="The case's version you saw: a newer one answers 409")]
Stamp = Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]


# --- what the routes take ----------------------------------------------------------------

class ChildIn(Body):
    full_name: Short
    date_of_birth: date | None = None
    estimated_age: Annotated[int, Field(ge=0, le=30)] | None = Field(
        default=None, description="when the date of birth is unknown")
    gender: Literal["female", "male", "other", "unknown"] = "unknown"
    address: Short = ""
    school: Short = ""
    school_class: Short = ""
    phone: Short = ""
    guardian_name: Short = ""
    guardian_contact: Short = ""

    def to_data(self) -> data.ChildData:
        return data.ChildData(**self.model_dump())


class ReporterIn(Body):
    name: Short = ""
    relation: Short = ""
    phone: Short = ""


class ConsentIn(Body):
    child: bool | None = Field(default=None, description="the child's own consent, from age 7")
    guardian: bool = False
    legal_ground: Literal["emergency", "legal_duty"] | None = None
    note: Text = ""


class OffenderAccountIn(Body):
    handle: Short
    platform: Code | None = None


class IntakeIn(Body):
    """Form Mẫu 01 (Decree 56/2017). Codes are those of the admin-editable lists."""

    unit: Code = Field(description="unit code")
    received_at: datetime = Field(description="to the minute; without offset: Vietnam time")
    channel: Code
    requested_by: Code
    help_requested: bool = True
    harm_categories: Annotated[list[Code], Field(max_length=20)]
    platforms: Annotated[list[Code], Field(max_length=20)] = []
    offender_accounts: Annotated[list[OffenderAccountIn], Field(max_length=50)] = Field(
        default=[], description="an account name or link, or {handle, platform}")
    immediate_danger: bool = False
    narrative: Text
    evidence_location: Text = ""
    child: ChildIn
    reporter: ReporterIn = ReporterIn()
    consent: ConsentIn

    @field_validator("offender_accounts", mode="before")
    @classmethod
    def _names_alone(cls, value: Any) -> Any:
        """An account may be given as its name or link alone."""
        if isinstance(value, list):
            return [{"handle": item} if isinstance(item, str) else item for item in value]
        return value

    def to_data(self) -> data.IntakeData:
        return data.IntakeData(
            unit=self.unit, received_at=self.received_at, channel=self.channel,
            requested_by=self.requested_by, child=self.child.to_data(),
            consent=data.ConsentData(**self.consent.model_dump()),
            help_requested=self.help_requested,
            harm_categories=tuple(self.harm_categories), platforms=tuple(self.platforms),
            offender_accounts=tuple(data.OffenderAccountData(a.handle, a.platform)
                                    for a in self.offender_accounts),
            reporter=data.ReporterData(**self.reporter.model_dump()),
            narrative=self.narrative, immediate_danger=self.immediate_danger,
            evidence_location=self.evidence_location)


class AssignIn(Body):
    lead_officer: Short = Field(description="username (or user id)")
    assignees: Annotated[list[Short], Field(max_length=50)] = []
    version: Version


class ReferralIn(Body):
    agency: Code
    reason: Text
    sharing_basis: Literal["consent", "emergency", "legal_duty"]
    what_was_sent: Text = ""
    sent_at: datetime | None = None

    def to_data(self) -> data.ReferralData:
        return data.ReferralData(agency=self.agency, reason=self.reason,
                                 sharing_basis=self.sharing_basis,
                                 what_was_sent=self.what_was_sent, sent_at=self.sent_at)


class TransitionIn(Body):
    """The data of the step: intake→assessment {risk_level, notes, immediate_danger};
    assessment→support {needs_assessment, note}; support→referral (as a referral);
    referral→support {reason}; →closure (a supervisor's approval of the closure
    request); closure→assessment (reopen) {reason}."""

    to: Literal["intake", "assessment", "support", "referral", "closure"]
    version: Version
    risk_level: Level | None = None
    notes: Text = ""
    immediate_danger: bool = False
    needs_assessment: Text | None = None
    note: Text = ""
    reason: Text = ""
    agency: Code = ""
    sharing_basis: Code = ""
    what_was_sent: Text = ""
    sent_at: datetime | None = None

    def to_data(self, stage: str):
        """The typed data of the step from ``stage`` to ``to`` (None: no such step)."""
        step = (stage, self.to)
        if step == ("intake", "assessment"):
            return data.AssessmentData(risk_level=self.risk_level or "", notes=self.notes,
                                       immediate_danger=self.immediate_danger)
        if step == ("closure", "assessment"):
            return data.ReopenData(reason=self.reason)
        if step == ("assessment", "support"):
            needs = data.NeedsAssessmentData(notes=self.needs_assessment) \
                if self.needs_assessment else None
            return data.SupportData(needs_assessment=needs, note=self.note)
        if step == ("referral", "support"):
            return data.ReturnData(reason=self.reason)
        if self.to == "referral":
            return data.ReferralData(agency=self.agency, reason=self.reason,
                                     sharing_basis=self.sharing_basis,
                                     what_was_sent=self.what_was_sent, sent_at=self.sent_at)
        if self.to == "closure":
            return data.ClosureApproval()
        return None


class NoteIn(Body):
    text: Text


class ReferralStatusIn(Body):
    status: Literal["accepted", "declined", "completed"]
    at: datetime | None = None
    outcome: Text = ""


class NeedsIn(Body):
    notes: Text


class PlanItemIn(Body):
    action: Text
    who: Short = ""
    due: date | None = None


class PlanIn(Body):
    goals: Text
    items: Annotated[list[PlanItemIn], Field(max_length=50)]
    follow_up_at: datetime | None = None
    version: Version

    def to_data(self) -> data.PlanData:
        return data.PlanData(goals=self.goals, follow_up_at=self.follow_up_at,
                             items=tuple(data.PlanItem(i.action, i.who, i.due)
                                         for i in self.items))


class VersionIn(Body):
    version: Version


class SupportActionIn(Body):
    kind: Code
    description: Text
    performed_at: datetime | None = None
    next_follow_up_at: datetime | None = None


class ClosureIn(Body):
    reason: Code
    outcome_summary: Text
    review_harm: Level
    review_access: Level
    review_obstacles: Level
    review_notes: Text = ""
    version: Version

    def to_data(self) -> data.ClosureData:
        return data.ClosureData(**self.model_dump(exclude={"version"}))


# --- what the routes answer -------------------------------------------------------------

class Deadline(Answer):
    step: str
    due_at: Stamp
    overdue: bool


class CaseSummary(Answer):
    """Operational metadata: in clear in the database, for everyone who sees the case."""

    reference: str
    unit: str
    stage: Literal["intake", "assessment", "support", "referral", "closure"]
    version: int
    received_at: Stamp
    channel: str
    requested_by: str
    help_requested: bool
    immediate_danger: bool
    harm_categories: list[str]
    platforms: list[str]
    risk_level: str | None
    age_band: str
    gender: str
    lead_officer: str | None = Field(description="username")
    assignees: list[str]
    next_deadline_at: Stamp
    overdue: bool
    deadlines: list[Deadline]
    closure_requested: bool
    closure_reason: str | None
    closed_at: Stamp


class CaseListed(CaseSummary):
    child: dict[str, Any] | None = Field(
        description="Only where you may take a copy of the child's data (audited)")
    child_data_hidden: bool


class CaseDetail(CaseSummary):
    child: dict[str, Any] | None
    child_data_hidden: bool
    reporter: dict[str, Any] | None = None
    consent: dict[str, Any] | None = None
    narrative: str | None = None
    offender_accounts: list[dict[str, Any]] | None = None
    evidence_location: str | None = None
    outcome_summary: str | None = None
    consent_basis: dict[str, Any]
    transitions: list[dict[str, Any]]
    assessments: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    support_actions: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    notes: list[dict[str, Any]]


class CaseList(Answer):
    cases: list[CaseListed]


class OneCase(Answer):
    case: CaseDetail


class Changed(Answer):
    """The answer to a change: the case's metadata (no child data) and what was made."""

    case: CaseSummary
    note: dict[str, Any] | None = None
    referral: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    sharing_consent: dict[str, Any] | None = None


class Recorded(Changed):
    reference: str
    possible_duplicate: bool | None = Field(
        default=None, description="a likely earlier case of the same child exists "
                                  "(blind-index match, can be a coincidence): ask a supervisor")
    repeat_offender: bool | None = Field(
        default=None, description="an offender account was possibly named in another case")
