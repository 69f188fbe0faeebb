"""`caseapp audit verify`: the chain, the checkpoints, and whether the log is whole.

The chain (keyed MACs) and the signed checkpoints catch an entry that was
changed, and a tail cut below a checkpoint. What they cannot catch alone is
a log that was emptied, or cut after its last checkpoint with the checkpoint
file removed too. The database itself says the instance has run, so this
module checks the log against it:

* the log's first entry records the creation of this instance's keys
  ("keys.init", with the key ring's fingerprint);
* every case, account and unit in the database has the entry that created
  it, and nothing in the database changed after the log's last entry;
* every row that grants access (users, units, cases, assignments,
  break-glass, account changes) carries a genuine MAC at its newest version;
* the index of the cases each listed page named (``audit_entry_cases``)
  says what the entries' MAC'd details say;
* every copy of the checkpoint file (the instance's own and the configured
  mirrors) is behind or at the log's head, never ahead of it.

Someone holding the key file can still rewrite the whole log consistently;
only a checkpoint copy they cannot reach (a mirror on another machine, one
printed and kept) shows that. SECURITY.md says so.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import Table, exists, func, inspect, select, tuple_

import audit
from caseapp import clock
from caseapp.auditing import reads as audit_reads
from caseapp.auditing.models import audit_entry_cases
from caseapp.auditing.writer import GENESIS_ACTION, key_fingerprint
from caseapp.crypto import row_integrity
from caseapp.extensions import db

from .checkpoints import checkpoint_path, mirror_paths

# Rows are stamped a moment before the entry that records them.
CLOCK_SLACK = timedelta(minutes=2)
# Each kind of row and the entry that creates it: (table, id column, action).
CREATION_ENTRIES = (("cases", "reference", "case.create"),
                    ("users", "id", "user.create"),
                    ("units", "code", "unit.create"))
# Columns that move only together with an audit entry: a database that shows
# activity after the log's last entry shows a log that lost its tail.
ACTIVITY_COLUMNS = (("cases", "updated_at"), ("users", "created_at"),
                    ("users", "last_login_at"), ("case_notes", "created_at"),
                    ("case_assessments", "recorded_at"), ("case_support_actions", "recorded_at"),
                    ("case_transitions", "occurred_at"), ("case_attachments", "uploaded_at"),
                    ("break_glass_accesses", "started_at"), ("notifications", "created_at"),
                    ("account_changes", "requested_at"))


@dataclass
class Report:
    ok: bool
    count: int
    head_seq: int | None
    head_mac: str | None
    first_bad_seq: int | None
    problem: str | None
    checkpoints: int = 0
    notes: list[str] = field(default_factory=list)


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def read_copies() -> tuple[list[dict], int, list[str], str | None]:
    """(every checkpoint of every copy, how many the instance's own file holds,
    notes, a problem). A missing or unreadable copy is a problem once the log
    has recorded a checkpoint."""
    notes: list[str] = []
    own_path = checkpoint_path()
    found: dict[tuple, dict] = {}
    own_count = 0
    missing_mirrors: list[str] = []
    for path in [own_path, *mirror_paths()]:
        if not os.path.exists(path):
            if path == own_path:
                notes.append(f"no checkpoint file at {path}; a cut-off tail cannot be detected "
                             "until `caseapp audit checkpoint` (or the app) writes one")
                continue
            missing_mirrors.append(path)
            continue
        try:
            copy = list(audit.read_checkpoints(path))
        except (OSError, ValueError) as exc:
            return [], 0, notes, f"The checkpoint file {path} cannot be read: {exc}"
        if path == own_path:
            own_count = len(copy)
        for cp in copy:
            found[(cp.get("seq"), cp.get("head_mac"), cp.get("at"))] = cp
    if missing_mirrors and _recorded_checkpoints():
        # A configured copy that is gone is what someone who cut the log would want.
        return [], 0, notes, (f"The checkpoint mirror {missing_mirrors[0]} is missing or not "
                              "mounted: mount it (or remove it from AUDIT_CHECKPOINT_MIRRORS) "
                              "and verify again.")
    return list(found.values()), own_count, notes, None


def _recorded_checkpoints() -> int:
    entries = audit.audit_entries
    return db.session.execute(
        select(func.count()).select_from(entries)
        .where(entries.c.action == "audit.checkpoint", entries.c.outcome == "ok")).scalar_one()


def _first_entry():
    entries = audit.audit_entries
    return db.session.execute(select(entries.c.action, entries.c.details)
                              .order_by(entries.c.seq).limit(1)).first()


def _head_time():
    entries = audit.audit_entries
    return clock.as_utc(db.session.execute(
        select(entries.c.occurred_at).order_by(entries.c.seq.desc()).limit(1)).scalar())


def completeness_problem(head_seq: int | None) -> str | None:
    """What the database shows that the log has lost, or None."""
    if head_seq is None:
        rows = sum(db.session.execute(select(func.count()).select_from(_table(name)))
                   .scalar_one() for name, _col, _action in CREATION_ENTRIES)
        if rows:
            return (f"The log is empty but the database holds {rows} cases, accounts and "
                    "units: the log was deleted.")
        return None
    first = _first_entry()
    keys = current_app.extensions["caseapp_keys"]
    if first is None or first.action != GENESIS_ACTION:
        return ("The log does not start with the creation of this instance's keys "
                f"({GENESIS_ACTION}): its beginning was replaced.")
    if _details(first.details).get("key_fingerprint") != key_fingerprint(keys):
        return ("The log's first entry records other keys than this instance's key file: "
                "the log or the key file was replaced.")
    entries = audit.audit_entries
    for name, column, action in CREATION_ENTRIES:
        table = _table(name)
        # NOT EXISTS, not NOT IN: PostgreSQL runs a NOT IN over a million
        # entries as a nested loop once the list outgrows work_mem (a 1M-case
        # scale curve waited 35 minutes here), where NOT EXISTS is an anti-join;
        # and a NULL object_id among the entries would make NOT IN count none.
        missing = db.session.execute(
            select(func.count()).select_from(table).where(~exists().where(
                entries.c.object_id == table.c[column],
                entries.c.action == action))).scalar_one()
        if missing:
            return (f"{missing} row(s) of {name} have no {action} entry: entries were "
                    "removed from the log.")
    head_at = _head_time()
    for name, column in ACTIVITY_COLUMNS:
        newest = clock.as_utc(db.session.execute(
            select(func.max(_table(name).c[column]))).scalar())
        if newest is not None and head_at is not None and newest > head_at + CLOCK_SLACK:
            return (f"The database shows activity ({name}.{column}) after the log's last "
                    f"entry at {head_at:%Y-%m-%d %H:%M} UTC: the log's tail was cut off.")
    return None


def _details(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def verify_log(progress: Callable[[int, int], None] | None = None,
               rows_progress: Callable[[int, int], None] | None = None) -> Report:
    """Walk the chain with every checkpoint copy, then check the log is whole
    and every sealed row against it. Reads only; the caller ends the
    transaction. ``progress(checked, total)`` is told as the chain's walk goes,
    ``rows_progress(checked, total)`` as the sealed rows' walk goes."""
    keys = current_app.extensions["caseapp_keys"]
    checkpoints, own_count, notes, problem = read_copies()
    if not mirror_paths():
        notes.append("no checkpoint mirror is configured (AUDIT_CHECKPOINT_MIRRORS): a tail cut "
                     "together with the instance's own checkpoint file cannot be detected")
    if problem is not None:
        return Report(False, 0, None, None, None, problem, 0, notes)
    total = db.session.scalar(select(func.count()).select_from(audit.audit_entries)) or 0
    result = audit.verify_chain(
        db.session.connection(), keys.audit_mac_key, checkpoints=checkpoints,
        public_key=keys.audit_verify_key,
        progress=(lambda checked: progress(checked, total)) if progress else None)
    report = Report(result.ok, result.count, result.head_seq, result.head_mac,
                    result.first_bad_seq, result.problem, len(checkpoints), notes)
    if not report.ok:
        return report
    recorded = _recorded_checkpoints()
    if recorded > own_count:
        report.ok = False
        report.problem = (f"the log records {recorded} checkpoints but the checkpoint file "
                          f"holds {own_count}: checkpoints were removed")
        return report
    missing = (completeness_problem(result.head_seq)
               or tampered_rows_problem(progress=rows_progress)
               or listed_cases_problem())
    if missing is not None:
        report.ok = False
        report.problem = missing
    return report


