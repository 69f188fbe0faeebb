"""Requests of a child or guardian about their data (Decree 13/2023)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db

DATA_REQUEST_KINDS = ("access", "correct", "restrict", "delete")


DATA_REQUEST_STATUSES = ("open", "granted", "refused", "lifted")


DATA_REQUESTERS = ("child", "guardian")


class DataRequest(db.Model, SealedRecord):
    """A request by the child or guardian to see, correct, restrict or delete data."""

    __tablename__ = "case_data_requests"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint("kind IN ('access', 'correct', 'restrict', 'delete')",
                        name="kind_known"),
        CheckConstraint("status IN ('open', 'granted', 'refused', 'lifted')",
                        name="status_known"),
        CheckConstraint("requested_by IN ('child', 'guardian')", name="requester_known"),
        # The supervision page's list of open requests, nearest deadline first.
        Index("ix_case_data_requests_status_order", "status", "due_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    details = Sealed(str)
    answer = Sealed(str)

    case: Mapped[Case] = relationship()
