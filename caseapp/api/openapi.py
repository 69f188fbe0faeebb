"""The OpenAPI 3.1 document of /api/v1, generated from the routes and their models.

A route is declared once with :func:`route`: the Flask rule, the pydantic
model of its body and of its answer, its summary. The document's paths and
schemas come from those declarations (pydantic writes JSON Schema 2020-12,
the dialect of OpenAPI 3.1), so a field added to a model is in the document.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app
from pydantic import BaseModel

from . import problems

API_PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
# Path parameters by name: what every route taking one accepts.
PATH_PARAMETERS = {
    # The alphabet of caseapp.cases.queries.REFERENCE_PATTERN (no I, L, O).
    "reference": {"type": "string", "pattern": "^HS-[2-9A-HJKMNP-Z]{8}$",
                  "description": "The case's reference, as written (capitals)"},
    # Row ids are UUIDs (caseapp.database.new_id); "household" is a path of its own.
    "member_id": {"type": "string", "format": "uuid",
                  "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                  "description": "A person's id, as the family list gives it"},
}
DEFAULT_PARAMETER = {"type": "string", "maxLength": 64}
# How a caller proves who it is. "session": a staff member's session cookie (the
# web client's), with the X-CSRFToken header on every call that changes
# something; "token": a partner system's API token (Authorization: Bearer);
# "none": anyone.
SECURITY_SCHEMES = {
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "__Host-caseapp",
                      "description": "The session cookie of a logged-in staff member (after "
                                     "the second factor)"},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                  "description": "With the session cookie, on every call that changes "
                                 "something: the `csrf_token` of GET /me"},
    "partnerToken": {"type": "http", "scheme": "bearer",
                     "description": "A partner system's API token (cat_...), issued by an "
                                    "admin for one unit and named scopes; the /partner routes "
                                    "only (Authorization: Bearer <token>)"},
}
SECURITY_KINDS = ("session", "token", "none")
# The errors every operation of a kind can answer, whatever the route does.
ANY_ERRORS = {"503": "The database cannot be reached or written just now: nothing was saved; "
                     "try again (Retry-After)"}
# Answered by the HTTP server in front of the app (gunicorn under `caseapp serve`)
# before any code of ours runs, as an HTML page: a request line (method, path and
# query) longer than its limit of 4094 bytes.
URL_TOO_LONG = {"description": "The URL is too long: the HTTP server refuses it before the "
                               "app (an HTML page, not a problem document)",
                "content": {"text/html": {"schema": {"type": "string"}}}}
SESSION_ERRORS = {
    "401": "Not logged in (no session, or it expired or was ended)",
    "403": "Not allowed: your role or scope does not permit this, or you must change your "
           "password first",
}
TOKEN_ERRORS = {
    "401": "No token, or an unknown, expired or revoked one",
    "403": "The token lacks the scope this call needs",
    "429": "Too many calls with this token lately (Retry-After)",
}
WRITE_ERRORS = {
    "400": "Malformed JSON",
    "413": "The request is too large",
}
SESSION_WRITE_ERRORS = {"400": "Malformed JSON, or the X-CSRFToken header is missing or stale"}
NOT_FOUND = "Not found, or not visible to you (the same answer)"


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    body: type[BaseModel] | None
    answer: type[BaseModel] | None
    status: int
    errors: dict[str, str]
    query: list[dict] = field(default_factory=list)
    description: str = ""
    security: str = "session"

    def standard_errors(self) -> dict[str, str]:
        """The statuses this operation can answer whatever its own code does."""
        errors = dict(ANY_ERRORS)
        if self.security == "session":
            errors.update(SESSION_ERRORS)
        elif self.security == "token":
            errors.update(TOKEN_ERRORS)
        if self.method != "get":
            errors.update(WRITE_ERRORS)
            if self.security == "session":
                errors.update(SESSION_WRITE_ERRORS)
        if "{" in self.path:
            errors["404"] = NOT_FOUND
        if self.body is not None:
            errors["415"] = "The body is not JSON (send Content-Type: application/json)"
            errors["422"] = "Invalid input: each field named, with what is wrong"
        return errors

    def requirements(self) -> list[dict[str, list]]:
        """The operation's OpenAPI ``security``: the schemes that must all be met."""
        if self.security == "none":
            return []
        if self.security == "token":
            return [{"partnerToken": []}]
        if self.method == "get":
            return [{"sessionCookie": []}]
        return [{"sessionCookie": [], "csrfToken": []}]


