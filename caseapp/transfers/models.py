"""A case's transfer from one unit to another, asked by a supervisor of the
case and decided by a supervisor of the receiving unit.

In clear (metadata: scoping, queues and the audit need them without a key):
the case, both units, the status, the reason's category, who and when. The
free-text reasons (why the case moves, why it is declined) may name the child,
so they are sealed under the case's own data key. The row decides who may
move a case into their unit, so it is MAC'd against a database writer like
an assignment (:class:`AccessSealed`): a pending row inserted by hand is not
intact and cannot be accepted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db
from caseapp.units.models import Unit

STATUSES = ("pending", "accepted", "declined", "cancelled")
# Why a case moves (the three cases, and anything else).
REASON_CODES = ("child_moved", "other_commune", "handed_down", "other")
PENDING_SQL = "status = 'pending'"


class CaseTransfer(db.Model, SealedRecord, AccessSealed):
    __tablename__ = "case_transfers"
    __sealed_key_owner__ = "case"
    __access_fields__ = ("case_id", "from_unit_id", "to_unit_id", "status", "requested_by_id",
                         "requested_at", "decided_by_id", "decided_at")
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined', 'cancelled')",
                        name="status_known"),
        CheckConstraint("reason_code IN ('child_moved', 'other_commune', 'handed_down', "
                        "'other')", name="reason_code_known"),
        CheckConstraint("from_unit_id <> to_unit_id", name="to_another_unit"),
        # One pending transfer per case at most (the database says so too).
        Index("ix_case_transfers_one_pending", "case_id", unique=True,
              sqlite_where=text(PENDING_SQL), postgresql_where=text(PENDING_SQL)),
        # The receiving supervisors' list: pending transfers into a unit, oldest first.
        Index("ix_case_transfers_to_status", "to_unit_id", "status", "requested_at"),
        Index("ix_case_transfers_from_status", "from_unit_id", "status", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason_code: Mapped[str] = mapped_column(String(24))
    requested_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Accepted or declined by a receiving supervisor, or cancelled by a sending one.
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason = Sealed(str)
    decline_reason = Sealed(str)

    case: Mapped[Case] = relationship()
    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id])

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    def __repr__(self) -> str:
        return f"<CaseTransfer {self.id} {self.status}>"
