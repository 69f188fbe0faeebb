"""Who hears of what: the case workflow's hand-offs, deadlines about to fall or
missed, and the scans other features add (a data request falling due).

Every notice is a kind and a case reference (never child data), made in the
transaction of the change it reports, so a change rolled back tells no one.
Deadline notices come from a scan (:func:`scan`), run by
``caseapp notifications scan`` from a timer (systemd or cron: README), or, where
no timer ran it lately, by the app itself after a request at most every
``NOTIFY_SCAN_MINUTES`` within a time budget; each is made once per person,
step and due time.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from caseapp import clock
from caseapp.cases import deadlines, queries
from caseapp.cases.models import Case
from caseapp.database import write_lock_for_session
from caseapp.extensions import db
from caseapp.permissions import supervisors_over

from .models import Notification, NotificationScanRun
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


def register_settled(event: str, kinds: tuple[str, ...]) -> None:
    """A feature's own kinds of notice that ``event`` settles too (a public
    request's notice, settled when the case is assigned)."""
    known = SETTLES.get(event) or ()
    SETTLES[event] = tuple(dict.fromkeys((*known, *kinds)))


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
        # An officer given a child in danger now is told so, first in their list.
        kind = "assigned_danger" if case.immediate_danger and not case.is_closed else kind
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


# The deadline scan reads the cases a batch at a time (keyset on the deadline),
# with their people loaded per batch and the notices already made looked up per
# batch, so its cost is a few statements per 500 cases, not per case.
SCAN_BATCH = 500
# Run inside a request, the scan stops after this long and the next request
# carries on from where it stopped: a worker must answer well within gunicorn's
# timeout, whatever the number of cases (`caseapp notifications scan` has no
# limit). In production the timer runs the command (README) and the workers do
# not scan at all (see maybe_scan); this is the fallback without a timer.
REQUEST_SCAN_SECONDS = 1.0
# A worker leaves the scan to the timer while its last run finished less than
# this many scan periods (NOTIFY_SCAN_MINUTES) ago.
TIMER_PERIODS = 2
# Runs of the command kept (the newest is what the workers read).
RUNS_KEPT = 100
# Steps a supervisor does (the plan's approval): announced to the supervisors
# only; the people on the case wait on it and cannot do it (UX walk: officers
# were told "overdue" for the approval they had asked for).
SUPERVISORS_STEPS = frozenset({"plan_approval"})


def scan(now: datetime | None = None) -> int:
    """Deadlines within the window (to the people on the case) and missed (to
    them and the case's supervisors), and what other features register.
    Returns how many notices were made; the caller commits."""
    made, _mark = scan_part(now)
    return made


def scan_part(now: datetime | None = None, *, after: tuple | None = None,
              seconds: float | None = None) -> tuple[int, tuple | None]:
    """:func:`scan` from the case after ``after`` (a mark it returned), stopping
    once ``seconds`` have passed: (notices made, the mark to go on from, or None
    when the scan reached its end -- the other features' scanners run then)."""
    now = now or clock.now()
    window = soon_window()
    started = time.monotonic()
    supervisors: dict[int, list[str]] = {}
    made = 0
    while True:
        cases = _deadline_cases(now, window, after)
        made += _notify_deadlines(cases, now, window, supervisors)
        if len(cases) < SCAN_BATCH:
            break
        after = (cases[-1].next_deadline_at, cases[-1].id)
        if seconds is not None and time.monotonic() - started > seconds:
            return made, after
    for scanner in SCANNERS:
        for user_ids, kind, reference, key in scanner(now, window):
            made += _once(user_ids, kind, reference, key, now)
    return made, None


def _deadline_cases(now: datetime, window: timedelta, after: tuple | None) -> list[Case]:
    query = (select(Case).options(selectinload(Case.assignees))
             .where(Case.stage != "closure", Case.purged_at.is_(None),
                    Case.next_deadline_at.is_not(None), Case.next_deadline_at <= now + window)
             .order_by(Case.next_deadline_at, Case.id).limit(SCAN_BATCH))
    if after is not None:
        due, case_id = after
        query = query.where(or_(Case.next_deadline_at > due,
                                and_(Case.next_deadline_at == due, Case.id > case_id)))
    return list(db.session.scalars(query))


