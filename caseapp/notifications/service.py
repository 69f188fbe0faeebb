"""Notifications: who is told of what (a kind and a case reference, never child data)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select, update

from caseapp import clock
from caseapp.extensions import db
from caseapp.paging import Key, Keyset, Window

from .models import Notification

# Where a notice of a feature's own kind leads (a feature above this layer
# registers it): the case page would be a 404 for someone the case does not
# belong to yet (a transfer waiting for the receiving unit).
DESTINATIONS: dict[str, Callable[[Notification], str]] = {}


def register_destination(kind: str, destination: Callable[[Notification], str]) -> None:
    DESTINATIONS[kind] = destination


def notify(user_ids: Iterable[str | None], kind: str, *, case_reference: str | None = None,
           at: datetime | None = None) -> None:
    """One notification per person (each once), in the caller's transaction."""
    for user_id in sorted({uid for uid in user_ids if uid}):
        db.session.add(Notification(user_id=user_id, kind=kind, case_reference=case_reference,
                                    created_at=at or clock.now()))


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id,
                                    Notification.read_at.is_(None))) or 0


# The page's order, newest first: a keyset on the (user_id, created_at, id) index.
PAGE_SIZE = 50
KEYSET = Keyset(Key(Notification.created_at, "time", descending=True),
                Key(Notification.id, "int", descending=True))


def notifications_page(user, *, after: str | None = None,
                       size: int | None = None) -> tuple[list[Notification], str | None]:
    """One page of ``user``'s notifications, newest first, and the next page's
    token (None: the last page)."""
    size = size or PAGE_SIZE
    query = KEYSET.page(select(Notification).where(Notification.user_id == user.id),
                        after, size)
    return KEYSET.split_page(list(db.session.scalars(query)), size)


def notifications_window(user, *, after: str | None = None, before: str | None = None,
                         size: int | None = None) -> Window:
    """The notifications page: from ``after``, or back from ``before``, with the
    tokens of the pages on either side (only ``user``'s own rows, whatever
    the tokens say: they only say where to start)."""
    size = size or PAGE_SIZE
    own = select(Notification).where(Notification.user_id == user.id)
    return KEYSET.read(own, after, before, size, db.session.scalars)


def count_for(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id)) or 0


# Left unread by "mark all as read": a child in danger waits until the case is
# assigned (which settles the notice for everyone).
KEPT_UNTIL_SETTLED = ("case_recorded_danger",)


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications (or all of them but the urgent ones)
    read; returns how many."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    else:
        query = query.where(Notification.kind.not_in(KEPT_UNTIL_SETTLED))
    result = db.session.execute(query.values(read_at=clock.now()))
    return result.rowcount or 0


def open_own(user, notification_id: int) -> Notification | None:
    """``user``'s notification ``notification_id``, marked read; None for anyone
    else's (or none)."""
    found = db.session.get(Notification, notification_id) if 0 < notification_id < 2**31 \
        else None
    if found is None or found.user_id != user.id:
        return None
    mark_read(user, found.id)
    return found


def settle(reference: str, kinds: Iterable[str] | None = None) -> int:
    """The notices about case ``reference`` (of ``kinds``, or all) that the work
    done answers: read for everyone, so nobody acts on a stale one."""
    query = update(Notification).where(Notification.case_reference == reference,
                                       Notification.read_at.is_(None))
    if kinds is not None:
        query = query.where(Notification.kind.in_(tuple(kinds)))
    return db.session.execute(query.values(read_at=clock.now())).rowcount or 0


def relabel(reference: str, kinds: dict[str, str]) -> int:
    """Give the notices just made about case ``reference`` a more precise kind
    ({old kind: new kind}): a feature that knows more of where a case came from
    (the public form) than the workflow's hook that made them."""
    changed = 0
    for old, new in kinds.items():
        changed += db.session.execute(
            update(Notification).where(Notification.case_reference == reference,
                                       Notification.kind == old,
                                       Notification.read_at.is_(None))
            .values(kind=new)).rowcount or 0
    return changed


def notify_account_event(kind: str, user_ids: list[str]) -> None:
    """Listener of :mod:`caseapp.accounts.events`: one notification per person."""
    notify(user_ids, kind)
