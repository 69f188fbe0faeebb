"""The programme's report: computed from the database at a signed checkpoint,
published with small counts suppressed, and verifiable from the log alone.

Making a report holds the audit log against writers for the few seconds it
takes (every change to a case writes its entry in the same transaction, so
no case changes meanwhile), computes the numbers, signs the log's head in
the same transaction and records the export. The report names that
checkpoint; :func:`verify` checks its signature and the chain up to it,
rebuilds every case from the newest facts the log holds about it
(:mod:`caseapp.cases.facts`) and recomputes each number
(:mod:`caseapp.reports.numbers`).

What a verified report proves: its numbers are what the instance's own
signed log says about the cases, at the checkpoint named. What it does not
prove: that what was recorded happened (a district can record a support
action that never took place); the log is the district's own.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, text

import audit
from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.auditlog.checkpoints import sign_head_in_transaction
from caseapp.cases import facts as case_facts
from caseapp.extensions import db
from caseapp.units.models import Unit

from . import figures, numbers
from .numbers import GROUPS
from .period import Period, PeriodError
from .period import parse as parse_period

FORMAT_VERSION = 1
SMALL = range(1, 5)  # counts of 1 to 4 are published as "<5"
SUPPRESSED = "<5"
HIDDEN = "x"  # not small itself, hidden so that a "<5" beside it cannot be worked out


class DayRangeRefused(PeriodError):
    def __init__(self):
        super().__init__()
        self.message = _l("A report with small counts hidden covers whole months (a half-year, "
                          "a year or a range of months such as 2026-01..2026-03): two reports a "
                          "few days apart would give a child's case away by difference.")


@dataclass(frozen=True)
class Report:
    unit_code: str
    unit_name: str
    unit_path: str
    period: Period
    as_of: datetime
    checkpoint: dict
    numbers: dict[str, int | str]  # as published: a count, or "<5"
    suppressed: bool

    def data(self) -> dict:
        """What a file carries for `caseapp report --verify`."""
        return {"format": FORMAT_VERSION, "period": self.period.code, "unit": self.unit_code,
                "unit_path": self.unit_path, "as_of": self.as_of.isoformat(),
                "checkpoint": self.checkpoint, "suppressed": self.suppressed,
                "numbers": self.numbers}

    def value(self, key: str) -> int | str:
        return self.numbers.get(key, 0)

    def share(self, numerator: str, denominator: str | tuple[str, ...]) -> str:
        """A percentage; where it would let a small count be worked out, the range
        it lies in over every value the hidden count could take (1 to 4)."""
        keys = (numerator, *((denominator,) if isinstance(denominator, str) else denominator))
        values = [self.numbers.get(key, 0) for key in keys]
        if HIDDEN in values or values.count(SUPPRESSED) > 1:
            return "—"

        def ratio(vals) -> float | None:
            bottom = vals[1] - sum(vals[2:])
            return vals[0] / bottom if bottom > 0 else None

        if SUPPRESSED in values:
            at = values.index(SUPPRESSED)
            found = [r for r in (ratio([k if i == at else v for i, v in enumerate(values)])
                                 for k in SMALL) if r is not None]
        else:
            exact = ratio(values)
            if exact is None:
                return "—"
            bottom = values[1] - sum(values[2:])
            if not (self.suppressed and (bottom - values[0]) in SMALL):
                return _percent(exact)
            # What is left (not yet supported, late) is small: a range, not the count.
            found = [(bottom - k) / bottom for k in SMALL]
        if not found:
            return "—"
        low, high = min(found), max(found)
        return _percent(low) if low == high else f"{_percent(low)[:-2]}–{_percent(high)}"


def _percent(value: float) -> str:
    return f"{100 * value:.1f}".replace(".", ",") + " %"


def _additive_sets(exact: Counter) -> list[tuple[list[str], str]]:
    """The published cells that add up to another published cell: (parts, total).
    A breakdown's parts absent from ``exact`` are zeros, shown as such."""
    sets: list[tuple[list[str], str]] = []
    for measure in ("requests", "unfounded", "handled", "not_handled"):
        sets.append(([f"{measure}.{g}" for g in GROUPS], f"{measure}.total"))
    for g in (*GROUPS, "total"):
        sets.append(([f"unfounded.{g}", f"handled.{g}", f"not_handled.{g}"], f"requests.{g}"))
    for prefix in ("by_stage", "by_risk", "by_channel", "by_gender", "by_band", "by_unit"):
        sets.append(([k for k in exact if k.startswith(prefix + ".")], "requests.total"))
    months = sorted({k.split(".")[1] for k in exact if k.startswith("month.")})
    sets.append(([f"month.{m}.requests" for m in months], "requests.total"))
    sets.append(([f"month.{m}.handled" for m in months], "handled.total"))
    return sets


