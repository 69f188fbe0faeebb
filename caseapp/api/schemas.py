"""Request and response bodies, declared once as pydantic models.

A route's body is parsed by :func:`parse` (after the app's JSON gate has
refused what Python cannot store), validated by pydantic in strict JSON mode
(a date is an ISO string, never a number; true is not "yes"), and unknown
fields are refused. Its errors come back as one 422 problem naming every
field, in the user's language. The OpenAPI document is generated from the
same models (:mod:`caseapp.api.openapi`), so the two cannot drift apart.
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, ValidationError

# pydantic's error types, as people are told about them.
MESSAGES = {
    "missing": _l("This is required."),
    "extra_forbidden": _l("This field is not known here."),
    "string_type": _l("This must be text."),
    "bool_type": _l("This must be true or false."),
    "int_type": _l("This must be a whole number."),
    "int_from_float": _l("This must be a whole number."),
    "list_type": _l("This must be a list."),
    "dict_type": _l("This must be an object."),
    "model_type": _l("This must be an object."),
    "model_attributes_type": _l("This must be an object."),
    "date_type": _l("Give a date in ISO 8601 (2012-03-04)."),
    "date_from_datetime_parsing": _l("Give a date in ISO 8601 (2012-03-04)."),
    "date_parsing": _l("Give a date in ISO 8601 (2012-03-04)."),
    "datetime_type": _l("Give a date and time in ISO 8601 (2026-03-01T09:30+07:00)."),
    "datetime_parsing": _l("Give a date and time in ISO 8601 (2026-03-01T09:30+07:00)."),
    "datetime_from_date_parsing": _l("Give a date and time in ISO 8601 "
                                     "(2026-03-01T09:30+07:00)."),
    "literal_error": _l("This is not one of the allowed values."),
    "enum": _l("This is not one of the allowed values."),
    "string_too_long": _l("This text is too long."),
    "too_long": _l("This list is too long."),
    "too_short": _l("This list needs more items."),
    "greater_than_equal": _l("This number is too small."),
    "less_than_equal": _l("This number is too large."),
}
GENERIC = _l("This value is not valid here.")


class Body(BaseModel):
    """Base of every request body: strict JSON types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Answer(BaseModel):
    """Base of every response body (documented; built from the app's data)."""

    model_config = ConfigDict(extra="forbid")


class InvalidInput(Exception):
    """A body that is JSON but not what the route takes: 422 with the fields."""

    def __init__(self, fields: dict[str, Any]):
        super().__init__("invalid input")
        self.fields = fields


def field_path(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "_"


def errors_of(error: ValidationError) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in error.errors(include_url=False, include_input=False):
        fields.setdefault(field_path(item["loc"]), MESSAGES.get(item["type"], GENERIC))
    return fields


def parse(model: type[Body]):
    """The request's body as ``model``."""
    raw = request.get_data(cache=True)
    payload = request.get_json(silent=request.content_type is None)
    if payload is None:
        raise InvalidInput({"_": _l("Send a JSON object (Content-Type: application/json).")})
    if not isinstance(payload, dict):
        raise InvalidInput({"_": _l("Send a JSON object (Content-Type: application/json).")})
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput(errors_of(exc)) from None


def query_option(name: str, *, allowed: tuple[str, ...] | None = None,
                 max_length: int | None = None) -> str | None:
    """The query parameter ``name``, given at most once, within what the route
    declares (``allowed`` values, ``max_length``); None when absent. Anything
    else is refused (422), never read as the default."""
    given = request.args.getlist(name)
    if not given:
        return None
    value = given[0]
    if len(given) > 1:
        raise InvalidInput({name: _l("Give this only once.")})
    if allowed is not None and value not in allowed:
        raise InvalidInput({name: MESSAGES["literal_error"]})
    if max_length is not None and len(value) > max_length:
        raise InvalidInput({name: MESSAGES["string_too_long"]})
    return value