def _notify_deadlines(cases: list[Case], now: datetime, window: timedelta,
                      supervisors: dict[int, list[str]]) -> int:
    wanted: list[tuple[str, str, str, str]] = []  # user id, kind, reference, key
    # A late plan approval is the supervisors' while a plan is with them; a
    # plan sent back (or none drafted) is the officer's to do (hostile review).
    with_supervisor = queries.plans_waiting_among(
        c.id for c in cases if c.plan_approval_due_at is not None)
    for case in cases:
        for step, due in deadlines.pending(case):
            if due > now + window:
                continue
            missed = due <= now
            kind = "deadline_missed" if missed else "deadline_soon"
            if case.unit_id not in supervisors:
                supervisors[case.unit_id] = _supervisors(case)
            if step in SUPERVISORS_STEPS and case.id in with_supervisor:
                # theirs to do: the officer waits on it
                people = supervisors[case.unit_id]
            else:
                people = _people_on(case) or supervisors[case.unit_id]
                if missed:
                    people = [*people, *supervisors[case.unit_id]]
            key = f"{kind}:{case.reference}:{step}:{due.isoformat()}"[:120]
            wanted += [(uid, kind, case.reference, key) for uid in sorted(set(people))]
    if not wanted:
        return 0
    keys = sorted({key for *_rest, key in wanted})
    made_before = {(uid, key) for uid, key in db.session.execute(
        select(Notification.user_id, Notification.dedupe_key)
        .where(Notification.dedupe_key.in_(keys)))}
    rows = []
    for uid, kind, reference, key in wanted:
        if (uid, key) not in made_before:
            made_before.add((uid, key))
            rows.append({"user_id": uid, "kind": kind, "case_reference": reference,
                         "created_at": now, "dedupe_key": key})
    if rows:  # one executemany for the batch
        db.session.execute(insert(Notification), rows)
    return len(rows)


def scan_and_commit(now: datetime | None = None) -> int:
    try:
        made = scan(now)
        db.session.commit()
        return made
    except IntegrityError:  # another worker made the same notice first
        db.session.rollback()
        return 0


def scan_and_record(now: datetime | None = None) -> int:
    """``caseapp notifications scan``: the whole scan and a record of its run,
    committed together (a notice another process made meanwhile: scanned once
    more, each notice still made once). Returns the notices made."""
    started = clock.now()
    for attempt in (1, 2):
        try:
            made = scan(now)
            db.session.add(NotificationScanRun(started_at=started, finished_at=clock.now(),
                                               notices_made=made))
            db.session.flush()
            newest = db.session.scalar(select(func.max(NotificationScanRun.id)))
            db.session.execute(delete(NotificationScanRun).where(
                NotificationScanRun.id <= newest - RUNS_KEPT))
            db.session.commit()
            return made
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


TIMER_CLOCK_SKEW = timedelta(minutes=2)  # hosts' clocks apart by at most this


def timer_is_running(now: datetime, minutes: int) -> bool:
    """Whether the timer's last run of the scan finished within TIMER_PERIODS
    scan periods before ``now`` (one indexed read). Only runs in the window
    count: a run dated ahead of ``now`` (a clock running fast, or a row
    written by hand) must not switch the workers' scan off for good
    (hostile review), so it is ignored."""
    period = timedelta(minutes=minutes * TIMER_PERIODS)
    last = db.session.scalar(select(func.max(NotificationScanRun.finished_at)).where(
        NotificationScanRun.finished_at > now - period,
        NotificationScanRun.finished_at <= now + TIMER_CLOCK_SKEW))
    return last is not None


_LAST_SCAN = "caseapp_notifications_last_scan"
_SCAN_MARK = "caseapp_notifications_scan_mark"  # where an unfinished scan goes on


def maybe_scan(exc: BaseException | None = None) -> None:
    """After a request (teardown): scan at most every NOTIFY_SCAN_MINUTES per
    process, for at most REQUEST_SCAN_SECONDS (an unfinished scan goes on at the
    next request), unless the timer ran ``caseapp notifications scan`` lately
    (:func:`timer_is_running`): then the worker leaves it to the timer. Never
    fails the request."""
    if exc is not None:
        return
    app = current_app._get_current_object()
    minutes = int(app.config.get("NOTIFY_SCAN_MINUTES", 10) or 0)
    if minutes <= 0:
        return
    now = clock.now()
    last = app.extensions.get(_LAST_SCAN)
    mark = app.extensions.get(_SCAN_MARK)
    if mark is None and last is not None and now - last < timedelta(minutes=minutes):
        return
    if mark is None:
        app.extensions[_LAST_SCAN] = now
    try:
        db.session.rollback()  # nothing the request left unsaved rides along
        if timer_is_running(now, minutes):
            db.session.rollback()
            app.extensions[_SCAN_MARK] = None
            return
        # Reads which notices exist, then makes the missing ones: one state.
        write_lock_for_session(db.session)
        _made, mark = scan_part(now, after=mark, seconds=REQUEST_SCAN_SECONDS)
        db.session.commit()
        app.extensions[_SCAN_MARK] = mark
    except IntegrityError:  # another worker made the same notice first: next time
        db.session.rollback()
        app.extensions[_SCAN_MARK] = None
    except Exception as error:  # noqa: BLE001 - a notice must never break a request
        db.session.rollback()
        app.extensions[_SCAN_MARK] = None
        log.warning("notification scan failed: %s", type(error).__name__)
