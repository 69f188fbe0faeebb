"""Consent to share a case with an agency, or the legal ground for sharing it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
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
