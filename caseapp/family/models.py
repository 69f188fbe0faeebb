"""The people around a child and the household the child lives in.

Every personal field is sealed under the case's data key, the relation and the
"may be the abuser" flag included: a relation with a flag says who in the
family is suspected. Only ids, the order on the page and times stay in clear.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import Sealed, SealedRecord
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db

FAMILY_RELATIONS = ("father", "mother", "step_parent", "grandparent", "sibling",
                    "caregiver", "teacher", "other")


class FamilyMember(db.Model, SealedRecord):
    """One person around the child. ``lives_with_child`` and ``may_be_abuser``
    are sealed as 0/1 (the sealed codecs have no bool); read them through
    :attr:`lives_with` and :attr:`flagged`."""

    __tablename__ = "case_family_members"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Optimistic concurrency: a correction made on what another save has since
    # replaced conflicts (it would undo that save: a flag just set, a contact).
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__: ClassVar[dict] = {"version_id_col": version_id}
    relation = Sealed(str)
    full_name = Sealed(str)
    birth_year = Sealed(int)
    age = Sealed(int)
    occupation = Sealed(str)
    contact = Sealed(str)
    lives_with_child = Sealed(int)
    may_be_abuser = Sealed(int)

    case: Mapped[Case] = relationship()

    @property
    def flagged(self) -> bool:
        return bool(self.may_be_abuser)

    @property
    def lives_with(self) -> bool:
        return bool(self.lives_with_child)


class FamilyHousehold(db.Model, SealedRecord):
    """Who the child lives with and the household's circumstances: one per case."""

    __tablename__ = "case_family_households"
    __sealed_key_owner__ = "case"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         unique=True)
    recorded_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    __mapper_args__: ClassVar[dict] = {"version_id_col": version_id}
    lives_with = Sealed(str)
    circumstances = Sealed(str)

    case: Mapped[Case] = relationship()
