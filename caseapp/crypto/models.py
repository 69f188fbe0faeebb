"""The ``data_keys`` table: one row per data key, holding it only wrapped."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from caseapp import clock
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db


class DataKey(db.Model):
    """A record owner's 256-bit data key, wrapped by KEK ``kek_version``.

    ``wrapped`` is NULL once the key is destroyed (crypto-shredded): the
    owner's sealed fields are then unreadable for good.
    """

    __tablename__ = "data_keys"
    __table_args__ = (
        Index("ix_data_keys_owner", "owner_table", "owner_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_table: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(36))
    kek_version: Mapped[int] = mapped_column(Integer, index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_destroyed(self) -> bool:
        return self.wrapped is None

    def __repr__(self) -> str:
        state = "destroyed" if self.destroyed_at is not None else f"kek v{self.kek_version}"
        return f"<DataKey {self.id} {self.owner_table}:{self.owner_id} {state}>"
