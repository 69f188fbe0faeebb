"""Who has seen this child: every audited view, print and download of a case, from the log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.auditing import reads as audit_reads
from caseapp.cases.models import Case
from caseapp.extensions import db

# Audit actions that opened a case's child data (or handed it out) for the
# who-viewed panel. Exports and prints record themselves under these names
# with the case reference as object id.
VIEW_ACTIONS = ("case.view", "case.break_glass_reason", "case.export", "case.print",
                "case.attachment_download")


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


def child_data_views(case: Case) -> list[ViewEntry]:
    """Every audited view or export of ``case``'s child data, newest first, from the log."""
    rows = audit_reads.case_entries(case.reference, VIEW_ACTIONS)
    ids = {r.actor_id for r in rows if r.actor_id}
    names = {u.id: u.username for u in db.session.scalars(
        select(User).where(User.id.in_(ids)))} if ids else {}
    entries = []
    for r in rows:
        via = r.details.get("via") or ("reason" if r.action == "case.break_glass_reason"
                                       else "assignment")
        entries.append(ViewEntry(seq=r.seq, at=r.at, action=r.action, actor_id=r.actor_id,
                                 actor_role=r.actor_role, username=names.get(r.actor_id),
                                 route=str(r.details.get("route") or r.action), via=str(via)))
    return entries