def listed_cases_problem(batch: int = 1000) -> str | None:
    """The index of the cases each "case.list" entry names (``audit_entry_cases``,
    what the who-viewed panel reads) against the entries' own details, which
    the chain's MACs cover: a row removed (the table's triggers dropped first)
    would hide a reader from a child's panel."""
    entries, side = audit.audit_entries.c, audit_entry_cases.c
    after = 0
    while True:
        rows = db.session.execute(
            select(entries.seq, entries.details).where(entries.action == "case.list",
                                                       entries.seq > after)
            .order_by(entries.seq).limit(batch)).all()
        if not rows:
            return None
        indexed: dict[int, set[tuple[str, bool]]] = {}
        for seq, reference, child in db.session.execute(
                select(side.seq, side.reference, side.child_data)
                .where(side.seq.in_([r.seq for r in rows]))):
            indexed.setdefault(seq, set()).add((reference, bool(child)))
        for row in rows:
            details = _details(row.details)
            child = set(details.get("child") or ())
            named = {(str(ref), ref in child) for ref in details.get("cases") or ()}
            if indexed.get(row.seq, set()) != named:
                return (f"The index of listed cases does not match entry {row.seq} "
                        "(case.list): rows of audit_entry_cases were changed outside the app.")
        after = rows[-1].seq


def tampered_rows_problem(batch: int = 1000,
                          progress: Callable[[int, int], None] | None = None) -> str | None:
    """Every row that grants access, checked as the app checks it when it loads
    one: its MAC and its newest anchor in the log. Paged by primary key (keyset:
    each page is one index range, so the walk stays linear in the rows);
    ``progress(checked, total)`` is told after each page."""
    sealed = row_integrity.sealed_models()
    total = sum(db.session.scalar(select(func.count()).select_from(cls)) or 0 for cls in sealed)
    checked = 0
    for cls in sealed:
        key = inspect(cls).primary_key
        last: tuple | None = None
        bad = []
        while True:
            query = select(cls).order_by(*key).limit(batch)
            if last is not None:
                query = query.where(tuple_(*key) > tuple_(*last) if len(key) > 1
                                    else key[0] > last[0])
            rows = db.session.scalars(query).all()
            if not rows:
                break
            row_integrity.prefetch(rows)
            bad += [r for r in rows if not row_integrity.is_intact(r)]
            last = tuple(getattr(rows[-1], inspect(cls).get_property_by_column(c).key)
                         for c in key)
            checked += len(rows)
            if progress is not None:
                progress(checked, total)
        if bad:
            table = inspect(cls).local_table.name
            return (f"{len(bad)} row(s) of {table} were changed outside the app (their MAC or "
                    f"version does not match the log), for example "
                    f"{audit_reads.row_label(bad[0])}.")
    return None
