"""Case care tables: break-glass accesses, notifications, evidence,
duplicate matches, sharing consents and data-subject requests.

A break-glass access is a supervisor's read-only, time-limited view of one
case's child data. Its written reason may name the child, so it is sealed
under the case's own data key (shredding the case shreds the reason too);
everything else (who, which case, when, until when) is metadata in clear.

A notification holds no child data: a kind, the case reference, times.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db


class BreakGlassAccess(db.Model, SealedRecord, AccessSealed):
    __tablename__ = "break_glass_accesses"
    __access_fields__ = ("case_id", "user_id", "started_at", "expires_at", "ended_at")
    __sealed_key_owner__ = "case"
    __table_args__ = (Index("ix_break_glass_user_case", "user_id", "case_id"),)

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


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_reference: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- evidence ---------------------------------------------------------------------------------

ATTACHMENT_MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp",
                          "application/pdf", "text/plain")


class Attachment(db.Model, SealedRecord):
    """A file of evidence: its bytes, name and description sealed under the case's key.

    The media type is the one found by reading the content (never the name or
    the browser's claim) and is what the download is served as.
    """

    __tablename__ = "case_attachments"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    media_type: Mapped[str] = mapped_column(String(64))
    # Rounded up to evidence.SIZE_BUCKET (the exact size is sealed with the content).
    size_bytes: Mapped[int] = mapped_column(Integer)
    filename = Sealed(str)
    description = Sealed(str)
    # SHA-256 of the content, sealed: in clear it would let a database reader
    # confirm that a known image is held here.
    sha256 = Sealed(str)
    content = Sealed(bytes)

    case: Mapped[Case] = relationship()


# --- duplicates and repeat offenders ---------------------------------------------------------

MATCH_KINDS = ("child", "offender")
MATCH_STATUSES = ("open", "linked", "dismissed")


class CaseMatch(db.Model):
    """A likely earlier case of the same child, or an offender handle named before.

    Found at intake by comparing blind indexes only; holds two case ids and a
    kind, never the value that matched.
    """

    __tablename__ = "case_matches"
    __table_args__ = (
        UniqueConstraint("case_id", "other_case_id", "kind", name="one_match_per_kind"),
        CheckConstraint("kind IN ('child', 'offender')", name="kind_known"),
        CheckConstraint("status IN ('open', 'linked', 'dismissed')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    other_case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                               index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    other_case: Mapped[Case] = relationship(foreign_keys=[other_case_id])


# --- consent to share with an agency -------------------------------------------------------------

SHARING_CONSENT_BASES = ("consent", "emergency", "legal_duty")


class SharingConsent(db.Model, SealedRecord):
    """Consent (or the legal ground used without it) to share the case with one agency."""

    __tablename__ = "case_sharing_consents"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint("basis IN ('consent', 'emergency', 'legal_duty')", name="basis_known"),
        Index("ix_sharing_consent_case_agency", "case_id", "agency_code"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("ref_agencies.code"))
    basis: Mapped[str] = mapped_column(String(16))
    consent_child: Mapped[bool | None] = mapped_column(Boolean)  # None: under 7
    consent_guardian: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    note = Sealed(str)

    case: Mapped[Case] = relationship()

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


# --- data-subject requests -------------------------------------------------------------------

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
