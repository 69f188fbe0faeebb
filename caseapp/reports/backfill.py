"""Once, on an instance upgraded to verifiable reports: give the log the facts
it lacks, so `caseapp report --verify` can recompute reports that count cases
and schools recorded before (`caseapp cases log-facts`).

Each case no entry of which carries facts gets one "case.facts" entry with its
facts as they are now, and each unit no entry of which says whether it is a
school gets one "unit.school" entry. It runs once: a "report.facts_logged"
entry marks it done and a second run is refused, so the command cannot be used
later to write into the log what a database writer put in the tables. Cases
whose row MAC fails are not logged; their references are listed.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

import audit
from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.cases import facts
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.units.models import Unit

DONE = "report.facts_logged"


class AlreadyDone(RuntimeError):
    """The facts were logged once already (at ``seq``)."""

    def __init__(self, seq: int):
        super().__init__(f"the facts were logged already (audit entry {seq})")
        self.seq = seq


@dataclass
class Backfill:
    cases: list[str] = field(default_factory=list)  # references logged
    schools: list[str] = field(default_factory=list)  # unit codes logged
    refused: list[str] = field(default_factory=list)  # references failing their row MAC


def _details(raw) -> dict:
    try:
        found = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _with_facts() -> set[str]:
    entries = audit.audit_entries.c
    rows = db.session.execute(select(entries.object_id, entries.details).where(
        entries.object_type == "case", entries.outcome == "ok",
        entries.details.contains('"facts":', autoescape=True)))
    return {reference for reference, raw in rows if "facts" in _details(raw)}


def _units_said() -> set[str]:
    """Units some entry says the school type of (made or changed since the log kept it)."""
    entries = audit.audit_entries.c
    rows = db.session.execute(select(entries.object_id, entries.details).where(
        entries.action.in_(("unit.create", "unit.school")), entries.outcome == "ok"))
    return {code for code, raw in rows if "school" in _details(raw)}


def log_missing_facts(progress: Callable[[int, int], None] | None = None) -> Backfill:
    """Write the missing entries and the mark that it was done (the caller commits).
    ``progress(done, total)`` is told as the cases are read."""
    entries = audit.audit_entries.c
    done = db.session.scalar(select(entries.seq).where(entries.action == DONE).limit(1))
    if done is not None:
        raise AlreadyDone(done)
    result = Backfill()
    logged = _with_facts()
    total = db.session.scalar(select(func.count()).select_from(Case)) or 0
    for done, case in enumerate(db.session.scalars(select(Case).order_by(Case.created_at)), 1):
        if progress is not None:
            progress(done, total)
        if case.reference in logged:
            continue
        if not intact(case):
            result.refused.append(case.reference)
            continue
        record("case.facts", actor="system", object_type="case", object_id=case.reference,
               unit_path=case.unit.path, details={"facts": facts.snapshot(case)})
        result.cases.append(case.reference)
    said = _units_said()
    for unit in db.session.scalars(select(Unit).order_by(Unit.path)):
        if unit.code in said or not intact(unit):
            continue
        record("unit.school", actor="system", object_type="unit", object_id=unit.code,
               unit_path=unit.path, details={"school": unit.school_type or ""})
        result.schools.append(unit.code)
    record(DONE, actor="system", details={"cases": len(result.cases),
                                          "schools": len(result.schools),
                                          "refused": len(result.refused)})
    return result
