"""Units: finding them and the tree (changes are made by caseapp.admin)."""
from __future__ import annotations

from sqlalchemy import select

from caseapp.extensions import db

from .models import Unit


class UnitError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))






def tree() -> list[Unit]:
    """All units in depth-first order (paths sort that way once ids are padded)."""
    units = list(db.session.scalars(select(Unit)))
    def sort_key(u: Unit):
        return [int(p) for p in u.path.strip("/").split("/") if p]
    return sorted(units, key=sort_key)
