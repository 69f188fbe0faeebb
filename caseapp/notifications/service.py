"""Notifications: who is told of what (a kind and a case reference, never child data)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update

from caseapp import clock
from caseapp.extensions import db

from .models import Notification


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


def notifications_for(user, limit: int = 200) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(),
                                             Notification.id.desc()).limit(limit)))


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications (or all of them) read; returns how many."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=clock.now()))
    return result.rowcount or 0


def notify_account_event(kind: str, user_ids: list[str]) -> None:
    """Listener of :mod:`caseapp.accounts.events`: one notification per person."""
    notify(user_ids, kind)
