"""An awareness session held by a unit: a day, audiences, a count, a topic, and
notes (sealed)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.crypto import Sealed, SealedOwner
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db
from caseapp.units.models import Unit

AUDIENCES = ("children", "parents", "teachers", "union_members")
MAX_ATTENDEES = 100_000


class AwarenessSession(db.Model, SealedOwner):
    """``notes`` is free text staff write: sealed with the session's own data key,
    read only by those who may edit the session (a name typed there against the
    form's advice is no more exposed than a case's), shredded with the session."""

    __tablename__ = "awareness_sessions"
    __table_args__ = (
        CheckConstraint(f"attendees BETWEEN 1 AND {MAX_ATTENDEES}", name="attendees_range"),
        # The sessions list's order (newest first, a page at a time).
        Index("ix_awareness_sessions_list_order", "held_on", "recorded_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    # The audiences' codes, sorted and joined by commas ("children,parents").
    audience: Mapped[str] = mapped_column(String(64))
    attendees: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200))
    notes = Sealed(str)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Unit] = relationship()

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(code for code in self.audience.split(",") if code)
