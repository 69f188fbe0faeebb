"""Removal figures by platform for the supervision page: of the items a
request was sent for, the share removed and the median days from the first
request to the removal, for the cases of a supervisor's units.

Computed in SQL from the recorded requests' metadata (platform, days,
outcomes: nothing sealed is read, no case is opened), in one statement
(window functions, on SQLite and PostgreSQL alike). The page shows platforms
and numbers only: no reference, no child data.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, func, literal, select, union_all

from caseapp.cases.models import Case
from caseapp.cases.queries import scope_clause
from caseapp.extensions import db

from .models import PLATFORMS, TakedownItem, TakedownRequest


@dataclass(frozen=True)
class PlatformRow:
    platform: str
    items: int  # items at least one request was sent for
    removed: int
    median_days: float | None  # from the first request to the removal

    @property
    def share(self) -> float | None:
        return self.removed / self.items if self.items else None


def _days(later, earlier):
    """Whole days between two DATE columns, in the database's own arithmetic."""
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def _per_item(user):
    """Each item of the user's cases with a request: its platform, its first
    request's day and the day it was removed (None: not removed)."""
    removed_on = func.min(case((TakedownRequest.outcome == "removed",
                                TakedownRequest.outcome_on)))
    return (select(TakedownItem.id.label("item_id"), TakedownItem.platform.label("platform"),
                   func.min(TakedownRequest.sent_on).label("first_sent"),
                   removed_on.label("removed_on"))
            .join(TakedownRequest, TakedownRequest.item_id == TakedownItem.id)
            .join(Case, Case.id == TakedownItem.case_id)
            .where(scope_clause(user), Case.purged_at.is_(None))
            .group_by(TakedownItem.id, TakedownItem.platform))


def _middle(rn, n):
    """The middle row of n ordered rows, or the two middle rows (integer division)."""
    return rn.in_([(n + 1) / 2, (n + 2) / 2])


def by_platform(user) -> tuple[list[PlatformRow], PlatformRow]:
    """One row per platform with items (the fixed list's order) and the total,
    in one statement: the items are read once (a CTE), ranked by their days
    to removal per platform and over all, and each median is the middle row,
    or the mean of the two middle rows, of its ordered group."""
    items = _per_item(user).cte("per_item")
    days = _days(items.c.removed_on, items.c.first_sent)
    ranked = (select(items.c.platform, days.label("days"),
                     func.row_number().over(partition_by=items.c.platform, order_by=days)
                     .label("rn"),
                     func.count().over(partition_by=items.c.platform).label("n"),
                     func.row_number().over(order_by=days).label("rn_all"),
                     func.count().over().label("n_all"))
              .where(items.c.removed_on.is_not(None)).cte("ranked"))
    medians = (select(ranked.c.platform, func.avg(ranked.c.days).label("median"))
               .where(_middle(ranked.c.rn, ranked.c.n)).group_by(ranked.c.platform)
               .subquery())
    counts = (select(items.c.platform, func.count().label("item_count"),
                     func.count(items.c.removed_on).label("removed"))
              .group_by(items.c.platform).subquery())
    per_platform = (select(counts.c.platform, counts.c.item_count, counts.c.removed,
                           medians.c.median)
                    .outerjoin(medians, medians.c.platform == counts.c.platform))
    overall = select(literal("*"), literal(0), literal(0),
                     select(func.avg(ranked.c.days))
                     .where(_middle(ranked.c.rn_all, ranked.c.n_all)).scalar_subquery())
    found = {platform: (int(n), int(removed), None if median is None else float(median))
             for platform, n, removed, median
             in db.session.execute(union_all(per_platform, overall))}
    _star, _zero, overall_median = found.pop("*")
    rows = [PlatformRow(p, *found[p]) for p in PLATFORMS if p in found]
    return rows, PlatformRow("total", sum(r.items for r in rows),
                             sum(r.removed for r in rows), overall_median)
