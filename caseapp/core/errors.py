"""Error pages in the user's language that reveal nothing about the request.

On the API every error is RFC 9457 problem details
(:mod:`caseapp.api.problems`); on the web an error page. Domain errors of
higher layers (PermissionDenied, a busy password hasher) are mapped to a
status by the app factory with :func:`handle` (this module imports nothing
above it).
"""
from __future__ import annotations

import contextlib
import logging

from flask import Response, current_app, g, render_template, request
from flask.globals import request_ctx
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from caseapp.api.problems import problem
from caseapp.api.schemas import InvalidInput
from caseapp.database import STALE_READ_HEADER, StaleRead
from caseapp.extensions import db

from .json_input import MalformedJSON
from .text import HIDDEN_CHARACTER, has_nul

log = logging.getLogger("caseapp")

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Not logged in"), _l("Log in first.")),
    403: (_l("Not allowed"), _l("You are not allowed to open this page.")),
    404: (_l("Not found"), _l("This page does not exist or you cannot see it.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    409: (_l("Conflict"), _l("Someone else changed this first. Reload and try again.")),
    415: (_l("Not JSON"), _l("Send the body as JSON (Content-Type: application/json).")),
    413: (_l("Too large"), _l("The file or form you sent is too large.")),
    422: (_l("Invalid input"), _l("Some fields are not valid.")),
    429: (_l("Too many requests"), _l("Too many attempts. Wait a while and try again.")),
    500: (_l("Something went wrong"),
          _l("Nothing was saved. Try again; if it happens again, tell your administrator "
             "the reference below.")),
    503: (_l("Busy"), _l("The server is busy. Try again in a minute.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int, title=None, message=None, *, fields: dict | None = None,
                 headers: dict | None = None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    title, message = title or default_title, message or default_message
    if wants_json():
        return problem(code, title, message, fields, headers)
    page = render_template("errors/error.html", code=code, title=title, message=message)
    return page, code, headers or {}


def handle(app, exception: type[Exception], code: int, *, rollback: bool = False,
           headers: dict | None = None) -> None:
    """Answer ``exception`` with ``code`` and its ``message`` (a lazy string)."""
    def answer(exc):
        if rollback:
            db.session.rollback()
        return render_error(code, None, getattr(exc, "message", None), headers=headers)
    app.register_error_handler(exception, answer)


# PostgreSQL's SQLSTATE classes that mean "cannot write now", not "bad request":
# connection exceptions, a read-only transaction, insufficient resources (disk
# full), an administrator's shutdown or restart.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "25", "53", "57")


def database_is_unavailable(exc: DBAPIError) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated:
        return True
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    return sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES


def database_unavailable(exc):
    """The database is down, restarting, read-only or full: the transaction is
    rolled back whole (nothing half-written), and the person is told to try
    again rather than shown a crash. The pool pings connections before reuse,
    so the next request reconnects once the database is back.

    Nothing on the way out may need the database: the page's language is
    settled while the user's row is still loaded, and the page is then rendered
    for nobody in particular (the rollback expires the user's row, and loading
    it again would fail the same way and turn the answer into a bare 500)."""
    if isinstance(exc, StaleRead):  # nothing written: the page is run again (CaseApp)
        db.session.rollback()
        return Response(status=503, headers={STALE_READ_HEADER: "1", "Retry-After": "1"})
    _settle_locale()
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone: nothing to undo
        db.session.remove()
    _as_nobody()
    cause = getattr(exc, "orig", None)
    log.error("database unavailable (%s) in request %s",
              type(cause if cause is not None else exc).__name__, g.get("request_id", "-"))
    return render_error(503, _l("Not saved: try again"),
                        _l("The database cannot be written just now (it may be restarting, "
                           "full or read-only). Nothing was saved; nothing you sent is half "
                           "recorded. Try again in a minute; if it goes on, tell your "
                           "administrator."),
                        headers={"Retry-After": "30"})


def _settle_locale() -> None:
    """Choose the page's language now (Flask-Babel keeps it for the request)."""
    # The database failed while Flask opened the session (``session`` asserts it
    # was opened): an empty one for the page's CSRF fields, never saved (a
    # passive session keeps the person's cookie and row as they were), and
    # nobody logged in.
    if getattr(request_ctx, "_session", True) is None:
        empty = current_app.session_interface.session_class()
        empty.passive = True
        request_ctx._session = empty
        _as_nobody()
    # The user's row could not be read: the default language.
    with contextlib.suppress(Exception):
        get_locale()


def _as_nobody() -> None:
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None:
        g._login_user = login_manager.anonymous_user()


def init_app(app) -> None:
    @app.before_request
    def refuse_a_nul_in_the_address():
        # A page's query parameters reach SQL (PostgreSQL refuses a NUL in text)
        # and are shown back in its filters: a hand-made address with one is
        # refused before any page reads it. The API checks its own parameters.
        if not wants_json() and any("\x00" in name or has_nul(request.args.getlist(name))
                                    for name in request.args):
            return render_error(400, None, HIDDEN_CHARACTER)
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return render_error(400, _l("Form expired"),
                            _l("The form expired or did not come from this site. "
                               "Reload the page and try again."))

    @app.errorhandler(MalformedJSON)
    def malformed_json(exc: MalformedJSON):
        return render_error(400, None, exc.reason, fields={exc.where: exc.reason})

    @app.errorhandler(InvalidInput)
    def invalid_input(exc: InvalidInput):
        return render_error(422, None, None, fields=exc.fields)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            # An error before the view (opening the session) comes here wrapped.
            original = getattr(exc, "original_exception", None)
            if isinstance(original, DBAPIError) and database_is_unavailable(original):
                return database_unavailable(original)
            return server_error(exc)
        # A 405 names the methods the resource takes (RFC 9110 §15.5.6).
        allowed = getattr(exc, "valid_methods", None)
        headers = {"Allow": ", ".join(sorted(allowed))} if allowed else None
        return render_error(exc.code or 500, headers=headers)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if database_is_unavailable(exc):
            return database_unavailable(exc)
        return server_error(exc)

    @app.errorhandler(Exception)
    def server_error(exc):
        # Roll back first: the commit in after_request must find nothing to write.
        db.session.rollback()
        # Only the exception type and request id: messages can carry form values.
        log.error("unhandled %s in request %s", type(exc).__name__, g.get("request_id", "-"))
        return render_error(500)
