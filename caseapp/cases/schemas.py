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
# Required: a change made without saying which version it was made on could
# undo a newer save unseen (the screens' forms refuse that too).
Version = Annotated[int, Field(description="The case's version you saw (GET gives it): a "
                                           "newer one answers 409")]
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
    access_needs: Text = Field(default="", description="a disability or need that changes how "
                                                       "to reach the child")

    def to_data(self) -> data.ChildData:
        return data.ChildData(**self.model_dump())


class ReporterIn(Body):
    name: Short = ""
    relation: Short = ""
    phone: Short = ""
    address: Short = ""
    anonymous: bool = Field(default=False, description="the reporter asks to stay anonymous: "
                            "name and contacts shown only to the people on the case, "
                            "printed on no copy")


ConsentState = Literal["given", "refused", "not_asked"]


def _also_booleans(schema: dict[str, Any]) -> None:
    """The document says what the validator below accepts: the older booleans too."""
    state = {key: schema.pop(key) for key in ("enum", "type")}
    schema["anyOf"] = [state, {"type": "boolean", "description": "true: given; false: not "
                                                                 "asked (older clients)"},
                       {"type": "null", "description": "not asked (older clients)"}]


def _consent_state(value: Any) -> Any:
    """Earlier clients sent booleans: true is "given", false or null "not asked"."""
    if value is True:
        return "given"
    if value is False or value is None:
        return "not_asked"
    return value


class ConsentIn(Body):
    """Consent as recorded. Recording a report never waits for it (Decree 56,
    Art. 25): without both consents the ground on file is ``legal_ground``, or
    else the duty to receive the report. Under 7 the child's is not asked."""

    child: ConsentState = Field(default="not_asked",
                                description="the child's own consent, asked from age 7",
                                json_schema_extra=_also_booleans)
    guardian: ConsentState = Field(default="not_asked", json_schema_extra=_also_booleans)
    legal_ground: Literal["emergency", "legal_duty"] | None = None
    note: Text = ""

    @field_validator("child", "guardian", mode="before")
    @classmethod
    def _from_boolean(cls, value: Any) -> Any:
        return _consent_state(value)


class PersonIn(Body):
    """Someone around the child (Mẫu 01: father, mother, caregiver...)."""

    relation: Literal["father", "mother", "caregiver", "sibling", "grandparent", "relative",
                      "teacher", "other"]
    full_name: Short = ""
    age: Annotated[int, Field(ge=0, le=120)] | None = None
    occupation: Short = ""
    contact: Short = ""

    def to_data(self) -> data.PersonData:
        return data.PersonData(**self.model_dump())


class OffenderAccountIn(Body):
    handle: Short
    platform: Code | None = None


def _names_too(schema: dict[str, Any]) -> None:
    """The document says what the validator of IntakeIn accepts: an account as its
    name or link alone, as well as {handle, platform}."""
    schema["items"] = {"anyOf": [{"type": "string", "maxLength": 500}, schema["items"]]}


class IntakeIn(Body):
    """Form Mẫu 01 (Decree 56/2017). Codes are those of the admin-editable lists."""

    unit: Code = Field(description="unit code")
    received_at: datetime = Field(description="to the minute; without offset: Vietnam time")
    channel: Code
    requested_by: Code
    help_requested: bool = Field(description="no default: the 100% figure counts it")
    child_group: Literal["abused", "at_risk", "special_circumstances"] | None = Field(
        default=None, description="Mẫu 01, note (4)")
    harm_categories: Annotated[list[Code], Field(max_length=20)]
    platforms: Annotated[list[Code], Field(max_length=20)] = []
    offender_accounts: Annotated[list[OffenderAccountIn], Field(max_length=50)] = Field(
        default=[], description="an account name or link, or {handle, platform}",
        json_schema_extra=_names_too)
    immediate_danger: bool = False
    narrative: Text
    evidence_location: Text = ""
    child: ChildIn
    reporter: ReporterIn = ReporterIn()
    consent: ConsentIn = ConsentIn()
    incident_place: Short = ""
    child_condition: Text = ""
    consequences_without_help: Text = ""
    family_circumstances: Text = ""
    current_caregiver: Short = ""
    help_before_report: Text = ""
    intake_notes: Text = ""
    people: Annotated[list[PersonIn], Field(max_length=20)] = []
    hotline_call_number: Annotated[str, Field(max_length=32)] = Field(
        default="", description="the hotline's number of the call (channels hotline_111 and "
                                "hotline_app only)")
    harm_date: date | None = Field(default=None, description="the day the harm happened")
    harm_when: Short = Field(default="", description="when the harm happened, in words, if "
                                                     "the day is not known")
    child_whereabouts: Short = Field(default="", description="where the child is now")
    safe_tonight: Literal["yes", "no", "unknown"] | None = Field(
        default=None, description="is the child safe tonight; \"no\" records immediate danger")
    advice_given: Text = Field(default="", description="advice already given on the call")

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
            help_requested=self.help_requested, child_group=self.child_group or "",
            harm_categories=tuple(self.harm_categories), platforms=tuple(self.platforms),
            offender_accounts=tuple(data.OffenderAccountData(a.handle, a.platform)
                                    for a in self.offender_accounts),
            reporter=data.ReporterData(**self.reporter.model_dump()),
            narrative=self.narrative, immediate_danger=self.immediate_danger,
            evidence_location=self.evidence_location, incident_place=self.incident_place,
            child_condition=self.child_condition,
            consequences_without_help=self.consequences_without_help,
            family_circumstances=self.family_circumstances,
            current_caregiver=self.current_caregiver,
            help_before_report=self.help_before_report, intake_notes=self.intake_notes,
            people=tuple(p.to_data() for p in self.people),
            hotline_call_number=self.hotline_call_number, harm_date=self.harm_date,
            harm_when=self.harm_when, child_whereabouts=self.child_whereabouts,
            safe_tonight=self.safe_tonight or "", advice_given=self.advice_given)


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
    """The data of the step: intake→assessment (Mẫu 02) {harm, access, obstacles,
    risk_level, notes, immediate_danger, caregiver_harms, emergency_measures};
    assessment→support {note} (needs an approved plan); support→referral (as a
    referral); referral→support {reason}; →closure (a supervisor's approval of
    the closure request); closure→assessment (reopen) {reason}."""

    to: Literal["intake", "assessment", "support", "referral", "closure"]
    version: Version
    risk_level: Level | None = None
    harm: Level | None = None
    access: Level | None = None
    obstacles: Level | None = None
    caregiver_harms: bool = False
    emergency_measures: bool = False
    notes: Text = ""
    immediate_danger: bool = False
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
                                       immediate_danger=self.immediate_danger,
                                       harm=self.harm or "", access=self.access or "",
                                       obstacles=self.obstacles or "",
                                       caregiver_harms=self.caregiver_harms,
                                       emergency_measures=self.emergency_measures)
        if step == ("closure", "assessment"):
            return data.ReopenData(reason=self.reason)
        if step == ("assessment", "support"):
            return data.SupportData(note=self.note)
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
    """Mẫu 03: Decree 56 Art. 27(1) a-h, the needs meeting (Art. 27(2)), the conclusion."""

    notes: Text = Field(description="the conclusion")
    condition: Text = Field(description="a) physical, psychological, emotional state")
    family: Text = Field(description="b) family, relationships, the parents' ability to "
                                     "protect")
    risk_factors: Text = ""
    learning: Text = ""
    community: Text = ""
    service_needs: Text = Field(description="e) medical, social, schooling, legal, "
                                            "counselling needs")
    child_views: Text = ""
    caregiver_views: Text = ""
    meeting_date: date | None = None
    meeting_chair: Short = ""
    meeting_participants: Text = ""
    meeting_measures: Text = ""

    def to_data(self) -> data.NeedsAssessmentData:
        return data.NeedsAssessmentData(**self.model_dump())


