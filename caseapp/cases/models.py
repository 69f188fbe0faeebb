"""Case tables.

What is in clear and why: everything scoping, deadlines and dashboards need
(unit, stage, codes, flags, timestamps, assignments, age band) is plain so
that no query decrypts. Everything that identifies or describes a child, a
reporter or an incident is ``Sealed`` under the case's own data key; child
records (notes, assessments, plans, actions, referrals, transitions) share
that key through ``__sealed_key_owner__ = "case"``, so destroying one key
shreds the whole case.

The case's ``stage`` is changed only by :mod:`caseapp.cases.workflow`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    and_,
    false,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.crypto import Sealed, SealedOwner, SealedRecord
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db
from caseapp.units.models import Unit

STAGES = ("intake", "assessment", "support", "referral", "closure")
OPEN_STAGES = STAGES[:-1]
LEVELS = ("high", "medium", "low")
# Split at 16: the Law on Children protects those under 16; 16- and 17-year-olds
# are minors the union helps the same way, counted apart.
AGE_BANDS = ("0-5", "6-10", "11-15", "16-17", "unknown")
MINOR_BAND = "16-17"
# Bands before the split (until `caseapp cases reband` re-bands a case; a shredded
# case keeps its old band, since its age can no longer be read).
LEGACY_AGE_BANDS = ("11-14", "15-17")
# Mẫu 01, note (4): the group the child belongs to.
CHILD_GROUPS = ("abused", "at_risk", "special_circumstances")
# Consent as it was recorded at intake. "too_young": the child is under 7 (the
# child's own consent is asked from 7, Law on Children Art. 33).
CONSENT_STATES = ("given", "refused", "not_asked")
CHILD_CONSENT_STATES = CONSENT_STATES + ("too_young",)
LEGAL_GROUNDS = ("emergency", "legal_duty")
# The basis on which an intake is recorded when consent is not complete: the
# duty to receive and record every report (Decree 56, Art. 25). It is not a
# basis for sharing the case with anyone.
RECEIVE_REPORT = "receive_report"
INTAKE_GROUNDS = LEGAL_GROUNDS + (RECEIVE_REPORT,)
SHARING_BASES = ("consent",) + LEGAL_GROUNDS
REFERRAL_STATUSES = ("sent", "accepted", "declined", "completed")
ASSESSMENT_KINDS = ("initial", "needs")  # Mẫu 02, Mẫu 03
# Emergency measures (Decree 56, Art. 26(3), 31, 32): allowed from intake on,
# before any plan; each meets the 12-hour deadline. Temporary separation from
# the environment or person causing harm is its own kind (Art. 32).
EMERGENCY_KINDS = ("emergency", "separation", "safe_place")
ACTION_KINDS = EMERGENCY_KINDS + ("counselling", "psychological", "medical", "legal",
                                  "education", "online_safety", "family", "other")
# People around the child (Mẫu 01: father, mother, the current caregiver).
PERSON_RELATIONS = ("father", "mother", "caregiver", "sibling", "grandparent", "relative",
                    "teacher", "other")
# Closure reasons allowed from assessment (no plan was made): reports found
# unfounded, declined, unreachable, or that belong elsewhere.
EARLY_CLOSURE_REASONS = ("unfounded", "declined", "no_contact", "duplicate", "transferred")
REOPEN_REASONS = ("new_information", "new_incident", "closed_in_error", "other")
# The channels that are a call to the national child-protection hotline 111: the
# hotline's number of the call is asked for them only.
HOTLINE_CHANNELS = ("hotline_111", "hotline_app")
# Is the child safe tonight? "no" counts as immediate danger (the 12-hour
# emergency deadline runs and the case says so at its top).
SAFE_TONIGHT = ("yes", "no", "unknown")


def _in(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    clause = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {clause}" if nullable else clause


# --- Reference lists (admin-editable data, seeded by the migration) --------------------------

class ReferenceEntry:
    """One entry of an admin-editable list. ``code`` is stable: integrations use it."""

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_vi: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    def label(self, locale: str | None = None) -> str:
        return self.label_en if (locale or "vi").startswith("en") else self.label_vi

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"


class Channel(db.Model, ReferenceEntry):
    __tablename__ = "ref_channels"


class Requester(db.Model, ReferenceEntry):
    """Who asked for help: the child, a relative, the community, an agency."""

    __tablename__ = "ref_requesters"


class HarmCategory(db.Model, ReferenceEntry):
    __tablename__ = "ref_harm_categories"

    # Its evidence is sexual images of a child: never uploaded, held by the police
    # (the evidence feature). Admin data, like the labels.
    is_abuse_material: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())


class Platform(db.Model, ReferenceEntry):
    __tablename__ = "ref_platforms"


class Gender(db.Model, ReferenceEntry):
    __tablename__ = "ref_genders"


class Agency(db.Model, ReferenceEntry):
    __tablename__ = "ref_agencies"


class ClosureReason(db.Model, ReferenceEntry):
    __tablename__ = "ref_closure_reasons"


case_harm_categories = Table(
    "case_harm_categories", db.metadata,
    Column("case_id", String(36), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("harm_category_code", String(32), ForeignKey("ref_harm_categories.code"),
           primary_key=True, index=True),
)

case_platforms = Table(
    "case_platforms", db.metadata,
    Column("case_id", String(36), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("platform_code", String(32), ForeignKey("ref_platforms.code"), primary_key=True),
)


# --- The case ---------------------------------------------------------------------------------

# SQL: an open case, written out (not a bound value) so that SQLite and
# PostgreSQL match it with the partial indexes over open cases below.
OPEN_CASE_SQL = "stage <> 'closure'"
INTAKE_CASE_SQL = "stage = 'intake'"
CLOSED_CASE_SQL = "stage = 'closure'"
_OPEN_ONLY = {"sqlite_where": text(OPEN_CASE_SQL), "postgresql_where": text(OPEN_CASE_SQL)}


class Case(db.Model, SealedOwner, AccessSealed):
    __tablename__ = "cases"
    # Who may open the case: its unit, its people, its stage (a counselor sees
    # their intake), a restriction, a purge. MAC'd against a database writer.
    __access_fields__ = ("reference", "unit_id", "stage", "recorded_by_id", "lead_officer_id",
                         "restricted_at", "purged_at", "data_key_id")
    # A purged case's key was shredded with it: a wrapped key put back from an
    # old copy stays refused while purged_at (under the MAC) is set.
    __key_destroyed_with__ = "purged_at"
    __table_args__ = (
        CheckConstraint(_in("stage", STAGES), name="stage_known"),
        CheckConstraint(_in("risk_level", LEVELS, nullable=True), name="risk_level_known"),
        CheckConstraint(_in("age_band", AGE_BANDS + LEGACY_AGE_BANDS), name="age_band_known"),
        CheckConstraint(_in("legal_ground", INTAKE_GROUNDS, nullable=True),
                        name="legal_ground_known"),
        CheckConstraint(_in("child_group", CHILD_GROUPS, nullable=True),
                        name="child_group_known"),
        CheckConstraint(_in("child_consent", CHILD_CONSENT_STATES), name="child_consent_known"),
        CheckConstraint(_in("guardian_consent", CONSENT_STATES),
                        name="guardian_consent_known"),
        CheckConstraint(_in("review_harm_level", LEVELS, nullable=True), name="review_harm_known"),
        CheckConstraint(_in("review_access_level", LEVELS, nullable=True),
                        name="review_access_known"),
        CheckConstraint(_in("review_obstacles_level", LEVELS, nullable=True),
                        name="review_obstacles_known"),
        CheckConstraint(_in("review_self_protection_level", LEVELS, nullable=True),
                        name="review_self_protection_known"),
        CheckConstraint(_in("review_recovery_level", LEVELS, nullable=True),
                        name="review_recovery_known"),
        Index("ix_cases_unit_stage", "unit_id", "stage"),
        # The orders of the lists, each a keyset read through its index (issue 16):
        # "My cases" and the overdue list (deadline, report, id; the cases
        # without a deadline are the NULL range of the same index), the cases
        # waiting for a lead (danger first: one range per flag value), closure
        # requests, plans waiting, and the lists by the oldest report
        # (received_at, id).
        Index("ix_cases_deadline_order", "next_deadline_at", "received_at", "id"),
        Index("ix_cases_danger_order", "immediate_danger", "received_at", "id"),
        Index("ix_cases_closure_order", "closure_requested_at", "id"),
        Index("ix_cases_plan_order", "plan_drafted_at", "id"),
        Index("ix_cases_received_order", "received_at", "id"),
        # Over the open cases only (issue 16: a supervisor's lists and counts
        # grow with the open work, not with every case ever closed). A query
        # reaches them with the same test written out (caseapp.supervision.service).
        # The counts, each a range of its own index within each unit of a subtree:
        Index("ix_cases_open_unit_deadline", "unit_id", "next_deadline_at", "stage",
              **_OPEN_ONLY),
        Index("ix_cases_open_unit_lead", "unit_id", "lead_officer_id", "stage", **_OPEN_ONLY),
        Index("ix_cases_open_unit_closure", "unit_id", "closure_requested_at", "stage",
              **_OPEN_ONLY),
        Index("ix_cases_open_unit_stage", "unit_id", "stage", "id", "plan_drafted_at",
              **_OPEN_ONLY),
        # The supervision lists' orders, walking open cases only:
        Index("ix_cases_open_danger_order", "immediate_danger", "received_at", "id",
              **_OPEN_ONLY),
        Index("ix_cases_open_closure_order", "closure_requested_at", "id", **_OPEN_ONLY),
        Index("ix_cases_open_plan_order", "plan_drafted_at", "id", **_OPEN_ONLY),
        Index("ix_cases_open_received_order", "received_at", "id", **_OPEN_ONLY),
        # "My cases" of a counselor or an officer, one range per way of being on
        # it, keyed on the person in the list's order (queries.own_case_arms):
        # the cases they lead (open ones; closed ones apart, for the list
        # that shows them) and the intakes they recorded (the lead in the index, so that
        # the arm leaves out the cases it leads without reading a row).
        # The stage, last, makes each an index-only read (SQLite reads a column of
        # a partial index's condition from the row otherwise).
        Index("ix_cases_open_lead_order", "lead_officer_id", "next_deadline_at", "received_at",
              "id", "stage", **_OPEN_ONLY),
        Index("ix_cases_closed_lead_order", "lead_officer_id", "next_deadline_at",
              "received_at", "id", "stage", sqlite_where=text(CLOSED_CASE_SQL),
              postgresql_where=text(CLOSED_CASE_SQL)),
        Index("ix_cases_intake_recorder_order", "recorded_by_id", "next_deadline_at",
              "received_at", "id", "lead_officer_id", "stage", "unit_id",
              sqlite_where=text(INTAKE_CASE_SQL), postgresql_where=text(INTAKE_CASE_SQL)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Random, never derived from child data: safe to show, print and log.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), index=True)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    lead_officer_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)

    # Intake (Mẫu 01), operational metadata
    # Indexed by ix_cases_received_order (received_at, id) below.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel_code: Mapped[str] = mapped_column(ForeignKey("ref_channels.code"))
    requested_by_code: Mapped[str] = mapped_column(ForeignKey("ref_requesters.code"))
    # Chosen at intake, never defaulted: the 100% figure counts it.
    help_requested: Mapped[bool] = mapped_column(Boolean)
    # The reporter asked to stay anonymous: their name and contacts are shown only
    # to the people on the case and printed on no copy. In clear because it is a
    # rule about who sees what (read before any key is opened, like restricted_at),
    # not data about anyone.
    reporter_anonymous: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_level: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str] = mapped_column(String(8), default="unknown")
    gender_code: Mapped[str] = mapped_column(ForeignKey("ref_genders.code"))
    # Mẫu 01 note (4); None on cases recorded before it was asked.
    child_group: Mapped[str | None] = mapped_column(String(24))

    # Consent as recorded (given, refused, not asked; the child's "too_young"
    # under 7), and the ground on file when it is not complete: the one chosen,
    # else the duty to receive the report. NULL ground: both consents given.
    child_consent: Mapped[str] = mapped_column(String(16))
    guardian_consent: Mapped[str] = mapped_column(String(16))
    legal_ground: Mapped[str | None] = mapped_column(String(16))
    consent_recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))

    # Blind indexes (keyed HMAC, truncated) for duplicate warnings without decryption
    child_phone_index: Mapped[int | None] = mapped_column(Integer, index=True)
    child_dob_family_index: Mapped[int | None] = mapped_column(Integer, index=True)

    # Timestamps
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    support_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A "restrict" data-rights request in force: child data for the case's
    # supervisors only, until lifted (the data-rights feature).
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Deadlines: each "due" stays until its step is done; next_deadline_at is the
    # nearest pending one, stored so lists sort and "overdue" is one comparison.
    emergency_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emergency_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needs_assessment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needs_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_draft_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_approval_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The commune chairman's decision on the approved plan (Art. 28(4)).
    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Indexed by ix_cases_deadline_order (next_deadline_at, received_at, id) below.
    next_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Closure (Mẫu 06): requested by the lead officer, approved by a supervisor
    closure_reason_code: Mapped[str | None] = mapped_column(ForeignKey("ref_closure_reasons.code"))
    review_harm_level: Mapped[str | None] = mapped_column(String(8))
    review_access_level: Mapped[str | None] = mapped_column(String(8))
    review_obstacles_level: Mapped[str | None] = mapped_column(String(8))
    # Mẫu 06, 1b: the child's ability to protect themself, and their recovery.
    review_self_protection_level: Mapped[str | None] = mapped_column(String(8))
    review_recovery_level: Mapped[str | None] = mapped_column(String(8))
    closure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    closure_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_approved_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # The last request sent back (the reason is sealed below), shown to the officer.
    closure_returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_returned_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    # Optimistic concurrency: the second of two saves gets CaseConflict.
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__: ClassVar[dict] = {"version_id_col": version_id}

    # --- sealed: the child, the reporter, the incident ---
    child_full_name = Sealed(str)
    child_date_of_birth = Sealed(date)
    child_estimated_age = Sealed(int)
    child_address = Sealed(str)
    child_school = Sealed(str)
    child_class = Sealed(str)
    child_phone = Sealed(str)
    guardian_name = Sealed(str)
    guardian_contact = Sealed(str)
    reporter_name = Sealed(str)
    reporter_relation = Sealed(str)
    reporter_phone = Sealed(str)
    reporter_address = Sealed(str)
    narrative = Sealed(str)
    # Mẫu 01: where it happened, the child's condition now, what is feared without
    # help, the family's circumstances, who cares for the child now, help given
    # before the report, and the receiver's additional notes.
    incident_place = Sealed(str)
    child_condition = Sealed(str)
    consequences_without_help = Sealed(str)
    family_circumstances = Sealed(str)
    current_caregiver = Sealed(str)
    help_before_report = Sealed(str)
    intake_notes = Sealed(str)
    # What a hotline counselor asks on the call: the hotline's number of the call,
    # when the harm happened (a day, or in words), where the child is now and
    # whether they are safe tonight (SAFE_TONIGHT), the advice already given, and
    # a disability or need that changes how to reach the child.
    hotline_call_number = Sealed(str)
    harm_date = Sealed(date)
    harm_when = Sealed(str)
    child_whereabouts = Sealed(str)
    safe_tonight = Sealed(str)
    advice_given = Sealed(str)
    child_access_needs = Sealed(str)
    # Where abuse material is held and which police unit took it; never the material
    # (the evidence feature refuses uploads on such cases).
    evidence_location = Sealed(str)
    evidence_police_unit = Sealed(str)
    evidence_police_officer = Sealed(str)
    evidence_police_reference = Sealed(str)
    consent_note = Sealed(str)
    outcome_summary = Sealed(str)
    review_notes = Sealed(str)
    closure_return_reason = Sealed(str)

    unit: Mapped[Unit] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    lead_officer: Mapped[User | None] = relationship(foreign_keys=[lead_officer_id])
    harm_categories: Mapped[list[HarmCategory]] = relationship(
        secondary=case_harm_categories, order_by=HarmCategory.position)
    platforms: Mapped[list[Platform]] = relationship(
        secondary=case_platforms, order_by=Platform.position)
    assignees: Mapped[list[CaseAssignee]] = relationship(
        back_populates="case", cascade="all, delete-orphan")
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.created_at", cascade="all, delete-orphan")
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="case", order_by="Assessment.recorded_at", cascade="all, delete-orphan")
    plans: Mapped[list[SupportPlan]] = relationship(
        back_populates="case", order_by="SupportPlan.version", cascade="all, delete-orphan")
    support_actions: Mapped[list[SupportAction]] = relationship(
        back_populates="case", order_by="SupportAction.performed_at",
        cascade="all, delete-orphan")
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="case", order_by="Referral.sent_at", cascade="all, delete-orphan")
    transitions: Mapped[list[CaseTransition]] = relationship(
        back_populates="case", order_by="CaseTransition.occurred_at",
        cascade="all, delete-orphan")
    offender_accounts: Mapped[list[OffenderAccount]] = relationship(
        back_populates="case", cascade="all, delete-orphan")
    people: Mapped[list[CasePerson]] = relationship(
        back_populates="case", order_by="CasePerson.position", cascade="all, delete-orphan")

    @property
    def harm_category_codes(self) -> list[str]:
        return [h.code for h in self.harm_categories]

    @property
    def platform_codes(self) -> list[str]:
        return [p.code for p in self.platforms]

    @property
    def assignee_ids(self) -> set[str]:
        return {a.user_id for a in self.assignees}

    @property
    def is_closed(self) -> bool:
        return self.stage == "closure"

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None

    @property
    def closure_pending(self) -> bool:
        return self.closure_requested_at is not None and self.stage != "closure"

    @property
    def is_minor(self) -> bool:
        """16 or 17 on the day of the report: helped the same way, outside the
        decree's procedure (no commune decision), counted apart."""
        return self.age_band == MINOR_BAND

    @property
    def latest_plan(self) -> SupportPlan | None:
        return self.plans[-1] if self.plans else None

    @property
    def approved_plan(self) -> SupportPlan | None:
        """The newest plan a supervisor approved (a later draft may be waiting)."""
        return next((p for p in reversed(self.plans) if p.approved_at is not None), None)

    @property
    def plan_missing(self) -> bool:
        """In support or referral without any approved plan (cases that entered
        support before a plan was required): shown to their supervisors."""
        return self.stage in ("support", "referral") and self.approved_plan is None

    @property
    def decision_missing(self) -> bool:
        """An approved plan whose commune decision (Mẫu 05) is not recorded yet;
        never for a minor (the decree's procedure does not apply)."""
        plan = self.approved_plan
        return (plan is not None and plan.decision_recorded_at is None and not self.is_minor
                and self.stage != "closure")

    def is_overdue(self, now: datetime | None = None) -> bool:
        return (self.stage != "closure" and self.next_deadline_at is not None
                and self.next_deadline_at <= (now or clock.now()))

    @hybrid_property
    def is_handled(self) -> bool:
        """DESIGN.md's "handled": assigned, assessed, and supported or closed with a
        supervisor-approved reason."""
        return (self.first_assigned_at is not None and self.assessed_at is not None and (
            self.support_started_at is not None
            or (self.stage == "closure" and self.closure_approved_at is not None
                and self.closure_reason_code is not None)))

    @is_handled.inplace.expression
    @classmethod
    def _is_handled_expression(cls):
        return and_(cls.first_assigned_at.is_not(None), cls.assessed_at.is_not(None), or_(
            cls.support_started_at.is_not(None),
            and_(cls.stage == "closure", cls.closure_approved_at.is_not(None),
                 cls.closure_reason_code.is_not(None))))

    @classmethod
    def overdue_clause(cls, now: datetime):
        """SQL: open cases whose nearest pending deadline has passed."""
        return and_(cls.stage != "closure", cls.next_deadline_at.is_not(None),
                    cls.next_deadline_at <= now)

    # (due column, done column) of each step with a deadline, for the on-time share
    TIMED_STEPS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("emergency_due_at", "emergency_done_at"),
        ("assessment_due_at", "assessed_at"),
        ("needs_assessment_due_at", "needs_assessed_at"),
        ("plan_draft_due_at", "plan_drafted_at"),
        ("plan_approval_due_at", "plan_approved_at"),
    )

    @classmethod
    def late_clause(cls, now: datetime):
        """SQL: some step was done after its deadline, or is still undone past it (open cases)."""
        clauses = []
        for due_name, done_name in cls.TIMED_STEPS:
            due, done = getattr(cls, due_name), getattr(cls, done_name)
            clauses.append(and_(due.is_not(None), or_(
                and_(done.is_not(None), done > due),
                and_(done.is_(None), due <= now, cls.stage != "closure"))))
        return or_(*clauses)

    def is_late(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        for due_name, done_name in self.TIMED_STEPS:
            due, done = getattr(self, due_name), getattr(self, done_name)
            if due is not None and ((done is not None and done > due) or (
                    done is None and due <= now and self.stage != "closure")):
                return True
        return False

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.stage}>"


