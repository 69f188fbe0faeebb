"""A break-glass access: a supervisor's read-only, time-limited view of one case's child data.

Its written reason may name the child, so it is sealed under the case's own
data key; who, which case, when and until when are metadata in clear, MAC'd
against a database writer.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db


class BreakGlassAccess(db.Model, SealedRecord, AccessSealed):
    __tablename__ = "break_glass_accesses"
    __access_fields__ = ("case_id", "user_id", "started_at", "expires_at", "ended_at")
    __sealed_key_owner__ = "case"
    __table_args__ = (Index("ix_break_glass_user_case", "user_id", "case_id"),
                      # The supervision page's list, newest first (read backwards).
                      Index("ix_break_glass_started_order", "started_at", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # The supervisor's unit path when the glass was broken: the dashboard's scope.
    unit_path: Mapped[str] = mapped_column(String(255), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason = Sealed(str)

    case: Mapped[Case] = relationship()
    user: Mapped[User] = relationship()

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        return self.ended_at is None and clock.as_utc(self.expires_at) > now

    def ends_at(self) -> datetime:
        """When the access ended or will end."""
        return clock.as_utc(self.ended_at or self.expires_at)
