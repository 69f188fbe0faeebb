from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.database import UTCDateTime
from caseapp.extensions import db

SCHOOL_TYPES = ("primary", "lower_secondary", "upper_secondary", "vocational", "other")


class Unit(db.Model, AccessSealed):
    """A province/district union, commune union, school union or centre.

    ``path`` is the materialised chain of ids ("/1/7/12/") so that "this unit
    and everything below it" is one indexed prefix match. It decides every
    supervisor's scope, so it is MAC'd against a database writer.
    """

    __tablename__ = "units"
    # The tree's order, a page at a time (path, then id), and by its first
    # column every "this unit and those below it" prefix match.
    __table_args__ = (Index("ix_units_tree_order", "path", "id"),)
    __access_identity__ = ("code",)  # the id is only known after the INSERT
    __access_fields__ = ("parent_id", "path")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Compared byte-wise on PostgreSQL (collation "C", as the audit log's copy):
    # a locale's collation would order "/1/20/" between "/1/2/" and "/1/2/5/",
    # breaking the tree's order, and could not serve a prefix match by index.
    path: Mapped[str] = mapped_column(
        String(255).with_variant(String(255, collation="C"), "postgresql"), default="")
    school_type: Mapped[str | None] = mapped_column(String(32))
    # A unit that no longer exists (merged, renamed away in a reorganisation):
    # it takes no new case, account or sub-unit; its closed cases stay counted.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def contains(self, other: Unit) -> bool:
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