def publish(exact: Counter, *, suppress: bool) -> dict[str, int | str]:
    """Counts of children 1 to 4 as "<5"; then, wherever a "<5" could be worked
    out from a total and the other cells adding up to it, the smallest other
    cell is hidden too (HIDDEN), or the total when all others are zeros.
    Awareness sessions count events and audiences, never a child, and are
    shown as they are."""
    if not suppress:
        return dict(sorted(exact.items()))
    small = {k for k, v in exact.items() if v in SMALL and not k.startswith("awareness.")}
    hidden: set[str] = set()
    sets = _additive_sets(exact)
    changed = True
    while changed:
        changed = False
        for parts, total in sets:
            concealed = [p for p in parts if p in small or p in hidden]
            if len(concealed) != 1 or total in small or total in hidden:
                continue
            others = sorted((exact.get(p, 0), p) for p in parts
                            if p not in concealed and exact.get(p, 0) > 0)
            hidden.add(others[0][1] if others else total)
            changed = True
    return {key: (SUPPRESSED if key in small else HIDDEN if key in hidden else value)
            for key, value in sorted(exact.items())}


def _hold_the_log() -> None:
    """Keep writers out until this transaction ends (they all write the log)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE"))
    else:
        db.session.execute(select(1))  # SQLite: BEGIN IMMEDIATE takes the write lock


def make(actor, unit: Unit, period: Period, *, fmt: str, suppress: bool = True) -> Report:
    """Compute the report for ``unit``'s subtree and ``period`` at a signed
    checkpoint, and record the export ("report.export"). Commits (what the
    caller wrote, first).

    A report with small counts hidden covers whole months: two reports a day
    apart would give a single case away by difference."""
    if suppress and period.by_day:
        raise DayRangeRefused()
    # What the caller wrote is committed first: the checkpoint goes on file
    # before this transaction commits, so it must sign committed entries only
    # (:func:`sign_head_in_transaction`).
    db.session.commit()
    _hold_the_log()
    as_of = clock.now()
    exact = figures.compute(figures.Scope(unit=unit), period, as_of)
    exact.update(figures.awareness(unit, period))
    checkpoint = sign_head_in_transaction()
    # The export's entry binds the report's date and settings to its checkpoint:
    # --verify requires it (an old checkpoint with a newer date fails).
    record("report.export", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path, details={"period": period.code, "format": fmt,
                                         "checkpoint": checkpoint["seq"],
                                         "suppressed": suppress, "as_of": as_of.isoformat()})
    db.session.commit()
    return Report(unit.code, unit.name, unit.path, period, as_of, checkpoint,
                  publish(exact, suppress=suppress), suppress)


# --- verification from the log ---------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: list[str]
    checked: int  # how many numbers were compared


def facts_in_log(up_to: int) -> dict[str, case_facts.CaseFacts]:
    """The newest facts of every case in the log's entries up to seq ``up_to``."""
    entries = audit.audit_entries.c
    found: dict[str, case_facts.CaseFacts] = {}
    rows = db.session.execute(
        select(entries.object_id, entries.unit_path, entries.details)
        .where(entries.object_type == "case", entries.seq <= up_to, entries.outcome == "ok",
               entries.details.contains('"facts":', autoescape=True))
        .order_by(entries.seq))
    for reference, unit_path, details in rows:
        try:
            values = json.loads(details).get("facts")
        except (TypeError, ValueError, AttributeError):
            continue
        parsed = case_facts.parse(reference, unit_path or "", values)
        if parsed is not None:
            found[reference] = parsed
    return found


def awareness_in_log(up_to: int, unit_path: str) -> tuple[list, list[str]]:
    """From the log up to seq ``up_to``, under ``unit_path``: the sessions as their
    newest entry left them (deleted ones dropped) and the paths of the units whose
    newest entry marks them as schools."""
    entries = audit.audit_entries.c
    sessions: dict[str, tuple | None] = {}
    schools: dict[str, bool] = {}
    rows = db.session.execute(
        select(entries.action, entries.object_id, entries.unit_path, entries.details)
        .where(entries.seq <= up_to, entries.outcome == "ok",
               entries.unit_path.startswith(unit_path, autoescape=True),
               or_(entries.object_type == "awareness",
                   entries.action.in_(("unit.create", "unit.school"))))
        .order_by(entries.seq))
    for action, object_id, path, details in rows:
        try:
            found = json.loads(details)
        except (TypeError, ValueError):
            continue
        if action in ("unit.create", "unit.school"):
            if "school" in found:
                schools[path] = bool(found["school"])
            continue
        if action == "awareness.delete":
            sessions[object_id] = None
            continue
        try:
            held_on, attendees, audience = found["facts"][:3]
            sessions[object_id] = (date.fromisoformat(held_on), int(attendees), str(audience),
                                   path)
        except (KeyError, TypeError, ValueError):
            continue
    return ([s for s in sessions.values() if s is not None],
            [path for path, is_school in schools.items() if is_school])


