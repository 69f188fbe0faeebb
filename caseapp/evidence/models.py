"""Evidence files of a case, sealed under the case's key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db

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
