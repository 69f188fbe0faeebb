"""Who has seen this child: every audited view, print and download of a case, from the log.

The panel folds them: one line per person, day and kind of access, with a
count, the kind said in words ("viewed the case", "printed form 01"), never a
route or an action code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.auditing import reads as audit_reads
from caseapp.cases.models import Case
from caseapp.clock import local_timezone
from caseapp.extensions import db

# Audit actions that opened a case's child data (or handed it out) for the
# who-viewed panel. Exports and prints record themselves under these names
# with the case reference as object id.
VIEW_ACTIONS = ("case.view", "case.break_glass_reason", "case.export", "case.print",
                "case.attachment_download")
# Entries about a page of cases: found through their index (audit_entry_cases).
LIST_ACTIONS = ("case.list",)

# The kinds of access, in words (see access_kind).
KIND_LABELS = {
    "view": _l("viewed the case"),
    "view_api": _l("viewed the case (through the API)"),
    "list_api": _l("saw the child's details in a list of cases (through the API)"),
    "approval": _l("read to approve"),
    "break_glass": _l("emergency access"),
    "break_glass_reason": _l("read the reason for an emergency access"),
    "print": _l("printed a form"),
    "download": _l("downloaded evidence"),
    "export": _l("exported the case"),
}


@dataclass(frozen=True)
class ViewEntry:
    seq: int
    at: datetime
    action: str
    actor_id: str | None
    actor_role: str | None
    username: str | None
    route: str
    via: str
    name: str | None = None
    form: str | None = None
    family_copy: bool = False


@dataclass(frozen=True)
class ViewLine:
    """The accesses of one person, one day, of one kind."""

    day: date
    actor_id: str | None
    name: str
    role: str | None
    kind: str
    label: str
    count: int
    last_at: datetime
    via: str


def child_data_views(case: Case) -> list[ViewEntry]:
    """Every audited view or export of ``case``'s child data, newest first, from the log."""
    rows = sorted([*audit_reads.case_entries(case.reference, VIEW_ACTIONS),
                   *audit_reads.listed_entries(case.reference, LIST_ACTIONS)],
                  key=lambda r: r.seq, reverse=True)
    ids = {r.actor_id for r in rows if r.actor_id}
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(ids)))} if ids else {}
    entries = []
    for r in rows:
        via = r.details.get("via") or ("reason" if r.action == "case.break_glass_reason"
                                       else "assignment")
        user = users.get(r.actor_id)
        form = r.details.get("form")
        entries.append(ViewEntry(
            seq=r.seq, at=r.at, action=r.action, actor_id=r.actor_id,
            actor_role=r.actor_role, username=user.username if user else None,
            route=str(r.details.get("route") or r.action), via=str(via),
            name=(user.display_name or user.username) if user else None,
            form=str(form) if form else None, family_copy=r.details.get("copy") == "family"))
    return entries


def access_kind(entry: ViewEntry) -> str:
    """What the person did, as a key of KIND_LABELS (a print keeps its form apart)."""
    if entry.action == "case.print":
        return "print"
    if entry.action == "case.attachment_download":
        return "download"
    if entry.action == "case.break_glass_reason":
        return "break_glass_reason"
    if entry.action == "case.export":
        return "export"
    if entry.action == "case.list":
        return "list_api"
    if entry.via == "approval":
        return "approval"
    if entry.via == "break_glass":
        return "break_glass"
    if entry.route.split(".", 1)[0].endswith("api"):  # the API's blueprints
        return "view_api"
    return "view"


def access_label(entry: ViewEntry) -> str:
    kind = access_kind(entry)
    if kind == "print" and entry.form:
        if entry.family_copy:
            return str(_l("printed form %(code)s (copy for the family)", code=entry.form))
        return str(_l("printed form %(code)s", code=entry.form))
    label = str(KIND_LABELS[kind])
    if kind in ("print", "download") and entry.via == "break_glass":
        label = str(_l("%(what)s, under emergency access", what=label))
    return label


def folded_views(entries: list[ViewEntry]) -> list[ViewLine]:
    """One line per person, day (Vietnam time) and kind of access, with the count;
    the newest day first, and in a day the most recent access first."""
    zone = local_timezone()
    lines: dict[tuple, dict] = {}
    # A case is viewed many times the same ways: each way said in words once.
    words: dict[tuple, tuple[str, str]] = {}
    for entry in entries:  # newest first
        way = (entry.action, entry.via, entry.route, entry.form, entry.family_copy)
        said = words.get(way)
        if said is None:
            said = words[way] = (access_label(entry), access_kind(entry))
        label, kind = said
        day = entry.at.astimezone(zone).date()
        key = (day, entry.actor_id, label)
        line = lines.get(key)
        if line is None:
            lines[key] = {"day": day, "actor_id": entry.actor_id,
                          "name": entry.name or entry.username or "—",
                          "role": entry.actor_role, "kind": kind,
                          "label": label, "count": 1, "last_at": entry.at, "via": entry.via}
        else:
            line["count"] += 1
    return [ViewLine(**line) for line in lines.values()]