class CaseAssignee(db.Model, AccessSealed):
    """Another person working on the case besides the lead officer."""

    __tablename__ = "case_assignees"
    # The row itself grants the case: case and user (its key) and who assigned.
    __access_fields__ = ("assigned_by_id", "assigned_at")
    # A person's assignments, read without the rows ("My cases": queries.own_case_arms).
    __table_args__ = (Index("ix_case_assignees_user_case", "user_id", "case_id"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    assigned_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(back_populates="assignees")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class OffenderAccount(db.Model, SealedRecord):
    """An offender's account handle or link, with its blind index for repeat-offender checks."""

    __tablename__ = "case_offender_accounts"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    platform_code: Mapped[str | None] = mapped_column(ForeignKey("ref_platforms.code"))
    handle_index: Mapped[int | None] = mapped_column(Integer, index=True)
    handle = Sealed(str)

    case: Mapped[Case] = relationship(back_populates="offender_accounts")


class CaseNote(db.Model, SealedRecord):
    __tablename__ = "case_notes"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    text = Sealed(str)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


class Assessment(db.Model, SealedRecord):
    """Initial risk assessment (Mẫu 02) or needs assessment (Mẫu 03).

    ``details`` holds the form's structured points: for Mẫu 02 the three
    criteria (harm, access, obstacles), whether the caregiver causes the harm
    and whether emergency measures are applied; for Mẫu 03 the points a-h of
    Art. 27(1) and the needs meeting's chair, participants and measures."""

    __tablename__ = "case_assessments"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint(_in("kind", ASSESSMENT_KINDS), name="kind_known"),
        CheckConstraint(_in("risk_level", LEVELS, nullable=True), name="risk_level_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    risk_level: Mapped[str | None] = mapped_column(String(8))
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The needs meeting's day (Art. 27(2)); who took part is in the sealed details.
    meeting_on: Mapped[date | None] = mapped_column(Date)
    notes = Sealed(str)
    details = Sealed(dict)

    case: Mapped[Case] = relationship(back_populates="assessments")

    @property
    def has_meeting(self) -> bool:
        return self.meeting_on is not None


class CasePerson(db.Model, SealedRecord):
    """Someone around the child (Mẫu 01: father, mother, the caregiver): the
    relation in clear (a code), who they are sealed."""

    __tablename__ = "case_people"
    __sealed_key_owner__ = "case"
    __table_args__ = (CheckConstraint(_in("relation", PERSON_RELATIONS), name="relation_known"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    full_name = Sealed(str)
    age = Sealed(int)
    occupation = Sealed(str)
    contact = Sealed(str)

    case: Mapped[Case] = relationship(back_populates="people")


class SupportPlan(db.Model, SealedRecord):
    """Support and intervention plan (Mẫu 04, Decree 56 Art. 28).

    ``items`` is a list of {"action", "who", "provider", "start", "due", "cost"}
    (dates as ISO dates, cost in VND): the services and tasks with when they
    start and end, who is responsible, the service provider mobilised, and the
    estimated cost (Art. 28(3) a-d). A revision is a new version and needs
    approval again.

    Two approvals: a supervisor of the case's unit signs it off (the union's
    internal gate, or sends it back with a reason); the commune chairman's
    decision (Mẫu 05, Art. 28(4)) is recorded when it comes back.
    """

    __tablename__ = "case_plans"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        # The supervision lists' tests on plans (issue 16): each case's versions
        # and their state, read from the index alone; the plans waiting for a
        # supervisor and the approved ones without the commune's decision, each
        # an index of its own rows only.
        Index("ix_case_plans_case_version", "case_id", "version", "approved_at", "returned_at",
              "decision_recorded_at"),
        Index("ix_case_plans_waiting", "case_id", "version", "approved_at", "returned_at",
              sqlite_where=text("approved_at IS NULL AND returned_at IS NULL"),
              postgresql_where=text("approved_at IS NULL AND returned_at IS NULL")),
        Index("ix_case_plans_no_decision", "case_id", "version", "approved_at",
              "decision_recorded_at",
              sqlite_where=text("approved_at IS NOT NULL AND decision_recorded_at IS NULL"),
              postgresql_where=text("approved_at IS NOT NULL AND decision_recorded_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    drafted_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    approved_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decision_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    goals = Sealed(str)
    items = Sealed(list)
    return_reason = Sealed(str)
    decision_number = Sealed(str)
    decision_date = Sealed(date)
    decision_signatory = Sealed(str)

    @property
    def is_waiting(self) -> bool:
        """Drafted, neither approved nor sent back: a supervisor must decide."""
        return self.approved_at is None and self.returned_at is None

    case: Mapped[Case] = relationship(back_populates="plans")


class SupportAction(db.Model, SealedRecord):
    """A dated support action, emergency action included."""

    __tablename__ = "case_support_actions"
    __sealed_key_owner__ = "case"
    __table_args__ = (CheckConstraint(_in("kind", ACTION_KINDS), name="kind_known"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    description = Sealed(str)

    case: Mapped[Case] = relationship(back_populates="support_actions")


class Referral(db.Model, SealedRecord):
    """One agency the case was sent to, and what became of it."""

    __tablename__ = "case_referrals"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint(_in("status", REFERRAL_STATUSES), name="status_known"),
        CheckConstraint(_in("sharing_basis", SHARING_BASES), name="sharing_basis_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("ref_agencies.code"))
    status: Mapped[str] = mapped_column(String(16), default="sent")
    sharing_basis: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    reason = Sealed(str)
    what_was_sent = Sealed(str)
    outcome = Sealed(str)

    case: Mapped[Case] = relationship(back_populates="referrals")
    agency: Mapped[Agency] = relationship()


class CaseTransition(db.Model, SealedRecord):
    """One stage change, for the case's timeline (the audit log has it too)."""

    __tablename__ = "case_transitions"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint(_in("from_stage", STAGES), name="from_stage_known"),
        CheckConstraint(_in("to_stage", STAGES), name="to_stage_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note = Sealed(str)

    case: Mapped[Case] = relationship(back_populates="transitions")
