"""The plan's goals as records, their dated progress notes, and scheduled
follow-ups: every word about the child sealed under the case's key; dates,
kinds, statuses and who goes stay in clear (metadata, like deadlines) so that
lists and the deadline scan need no decryption."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db

GOAL_STATUSES = ("not_started", "in_progress", "reached", "dropped")
FOLLOW_UP_KINDS = ("home_visit", "call", "school_visit", "family_meeting")
FOLLOW_UP_STATES = ("scheduled", "done", "missed")


class PlanGoal(db.Model, SealedRecord):
    """One goal of the case's support plan (Mẫu 04), with its status."""

    __tablename__ = "case_plan_goals"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint("status IN ('not_started', 'in_progress', 'reached', 'dropped')",
                        name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text = Sealed(str)

    case: Mapped[Case] = relationship()
    progress: Mapped[list[GoalProgress]] = relationship(
        back_populates="goal", order_by="GoalProgress.noted_on, GoalProgress.recorded_at")


class GoalProgress(db.Model, SealedRecord):
    """A dated note of progress towards one goal (and the status it left)."""

    __tablename__ = "case_goal_progress"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    goal_id: Mapped[str] = mapped_column(ForeignKey("case_plan_goals.id", ondelete="CASCADE"),
                                         index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    noted_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    note = Sealed(str)

    case: Mapped[Case] = relationship()
    goal: Mapped[PlanGoal] = relationship(back_populates="progress")


class FollowUp(db.Model, SealedRecord):
    """A follow-up planned on a day (``due_at``: the end of that local day, when
    it becomes overdue), of a kind, by one person of the unit; then done or
    missed with its outcome (sealed). A missed one stays to be answered until a
    follow-up is planned after it was marked missed."""

    __tablename__ = "case_follow_ups"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint("kind IN ('home_visit', 'call', 'school_visit', 'family_meeting')",
                        name="kind_known"),
        CheckConstraint("state IN ('scheduled', 'done', 'missed')", name="state_known"),
        Index("ix_case_follow_ups_case_due", "case_id", "state", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    scheduled_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    settled_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome = Sealed(str)

    case: Mapped[Case] = relationship()
