"""Once, on an instance upgraded to verifiable reports: give the log the facts
it lacks, so `caseapp report --verify` can recompute reports that count cases
and schools recorded before (`caseapp cases log-facts`).

Each case no entry of which carries facts gets one "case.facts" entry with its
facts as they are now; each school no entry of which says so gets one
"unit.school" entry (also when the log says otherwise: a type set before
the log kept it). A second run finds nothing to add.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

import audit
from caseapp.auditing.writer import record
from caseapp.cases import facts
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.units.models import Unit


@dataclass(frozen=True)
class Backfill:
    cases: int
    schools: int


def _with_facts() -> set[str]:
    entries = audit.audit_entries.c
    return set(db.session.scalars(select(entries.object_id).where(
        entries.object_type == "case", entries.outcome == "ok",
        entries.details.contains('"facts":', autoescape=True)).distinct()))


def _schools_logged() -> dict[str, str]:
    """Each unit's school type as its newest entry that says one has it."""
    entries = audit.audit_entries.c
    found: dict[str, str] = {}
    for code, details in db.session.execute(select(entries.object_id, entries.details).where(
            entries.action.in_(("unit.create", "unit.school")), entries.outcome == "ok")
            .order_by(entries.seq)):
        try:
            said = json.loads(details)
        except (TypeError, ValueError):
            continue
        if "school" in said:
            found[code] = said["school"] or ""
    return found


def log_missing_facts() -> Backfill:
    """Write the missing entries (the caller commits)."""
    logged = _with_facts()
    cases = 0
    for case in db.session.scalars(select(Case).order_by(Case.created_at)):
        if case.reference in logged:
            continue
        record("case.facts", actor="system", object_type="case", object_id=case.reference,
               unit_path=case.unit.path, details={"facts": facts.snapshot(case)})
        cases += 1
    schools = 0
    known = _schools_logged()
    for unit in db.session.scalars(select(Unit).where(Unit.school_type.is_not(None))):
        if known.get(unit.code) != unit.school_type:
            record("unit.school", actor="system", object_type="unit", object_id=unit.code,
                   unit_path=unit.path, details={"school": unit.school_type})
            schools += 1
    return Backfill(cases, schools)
