"""The app and request classes: a context per request, uploads in memory.

Werkzeug spools an uploaded file larger than 500 KiB to a temporary file on
disk. Evidence is a child's data: it must reach the disk only sealed, so
every upload is kept in memory until it is encrypted (the whole request is
capped by MAX_CONTENT_LENGTH, so memory is bounded).
"""
from __future__ import annotations

import contextvars
import io
from typing import IO

from flask import Flask, Request
from werkzeug.exceptions import UnsupportedMediaType

from caseapp.database import LOCK_FROM_START, READING_METHODS, STALE_READ_HEADER, StaleRead

from .json_input import INVALID_JSON, JSONInputError, MalformedJSON, StrictJSONProvider


class InMemoryUploadRequest(Request):
    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()

    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, JSONInputError):
            raise MalformedJSON(e)
        if e is None:
            raise UnsupportedMediaType()
        raise MalformedJSON(JSONInputError("", INVALID_JSON))


class CaseApp(Flask):
    """Flask, with every request handled in a context of its own.

    Flask reuses an application context that is already active when a request
    arrives, and with it ``g`` (the logged-in user, the CSRF token) and the
    database session. A server that inherits one -- a process forked inside a
    CLI command, as ``caseapp serve`` once was -- would answer every request
    as whoever logged in last. Starting each request from an empty
    ``contextvars.Context`` makes that impossible whatever the server does.
    """

    request_class = InMemoryUploadRequest  # uploads never spool to disk in clear
    json_provider_class = StrictJSONProvider  # one gate for every JSON body

    def wsgi_app(self, environ, start_response):
        run = super().wsgi_app
        if environ.get("REQUEST_METHOD") not in READING_METHODS:
            return contextvars.Context().run(run, environ, start_response)
        # A page reads without SQLite's write lock; if another writer committed
        # before the page's first write, the page wrote nothing and answered
        # with the stale-read mark: it is run once more, holding the lock from
        # its start (see caseapp.database.take_write_lock). A page has no body
        # to read twice.
        held: list = []

        def hold(status, headers, exc_info=None):
            held[:] = [status, headers, exc_info]
            return _no_write

        body = contextvars.Context().run(run, environ, hold)
        if held and any(name == STALE_READ_HEADER for name, _ in held[1]):
            if hasattr(body, "close"):
                body.close()
            environ[LOCK_FROM_START] = True
            return contextvars.Context().run(run, environ, start_response)
        start_response(*held)
        return body


    def log_exception(self, exc_info) -> None:
        """A stale read is the page's planned re-run (above), not a fault: it is
        not logged as an exception. An after-request write (the audit entry of a
        403) meets it outside the view, where Flask would log it with its
        traceback before the error handler turns it into the re-run."""
        if isinstance(exc_info[1], StaleRead):
            return
        super().log_exception(exc_info)


def _no_write(_data: bytes) -> None:
    raise RuntimeError("pages answer with an iterable, not write()")
