"""Partner API tokens and the idempotency keys of the intakes they file.

A token's secret is shown once and kept only as its SHA-256 (a random
256-bit secret needs no slow hash: nobody can guess it, and a digest of it
cannot be turned back into it); it is looked up by that digest. The
``family`` (the partner's slug and the token's unit, ``hotline-111.HUYEN``)
names the service account that files the partner's intakes in that unit:
every token of the family shares it, so a rotated token still reads the
stage of the cases filed with the one it replaced, and an idempotency key
holds for the family.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db
from caseapp.units.models import Unit

SCOPES = ("intake:create", "case:status")


class ApiToken(db.Model, AccessSealed):
    __tablename__ = "partner_tokens"
    # The admin's list, newest first, a page at a time (caseapp.partners.service).
    __table_args__ = (Index("ix_partner_tokens_list_order", "created_at", "id"),)
    # What the token may reach, MAC'd against a database writer: a digest of a
    # secret of their own inserted by hand, a revocation lifted, an expiry
    # stretched, another unit or scope: the row is not intact and counts as unknown.
    __access_fields__ = ("secret_hash", "family", "unit_id", "scopes", "expires_at",
                         "revoked_at")

    # Written in the audit log as the actor of every call made with the token.
    audit_actor_type = "token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret ("cat_AbC1"), for people to tell tokens apart.
    secret_hint: Mapped[str] = mapped_column(String(12))
    partner_name: Mapped[str] = mapped_column(String(100))
    family: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated, from SCOPES
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship()

    @property
    def scope_list(self) -> tuple[str, ...]:
        return tuple(self.scopes.split())

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class IdempotencyKey(db.Model):
    """One ``Idempotency-Key`` a family used: what its first request was (a
    digest of the body) and what it answered. The unique constraint is what
    lets only one of two requests sent at once file a case."""

    __tablename__ = "partner_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("family", "key_hash", name="uq_partner_idempotency_keys_family_key"),
        Index("ix_partner_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    family: Mapped[str] = mapped_column(String(64))
    # Digests, not the partner's values: a key or a body could hold anything.
    key_hash: Mapped[str] = mapped_column(String(64))
    body_hash: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[str] = mapped_column(ForeignKey("partner_tokens.id", ondelete="CASCADE"))
    status: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(16))
    answered_stage: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