_operations: list[Operation] = []


def openapi_path(prefix: str, rule: str) -> str:
    return prefix + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def route(bp: Blueprint, rule: str, method: str, *, summary: str,
          body: type[BaseModel] | None = None, answer: type[BaseModel] | None = None,
          status: int = 200, errors: dict[str, str] | None = None,
          query: list[dict] | None = None, description: str = "",
          security: str = "session") -> Callable:
    """Register a Flask route on ``bp`` and its OpenAPI operation together.

    ``errors``: the statuses this route answers beyond those of every route of its
    ``security`` ("session": a staff member's cookie, plus X-CSRFToken on writes;
    "token": a partner's bearer token; "none": public). A declared ``body`` is
    required."""
    if security not in SECURITY_KINDS:
        raise ValueError(f"security must be one of {SECURITY_KINDS}, not {security!r}")

    def decorate(view: Callable) -> Callable:
        bp.add_url_rule(rule, view_func=_as_declared(view), methods=[method])
        _operations.append(Operation(
            openapi_path(bp.url_prefix or "", rule).removeprefix(API_PREFIX) or "/",
            method.lower(), summary, body, answer, status, dict(errors or {}),
            list(query or []), description, security))
        return view
    return decorate


def _as_declared(view: Callable) -> Callable:
    """``view`` taking only the path values its document allows: a value outside
    its declared pattern (a reference in small letters, with spaces around) is
    handed on as the empty string, which names nothing, so the view's scoped
    lookup answers 404 and audits the denial as for any unknown reference
    (the screens accept what a person types; the API what it declares)."""
    @functools.wraps(view)
    def declared(**values):
        for name, value in values.items():
            pattern = PATH_PARAMETERS.get(name, {}).get("pattern")
            if pattern and not re.fullmatch(pattern, value):
                values[name] = ""
        return view(**values)
    return declared


def _schema_of(model: type[BaseModel], mode: str, schemas: dict[str, Any]) -> dict:
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _problem() -> dict:
    return {"content": {problems.PROBLEM_TYPE: {"schema": {
        "$ref": REF.format(model="Problem")}}}}


def security_schemes() -> dict[str, Any]:
    """The schemes, with this instance's session cookie name (``__Host-caseapp`` in
    production, another on a development instance)."""
    schemes = {name: dict(scheme) for name, scheme in SECURITY_SCHEMES.items()}
    schemes["sessionCookie"]["name"] = current_app.config["SESSION_COOKIE_NAME"]
    return schemes


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Problem": problems.SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for op in _operations:
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": PATH_PARAMETERS.get(name, DEFAULT_PARAMETER)}
                      for name in re.findall(r"{([^}]+)}", op.path)] + op.query
        responses: dict[str, Any] = {}
        ok: dict[str, Any] = {"description": "Done"}
        if op.answer is not None:
            ok.update(_json(_schema_of(op.answer, "serialization", schemas)))
        responses[str(op.status)] = ok
        for code, text in sorted({**op.standard_errors(), **op.errors}.items()):
            responses[code] = {"description": text, **_problem()}
        responses["414"] = URL_TOO_LONG
        responses = dict(sorted(responses.items()))
        operation: dict[str, Any] = {"summary": op.summary, "operationId":
                                     f"{op.method}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower())}"
                                     .rstrip("_"),
                                     "security": op.requirements(),
                                     "responses": responses}
        if op.description:
            operation["description"] = op.description
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {"required": True,
                                        **_json(_schema_of(op.body, "validation", schemas))}
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "caseapp API", "version": "1",
                 "description": "Cases of children harmed online. Every call is scoped to the "
                                "caller: a case you may not see answers 404. Errors are RFC 9457 "
                                "problem details."},
        "servers": [{"url": API_PREFIX}],
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": security_schemes(),
        },
        "paths": dict(sorted(paths.items())),
    }
