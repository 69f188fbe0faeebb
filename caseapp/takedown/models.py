"""Harmful content of a case and the requests to take it down.

An item is where the content is (its link or handle, sealed under the case's
key, with the blind index that offender accounts carry), never the content:
abuse material is never fetched or stored. Its platform and kind, the
channels written to, the dates and the outcomes are metadata (the
supervision figures count them without opening a case); the ticket or
reference number a platform or an authority gave is sealed.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db

# A fixed list (the figures compare platforms across units and years).
PLATFORMS = ("facebook", "tiktok", "youtube", "zalo", "instagram", "telegram", "x", "discord",
             "other")
ITEM_KINDS = ("post", "account", "group", "link")
# To whom a request went: the platform's report channel, its trusted-flagger
# contact, the authority in charge of information safety, the police.
CHANNELS = ("platform_report", "trusted_flagger", "information_safety", "police")
OUTCOMES = ("removed", "restricted", "refused", "no_answer")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TakedownItem(db.Model, SealedRecord):
    """A post, account, group or link to take down: its link sealed."""

    __tablename__ = "case_takedown_items"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint(_one_of("platform", PLATFORMS), name="platform_known"),
        CheckConstraint(_one_of("kind", ITEM_KINDS), name="kind_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    # Keyed HMAC of the normalised link (as an offender account's handle_index).
    link_index: Mapped[int | None] = mapped_column(Integer, index=True)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    link = Sealed(str)
    note = Sealed(str)

    case: Mapped[Case] = relationship()


class TakedownRequest(db.Model, SealedRecord):
    """One request to take an item down: to whom, when, its ticket (sealed),
    and later its outcome and the day it came. Without an outcome by
    ``answer_due_at`` it is overdue (TAKEDOWN_ANSWER_DAYS)."""

    __tablename__ = "case_takedown_requests"
    __sealed_key_owner__ = "case"
    __table_args__ = (
        CheckConstraint(_one_of("channel", CHANNELS), name="channel_known"),
        CheckConstraint(f"outcome IS NULL OR {_one_of('outcome', OUTCOMES)}",
                        name="outcome_known"),
        CheckConstraint("(outcome IS NULL) = (outcome_on IS NULL)", name="outcome_dated"),
        # The scan and "My cases": requests still waiting, by due time.
        Index("ix_takedown_requests_waiting", "outcome", "answer_due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("case_takedown_items.id",
                                                    ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(24))
    sent_on: Mapped[date] = mapped_column(Date)
    answer_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the scan announced it overdue: a later scan skips it (without this,
    # every scan would read every unanswered request again, and look up its notices).
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket = Sealed(str)

    case: Mapped[Case] = relationship()
    item: Mapped[TakedownItem] = relationship()

    def is_overdue(self, now: datetime) -> bool:
        return self.outcome is None and clock.as_utc(self.answer_due_at) <= now
