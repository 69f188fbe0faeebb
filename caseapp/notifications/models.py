"""In-app notifications: a kind, a case reference and times; never child data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caseapp import clock
from caseapp.database import UTCDateTime
from caseapp.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),
                      # The page's order (newest first), a keyset per person.
                      Index("ix_notifications_user_order", "user_id", "created_at", "id"),
                      UniqueConstraint("user_id", "dedupe_key", name="once_per_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_reference: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set for notices a scan makes ("deadline_soon:<case>:<step>:<due>"): each once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))

    @property
    def step(self) -> str | None:
        """The deadline's step of a deadline notice ("assessment"), else None."""
        if not self.kind.startswith("deadline_") or not self.dedupe_key:
            return None
        parts = self.dedupe_key.split(":", 3)
        return parts[2] if len(parts) > 2 else None


class NotificationSettings(db.Model):
    """Whether and where a person gets an e-mail digest of their unread notices
    (kinds and case references only, never child data)."""

    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint("digest IN ('none', 'daily', 'weekly')",
                                      name="digest_known"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    digest: Mapped[str] = mapped_column(String(8), default="none")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationScanRun(db.Model):
    """A finished run of ``caseapp notifications scan`` (the timer's): while the
    last is recent the app's workers leave the scan to the timer instead of
    scanning after a request (caseapp.notifications.events.maybe_scan)."""

    __tablename__ = "notification_scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    notices_made: Mapped[int] = mapped_column(Integer)
