"""Error pages in the user's language that reveal nothing about the request."""
from __future__ import annotations

import logging

from flask import g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from caseapp.accounts.passwords import HasherBusy
from caseapp.core.json_input import MalformedJSON
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied

log = logging.getLogger("caseapp")

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Not logged in"), _l("Log in first.")),
    403: (_l("Not allowed"), _l("You are not allowed to open this page.")),
    404: (_l("Not found"), _l("This page does not exist or you cannot see it.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    415: (_l("Not JSON"), _l("Send the body as JSON (Content-Type: application/json).")),
    413: (_l("Too large"), _l("The file or form you sent is too large.")),
    429: (_l("Too many requests"), _l("Too many attempts. Wait a while and try again.")),
    500: (_l("Something went wrong"),
          _l("Nothing was saved. Try again; if it happens again, tell your administrator "
             "the reference below.")),
    503: (_l("Busy"), _l("The server is busy. Try again in a minute.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int, title=None, message=None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    title, message = title or default_title, message or default_message
    if _wants_json():
        return jsonify(error={"code": code, "message": str(message)}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return render_error(400, _l("Form expired"),
                            _l("The form expired or did not come from this site. "
                               "Reload the page and try again."))

    @app.errorhandler(PermissionDenied)
    def forbidden(exc: PermissionDenied):
        # No rollback: the service recorded the denial, and it must be kept.
        # Services refuse before they change anything.
        return render_error(403, None, exc.message)

    @app.errorhandler(HasherBusy)
    def busy(_exc):
        db.session.rollback()
        response, code = render_error(503)
        return response, code, {"Retry-After": "30"}

    @app.errorhandler(MalformedJSON)
    def malformed_json(exc: MalformedJSON):
        if _wants_json():
            return jsonify(error={"code": 400, "message": str(exc.reason),
                                  "fields": {exc.where: str(exc.reason)}}), 400
        return render_error(400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, InternalServerError):
            return server_error(exc)
        response = render_error(exc.code or 500)
        # A 405 names the methods the resource takes (RFC 9110 §15.5.6).
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            return (*response, {"Allow": ", ".join(sorted(allowed))})
        return response

    @app.errorhandler(Exception)
    def server_error(exc):
        # Roll back first: the commit in after_request must find nothing to write.
        db.session.rollback()
        # Only the exception type and request id: messages can carry form values.
        log.error("unhandled %s in request %s", type(exc).__name__, g.get("request_id", "-"))
        return render_error(500)
