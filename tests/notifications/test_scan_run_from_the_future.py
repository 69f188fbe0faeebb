"""Hostile review 2: a scan run dated in the future (a timer host whose clock is
ahead, or one row written by anyone with the database) must not stop the
workers' deadline scan for good."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caseapp import clock
from caseapp.extensions import db
from caseapp.notifications import events
from caseapp.notifications.models import Notification, NotificationScanRun


def test_a_scan_run_dated_in_the_future_does_not_silence_the_workers(
        app, client, people, make_case, travel):
    db.session.add(NotificationScanRun(started_at=clock.now() + timedelta(days=3650),
                                       finished_at=clock.now() + timedelta(days=3650),
                                       notices_made=0))
    db.session.commit()
    late = make_case("intake", assigned=True)
    travel(hours=73)  # days after the last real timer run: none ever ran
    assert not events.timer_is_running(clock.now(), 10)
    app.config["NOTIFY_SCAN_MINUTES"] = 10
    try:
        app.extensions.pop(events._LAST_SCAN, None)
        assert client.get("/login").status_code == 200
        assert db.session.scalars(select(Notification.user_id).where(
            Notification.kind == "deadline_missed",
            Notification.case_reference == late.reference)).all()
    finally:
        app.config["NOTIFY_SCAN_MINUTES"] = 0
        app.extensions.pop(events._LAST_SCAN, None)
