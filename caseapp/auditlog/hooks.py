"""App-wide request hooks of the audit log (attached by the auditlog blueprint).

* ``record_forbidden`` (after_request): every 403 answer, whichever blueprint
  or error handler produced it, is recorded as "access.denied" with the
  endpoint name. It runs before the request's commit hook (Flask calls
  after_request hooks in reverse order of registration, and blueprints are
  registered after ``configure_web``), so the entry commits with the request.
* ``on_teardown``: once per process, at its first request, the
  start-up entry in a transaction of its own; then a checkpoint if one is due.
"""
from __future__ import annotations

import logging
import threading

from flask import current_app, request

from caseapp.auditing.writer import record_denied, record_start
from caseapp.extensions import db

from . import checkpoints

log = logging.getLogger("caseapp.audit")

_STARTED = "caseapp_audit_started"
_start_lock = threading.Lock()


def record_forbidden(response):
    if response.status_code == 403:
        record_denied(request.endpoint, "forbidden")
    return response


def _record_start_once(app) -> None:
    if app.extensions.get(_STARTED):
        return
    with _start_lock:
        if app.extensions.get(_STARTED):
            return
        try:
            record_start(app)
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - never fail a request for it; retried
            db.session.rollback()
            log.warning("start-up audit entry failed: %s", type(error).__name__)
            return
        app.extensions[_STARTED] = True


def on_teardown(exc: BaseException | None = None) -> None:
    if exc is not None:  # the request failed: its transaction is being rolled back
        return
    _record_start_once(current_app._get_current_object())
    checkpoints.maybe_checkpoint()
