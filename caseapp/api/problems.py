"""Every API error as RFC 9457 problem details (``application/problem+json``).

One shape for the whole API: ``type``, ``title``, ``status``, ``detail`` and,
for field errors, ``fields`` (a field's dotted path → what is wrong with it).
Malformed JSON is a 400, a body that is JSON but not valid for the route a
422, a method the route does not take a 405 with ``Allow``.
"""
from __future__ import annotations

from flask import current_app, json

PROBLEM_TYPE = "application/problem+json"
# Types name the kind of problem; clients branch on them, not on the title.
TYPES = {
    400: "bad-request", 401: "not-logged-in", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "not-json",
    422: "invalid-input", 429: "too-many-requests", 500: "server-error", 503: "busy",
}


def problem(status: int, title, detail=None, fields: dict | None = None,
            headers: dict | None = None):
    """A Flask response carrying one problem (titles and details are translated)."""
    body = {"type": f"/api/v1/problems/{TYPES.get(status, 'error')}", "title": str(title),
            "status": status}
    if detail is not None:
        body["detail"] = str(detail)
    if fields:
        body["fields"] = {name: str(message) for name, message in fields.items()}
    response = current_app.response_class(json.dumps(body), status=status,
                                          mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Each invalid field's dotted path and what is wrong"},
    },
}