class PlanItemIn(Body):
    """A service or task (Art. 28(3) a-d)."""

    action: Text
    who: Short = ""
    provider: Short = ""
    start: date | None = None
    due: date | None = Field(default=None, description="expected end")
    cost: Annotated[int, Field(ge=0, le=10**12)] | None = Field(
        default=None, description="estimated cost, VND")


class PlanIn(Body):
    goals: Text
    items: Annotated[list[PlanItemIn], Field(max_length=50)]
    follow_up_at: datetime | None = None
    version: Version

    def to_data(self) -> data.PlanData:
        return data.PlanData(goals=self.goals, follow_up_at=self.follow_up_at,
                             items=tuple(data.PlanItem(**i.model_dump())
                                         for i in self.items))


class VersionIn(Body):
    version: Version


class SupportActionIn(Body):
    kind: Code
    description: Text
    performed_at: datetime | None = None
    next_follow_up_at: datetime | None = None


class SendBackIn(Body):
    reason: Text = Field(description="what must change: the officer reads it")
    version: Version


class DecisionIn(Body):
    """The commune chairman's decision on the approved plan (Mẫu 05)."""

    number: Short
    decided_on: date
    signatory: Short

    def to_data(self) -> data.DecisionData:
        return data.DecisionData(**self.model_dump())


class ClosureIn(Body):
    """After support the review (Mẫu 06) is required; from assessment only the
    reasons that need no plan, without it."""

    reason: Code
    outcome_summary: Text
    review_harm: Level | None = None
    review_access: Level | None = None
    review_obstacles: Level | None = None
    review_self_protection: Level | None = None
    review_recovery: Level | None = None
    review_notes: Text = ""
    version: Version

    def to_data(self) -> data.ClosureData:
        values = self.model_dump(exclude={"version"})
        return data.ClosureData(**{k: v or "" for k, v in values.items()})


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
    minor: bool = Field(description="16 or 17: outside the decree's procedure, counted apart")
    child_group: str | None
    gender: str
    lead_officer: str | None = Field(description="username")
    assignees: list[str]
    next_deadline_at: Stamp
    overdue: bool
    deadlines: list[Deadline]
    closure_requested: bool
    closure_reason: str | None
    closed_at: Stamp
    plan_missing: bool = Field(description="in support without an approved plan")
    decision_missing: bool = Field(description="an approved plan without the commune's "
                                               "decision (form 05)")


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
    incident_place: str | None = None
    child_condition: str | None = None
    consequences_without_help: str | None = None
    family_circumstances: str | None = None
    current_caregiver: str | None = None
    help_before_report: str | None = None
    intake_notes: str | None = None
    people: list[dict[str, Any]] | None = None
    hotline_call_number: str | None = None
    harm_date: str | None = Field(default=None, json_schema_extra={"format": "date"})
    harm_when: str | None = None
    child_whereabouts: str | None = None
    safe_tonight: str | None = None
    advice_given: str | None = None
    consent_basis: dict[str, Any]
    transitions: list[dict[str, Any]]
    assessments: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    support_actions: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    notes: list[dict[str, Any]]


class CaseList(Answer):
    cases: list[CaseListed]
    total: int = Field(description="How many cases the list holds in all")
    next: str | None = Field(description="The `after` value of the next page; null on the last")


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
