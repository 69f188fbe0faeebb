"""Who hears of what: the case workflow's hand-offs, deadlines about to fall or
missed, and the scans other features add (a data request falling due).

Every notice is a kind and a case reference (never child data), made in the
transaction of the change it reports, so a change rolled back tells no one.
Deadline notices come from a scan (:func:`scan`), run by
``caseapp notifications scan`` from cron or by the app itself after a request
at most every ``NOTIFY_SCAN_MINUTES``; each is made once per person, step and
due time.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from caseapp import clock
from caseapp.cases import deadlines
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.permissions import supervisors_over

from .models import Notification
from .service import notify, settle

log = logging.getLogger("caseapp.notifications")

# Kinds, in the order a list of them should be read: urgent first.
CASE_EVENTS = {
    "recorded": "case_recorded",
    "assigned": "assigned",
    "plan_waiting": "plan_waiting",
    "plan_approved": "plan_approved",
    "plan_returned": "plan_returned",
    "closure_waiting": "closure_waiting",
    "closure_returned": "closure_returned",
    "closed": "case_closed",
}
SCANNERS: list[Callable[[datetime, timedelta], list[tuple[list[str], str, str, str]]]] = []


def _supervisors(case: Case) -> list[str]:
    return [u.id for u in supervisors_over(case.unit)]


def _people_on(case: Case) -> list[str]:
    return [uid for uid in (case.lead_officer_id, *case.assignee_ids) if uid]


# What each hand-off settles: the notices that asked for the work just done.
SETTLES = {
    "assigned": ("case_recorded", "case_recorded_danger"),
    "plan_approved": ("plan_waiting",),
    "plan_returned": ("plan_waiting",),
    "closure_returned": ("closure_waiting",),
    "closed": None,  # everything still unread about the case
}


def on_case_event(event: str, actor, case: Case, info: dict) -> None:
    """Listener of :data:`caseapp.cases.hooks.case_event`."""
    kind = CASE_EVENTS.get(event)
    if kind is None:
        return
    if event in SETTLES:
        settle(case.reference, SETTLES[event])
    if event == "recorded":
        # A child in danger now: a kind of its own, listed first.
        kind = "case_recorded_danger" if case.immediate_danger else kind
        recipients = _supervisors(case)
    elif event == "assigned":
        recipients = list(info.get("added", ()))
    elif event in ("plan_waiting", "closure_waiting"):
        recipients = _supervisors(case)
    elif event == "closed":
        recipients = _people_on(case)
    else:
        recipients = [case.lead_officer_id]
    notify([uid for uid in recipients if uid != getattr(actor, "id", None)], kind,
           case_reference=case.reference)


def _once(user_ids, kind: str, reference: str, key: str, now: datetime) -> int:
    """Notices that are made once per person and key (a scan may run twice)."""
    made = 0
    for user_id in sorted(set(user_ids)):
        exists = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user_id, Notification.dedupe_key == key))
        if exists is None:
            db.session.add(Notification(user_id=user_id, kind=kind, case_reference=reference,
                                        created_at=now, dedupe_key=key))
            made += 1
    return made


def soon_window() -> timedelta:
    return timedelta(hours=int(current_app.config.get("NOTIFY_DEADLINE_HOURS", 24)))


def scan(now: datetime | None = None) -> int:
    """Deadlines within the window (to the people on the case) and missed (to
    them and the case's supervisors), and what other features register.
    Returns how many notices were made; the caller commits."""
    now = now or clock.now()
    window = soon_window()
    made = 0
    cases = db.session.scalars(select(Case).where(
        Case.stage != "closure", Case.purged_at.is_(None), Case.next_deadline_at.is_not(None),
        Case.next_deadline_at <= now + window))
    for case in cases:
        for step, due in deadlines.pending(case):
            if due > now + window:
                continue
            missed = due <= now
            kind = "deadline_missed" if missed else "deadline_soon"
            people = _people_on(case) or _supervisors(case)
            if missed:
                people = [*people, *_supervisors(case)]
            key = f"{kind}:{case.reference}:{step}:{due.isoformat()}"[:120]
            made += _once(people, kind, case.reference, key, now)
    for scanner in SCANNERS:
        for user_ids, kind, reference, key in scanner(now, window):
            made += _once(user_ids, kind, reference, key, now)
    return made


def scan_and_commit(now: datetime | None = None) -> int:
    try:
        made = scan(now)
        db.session.commit()
        return made
    except IntegrityError:  # another worker made the same notice first
        db.session.rollback()
        return 0


_LAST_SCAN = "caseapp_notifications_last_scan"


def maybe_scan(exc: BaseException | None = None) -> None:
    """After a request (teardown): scan at most every NOTIFY_SCAN_MINUTES per
    process; never fails the request."""
    if exc is not None:
        return
    app = current_app._get_current_object()
    minutes = int(app.config.get("NOTIFY_SCAN_MINUTES", 10) or 0)
    if minutes <= 0:
        return
    now = clock.now()
    last = app.extensions.get(_LAST_SCAN)
    if last is not None and now - last < timedelta(minutes=minutes):
        return
    app.extensions[_LAST_SCAN] = now
    try:
        db.session.rollback()  # nothing the request left unsaved rides along
        scan_and_commit(now)
    except Exception as error:  # noqa: BLE001 - a notice must never break a request
        db.session.rollback()
        log.warning("notification scan failed: %s", type(error).__name__)
