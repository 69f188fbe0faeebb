"""The OpenAPI document of /api/v1, assembled from what each module declares.

Modules add their paths and schemas with ``add_path``/``add_schema`` at import
time, so the document and the routes live side by side.
"""
from __future__ import annotations

from typing import Any

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "integer"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
    },
}

ERRORS = {
    "400": {"description": "Invalid input or missing CSRF token",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "401": {"description": "Not logged in",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "404": {"description": "Not found, or not visible to you (the same answer)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
}


def add_path(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for code, response in ERRORS.items():
        responses.setdefault(code, response)
    _PATHS.setdefault(path, {})[method.lower()] = operation


def add_schema(name: str, schema: dict[str, Any]) -> None:
    _SCHEMAS[name] = schema


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "caseapp API", "version": "1",
                 "description": "Cases of children harmed online. Every call is scoped to the "
                                "caller: a case you may not see answers 404."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "__Host-caseapp"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
            },
        },
        "security": [{"session": [], "csrf": []}],
        "paths": dict(sorted(_PATHS.items())),
    }
