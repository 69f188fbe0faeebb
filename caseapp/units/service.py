"""Units: finding them and the tree (changes are made by caseapp.admin)."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from caseapp.extensions import db
from caseapp.paging import Key, Keyset, Window

from .models import Unit


class UnitError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))


TREE_PAGE_SIZE = 100
# The tree a page at a time in the order of the units' paths, served by their
# index: each unit comes right before the units under it (a path is a prefix
# of its descendants' and "/" sorts before every digit); sisters come in the
# text order of their ids. The id makes the order total.
TREE_KEYSET = Keyset(Key(Unit.path, "path"), Key(Unit.id, "int"))


def tree_window(*, after: str | None = None, before: str | None = None,
                at: Unit | None = None, size: int | None = None) -> Window:
    """A page of the tree from after ``after``, back from ``before``, or
    starting at the unit ``at`` (the page a change sends the admin back to)."""
    size = size or TREE_PAGE_SIZE
    if at is None:
        return TREE_KEYSET.read(select(Unit), after, before, size, db.session.scalars)
    rows = list(db.session.scalars(TREE_KEYSET.order(select(Unit).where(
        or_(Unit.path > at.path, and_(Unit.path == at.path, Unit.id >= at.id)))).limit(size + 1)))
    return TREE_KEYSET.window(rows, size, first=count_before(at) == 0, backwards=False)


def ancestors(unit: Unit) -> list[Unit]:
    """The units above ``unit``, the top first (the ids its path names): shown
    over a page of the tree that starts below them."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part.isdigit()]
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.path)))


def count_before(unit: Unit) -> int:
    """How many units come before ``unit`` in the tree's order (one aggregate)."""
    return db.session.scalar(select(func.count()).select_from(Unit).where(
        or_(Unit.path < unit.path, and_(Unit.path == unit.path, Unit.id < unit.id)))) or 0


def count_units() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit)) or 0


def tree() -> list[Unit]:
    """All units in depth-first order, sisters by id (the command line's list,
    the choices of a unit in forms)."""
    units = list(db.session.scalars(select(Unit)))
    def sort_key(u: Unit):
        return [int(p) for p in u.path.strip("/").split("/") if p]
    return sorted(units, key=sort_key)
