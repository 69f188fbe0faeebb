"""Re-banding cases recorded before the age bands split at 16.

Bands used to be 0-5, 6-10, 11-14, 15-17; the Law on Children protects those
under 16, so they are now 0-5, 6-10, 11-15, 16-17 and a 16- or 17-year-old
is a minor counted apart. A migration never decrypts, so the cases in an old
band ("11-14", "15-17") are re-banded by ``caseapp cases reband``, which opens
the date of birth and estimated age only (a column-limited grant) and audits
each case whose age it read. A shredded case cannot be read any more: it keeps its
old band and is counted as such.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.permissions import cases as rules

from . import facts
from .models import LEGACY_AGE_BANDS, Case
from .service import age_band, age_on

BATCH = 200


@dataclass(frozen=True)
class RebandReport:
    changed: int
    unchanged: int
    shredded: int  # kept their old band: nothing left to read


def _age(case: Case) -> int | None:
    """The age on the report's day, as the intake computed it."""
    if case.child_date_of_birth is not None:
        day = case.received_at.astimezone(clock.local_timezone()).date()
        return age_on(case.child_date_of_birth, day)
    return case.child_estimated_age


def reband(progress: Callable[[int, int], None] | None = None) -> RebandReport:
    """Put every readable case of an old band into the new bands; commit per batch.
    ``progress(done, total)`` is told after each batch."""
    changed = unchanged = 0
    shredded = db.session.query(Case).filter(Case.age_band.in_(LEGACY_AGE_BANDS),
                                             Case.purged_at.is_not(None)).count()
    total = db.session.query(Case).filter(Case.age_band.in_(LEGACY_AGE_BANDS),
                                          Case.purged_at.is_(None)).count()
    last = ""
    while True:
        cases = db.session.scalars(
            select(Case).where(Case.age_band.in_(LEGACY_AGE_BANDS), Case.purged_at.is_(None),
                               Case.id > last).order_by(Case.id).limit(BATCH)).all()
        if not cases:
            break
        last = cases[-1].id
        unlock(cases, grant=rules.grant_reband([c.id for c in cases]))
        for case in cases:
            band = age_band(_age(case))
            # Every case whose age was read is recorded, changed or not (the
            # "who has seen this child" panel reads the log).
            before = case.age_band
            case.age_band = band
            record("case.rebanded", actor="system", object_type="case",
                   object_id=case.reference, unit_path=case.unit.path,
                   details={"from": before, "to": band, "facts": facts.snapshot(case)})
            if band == before:
                unchanged += 1
            else:
                changed += 1
        db.session.commit()
        if progress is not None:
            progress(changed + unchanged, total)
    return RebandReport(changed, unchanged, shredded)
