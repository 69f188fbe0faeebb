"""The OpenAPI 3.1 document of /api/v1, generated from the routes and their models.

A route is declared once with :func:`route`: the Flask rule, the pydantic
model of its body and of its answer, its summary. The document's paths and
schemas come from those declarations (pydantic writes JSON Schema 2020-12,
the dialect of OpenAPI 3.1), so a field added to a model is in the document.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel

from . import problems

API_PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
# Path parameters by name: what every route taking one accepts.
PATH_PARAMETERS = {
    "reference": {"type": "string", "pattern": "^HS-[2-9A-HJ-NP-Z]{8}$",
                  "description": "The case's reference"},
}
DEFAULT_PARAMETER = {"type": "string", "maxLength": 64}
STANDARD_ERRORS = {
    "400": "Malformed JSON or missing CSRF token",
    "401": "Not logged in",
    "404": "Not found, or not visible to you (the same answer)",
    "405": "Method not allowed (see the Allow header)",
}


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


_operations: list[Operation] = []
# How a route's caller is known: a staff session (cookie, and X-CSRFToken on a
# change), a partner's bearer token, or not at all.
SECURITY = {
    "session": [{"sessionCookie": []}],
    "token": [{"partnerToken": []}],
    "none": [],
}


def openapi_path(prefix: str, rule: str) -> str:
    return prefix + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def route(bp: Blueprint, rule: str, method: str, *, summary: str,
          body: type[BaseModel] | None = None, answer: type[BaseModel] | None = None,
          status: int = 200, errors: dict[str, str] | None = None,
          query: list[dict] | None = None, description: str = "",
          security: str = "session") -> Callable:
    """Register a Flask route on ``bp`` and its OpenAPI operation together.
    ``security``: "session", "token" (a partner's bearer token) or "none"."""
    if security not in SECURITY:
        raise ValueError(f"security must be one of {sorted(SECURITY)}")

    def decorate(view: Callable) -> Callable:
        bp.add_url_rule(rule, view_func=view, methods=[method])
        _operations.append(Operation(
            openapi_path(bp.url_prefix or "", rule).removeprefix(API_PREFIX) or "/",
            method.lower(), summary, body, answer, status, dict(errors or {}),
            list(query or []), description, security))
        return view
    return decorate


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
        for code, text in {**STANDARD_ERRORS, **op.errors}.items():
            if code == "400" and op.body is None:
                if op.security != "session":
                    continue  # no body, no CSRF token: nothing to be malformed
                text = "Missing CSRF token"
            elif code == "400" and op.security != "session":
                text = "Malformed JSON"
            responses[code] = {"description": text, **_problem()}
        operation: dict[str, Any] = {"summary": op.summary, "operationId":
                                     f"{op.method}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower())}"
                                     .rstrip("_"),
                                     "responses": responses}
        if op.description:
            operation["description"] = op.description
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {"required": True,
                                        **_json(_schema_of(op.body, "validation", schemas))}
            responses.setdefault("415", {"description": "The body is not JSON", **_problem()})
            responses.setdefault("422", {"description": "Invalid input: fields names each",
                                         **_problem()})
        operation["security"] = SECURITY["none" if op.path == "/openapi.json" else op.security]
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
            "securitySchemes": {
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "__Host-caseapp",
                                  "description": "A staff session; a change also sends "
                                                 "X-CSRFToken (GET /me gives it)"},
                "partnerToken": {"type": "http", "scheme": "bearer",
                                 "description": "A partner's API token (cat_...), issued by "
                                                "an admin; the /partner routes only"},
            },
        },
        "paths": dict(sorted(paths.items())),
    }
