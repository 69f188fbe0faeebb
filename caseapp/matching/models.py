"""A possible match between two cases (the same child, a known offender account)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db

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