def _export_entry(data: dict) -> dict | None:
    """The "report.export" entry of the report's unit, period and checkpoint."""
    entries = audit.audit_entries.c
    rows = db.session.execute(select(entries.details).where(
        entries.action == "report.export", entries.outcome == "ok",
        entries.object_id == data.get("unit"), entries.seq > data["checkpoint"]["seq"]))
    for (details,) in rows:
        try:
            found = json.loads(details)
        except (TypeError, ValueError):
            continue
        if (found.get("checkpoint") == data["checkpoint"]["seq"]
                and found.get("period") == data.get("period")
                and found.get("as_of") == data.get("as_of")
                and bool(found.get("suppressed")) == bool(data.get("suppressed"))):
            return found
    return None


def verify(data: dict) -> Verdict:
    """Check a report's data (as read from its file) against the instance's log."""
    try:
        return _verify(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return Verdict(False, ["the report's data is damaged or incomplete"], 0)


def _verify(data: dict) -> Verdict:
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return Verdict(False, ["not a caseapp report (or a format this version cannot read)"],
                       0)
    keys = current_app.extensions["caseapp_keys"]
    checkpoint = data.get("checkpoint")
    if not audit.verify_checkpoint(checkpoint, keys.audit_verify_key):
        return Verdict(False, ["the checkpoint the report names is not signed by this "
                               "instance's key"], 0)
    chain = audit.verify_chain(db.session.connection(), keys.audit_mac_key,
                               checkpoints=[checkpoint], public_key=keys.audit_verify_key)
    if not chain.ok:
        return Verdict(False, [f"the audit log does not verify: {chain.problem}"], 0)
    unit = db.session.scalar(select(Unit).where(Unit.code == data.get("unit")))
    if unit is None or unit.path != data.get("unit_path"):
        return Verdict(False, ["the report's unit is not this instance's"], 0)
    if _export_entry(data) is None:
        return Verdict(False, ["no export of this report (unit, period, date and checkpoint) "
                               "is in the log"], 0)
    period = parse_period(data.get("period"))
    as_of = datetime.fromisoformat(data["as_of"]).astimezone(UTC)
    cases = [f for f in facts_in_log(checkpoint["seq"]).values()
             if f.unit_path.startswith(unit.path)]
    recomputed = numbers.compute(cases, period.start, period.end, as_of, figures.utc_offset())
    sessions, schools = awareness_in_log(checkpoint["seq"], unit.path)
    recomputed.update(numbers.awareness(sessions, schools, period.first, period.last))
    expected = publish(recomputed, suppress=bool(data.get("suppressed")))
    published = data.get("numbers") or {}
    for key in sorted(set(published) | set(expected)):
        if published.get(key, 0) != expected.get(key, 0):
            problems.append(f"{key}: the report says {published.get(key, 0)}, the log gives "
                            f"{expected.get(key, 0)}")
    return Verdict(not problems, problems, len(set(published) | set(expected)))


def verify_file(raw: bytes) -> Verdict:
    """:func:`verify` the data a report file carries, then check that what a reader
    sees is what that data makes: CSV and HTML byte for byte, XLSX cell by cell
    with nothing hidden, reformatted or added."""
    from . import export

    data = export.read_data(raw)
    verdict = verify(data)
    if not verdict.ok:
        return verdict
    unit = db.session.scalar(select(Unit).where(Unit.code == data["unit"]))
    rebuilt = Report(unit.code, unit.name, unit.path, parse_period(data["period"]),
                     datetime.fromisoformat(data["as_of"]), data["checkpoint"],
                     dict(data["numbers"]), bool(data.get("suppressed")))
    kind = export.kind_of(raw)
    remade = export.render(rebuilt, kind)
    if kind != "xlsx":
        if raw != remade:
            return Verdict(False, ["the file is not as it was made: its text was changed (or "
                                   "the unit was renamed since)"], verdict.checked)
        return verdict
    problems = export.xlsx_tampering(raw)
    seen, expected = export.visible_cells(raw), export.visible_cells(remade)
    for i in range(max(len(seen), len(expected))):
        shown = seen[i] if i < len(seen) else []
        made = expected[i] if i < len(expected) else []
        if shown != made:
            problems.append(f"row {i + 1}: the file shows {' | '.join(shown)!r}, its data "
                            f"makes {' | '.join(made)!r}")
    return Verdict(not problems, problems[:20], verdict.checked)
