"""Retention: a case closed longer than ``RETENTION_DAYS`` is crypto-shredded.

Its data key is destroyed (:func:`caseapp.crypto.destroy_owner_key`), so every
sealed field of the case and of its notes, assessments, plans, actions,
referrals and timeline is unreadable for good. Its clear metadata stays (unit,
stage, codes, dates), so reports over past periods still count it, and it
shows as purged. The blind indexes go too: they were computed from the
child's data, and a purged child must not match a new report.

Run ``caseapp retention purge`` (then the SQLite WAL is checkpointed, so the
old key bytes leave the files). Backups made before still hold the wrapped
key: rotate and retire the KEK version to make them useless too.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select, update

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.crypto import destroy_owner_key
from caseapp.extensions import db

from . import facts, hooks
from .guards import atomic
from .models import Case, OffenderAccount


def retention_days() -> int:
    days = current_app.config["RETENTION_DAYS"]
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("RETENTION_DAYS must be a whole number of at least 1")
    return days


def cutoff(now: datetime | None = None) -> datetime:
    return (now or clock.now()) - timedelta(days=retention_days())


def due(now: datetime | None = None) -> Select:
    """Closed cases past the retention period that still hold their data key."""
    return (select(Case).where(Case.stage == "closure", Case.closed_at.is_not(None),
                               Case.closed_at <= cutoff(now), Case.purged_at.is_(None))
            .order_by(Case.closed_at))


def count_due(now: datetime | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(due(now).subquery())) or 0


def purge(now: datetime | None = None, *, limit: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> int:
    """Shred every case due; returns how many. One audit entry per case; the caller commits.
    ``progress(done, total)`` is told after each case."""
    now = now or clock.now()
    query = due(now)
    if limit is not None:
        query = query.limit(limit)
    purged = 0
    cases = list(db.session.scalars(query))
    for case in cases:
        shred(case, now, reason="retention", retention_days=retention_days())
        purged += 1
        if progress is not None:
            progress(purged, len(cases))
    # Cases deleted earlier at the child's request kept their offender handles'
    # indexes (a repeat-offender warning); past the retention period those go too.
    expired = select(Case.id).where(Case.purged_at.is_not(None), Case.closed_at.is_not(None),
                                    Case.closed_at <= cutoff(now))
    db.session.execute(update(OffenderAccount)
                       .where(OffenderAccount.case_id.in_(expired),
                              OffenderAccount.handle_index.is_not(None))
                       .values(handle_index=None))
    return purged


def shred(case: Case, now: datetime, *, reason: str, actor="system",
          keep_offender_indexes: bool = False, **details) -> None:
    """Destroy ``case``'s data key and blind indexes; keep its clear metadata.

    ``reason``: "retention" (the period ran out) or "data_request" (a granted
    request to delete, :mod:`the data-rights feature`). One audit entry;
    the caller commits (and should checkpoint the SQLite WAL).
    """
    with atomic():
        if case.data_key_id is not None:
            destroy_owner_key(db.session, case)
        case.purged_at = now
        case.restricted_at = None
        case.child_phone_index = None
        case.child_dob_family_index = None
        if not keep_offender_indexes:
            for account in case.offender_accounts:
                account.handle_index = None
        # Features drop what would tie the shredded case to a named child elsewhere
        # ("possibly the same child" links); offender matches stay (see above).
        hooks.run(hooks.before_purge, case)
        record("case.purged", actor=actor, object_type="case", object_id=case.reference,
               unit_path=case.unit.path, details={"reason": reason, **details,
                                                  "facts": facts.snapshot(case)})
