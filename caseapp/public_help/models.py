"""A request for help sent through the public form, and the messages its sender
leaves later.

The tracking code is stored only as a keyed HMAC (:mod:`.codes`): the table
cannot give it back, and a copy of the database without the app's secret
cannot test guesses against it. A message is sealed under its case's data key
(it is the child's words) and goes with the case when the case is shredded.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db


class PublicRequest(db.Model):
    """One case that the public form created, found again by its tracking code."""

    __tablename__ = "public_help_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    case: Mapped[Case] = relationship()


class PublicMessage(db.Model, SealedRecord):
    """A message the sender left for the officer with their tracking code."""

    __tablename__ = "public_help_messages"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    text = Sealed(str)

    case: Mapped[Case] = relationship()
