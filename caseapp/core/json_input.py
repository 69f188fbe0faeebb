"""One gate for every JSON body the app reads.

Python's decoder accepts what the rest of the app cannot store or encode: a
lone UTF-16 surrogate ("\\ud800") decodes to a str that fails later when it
is encoded, nesting a thousand levels deep raises RecursionError, and NaN,
Infinity or a 300-digit number reach columns that refuse them. Each of these
was a 500. Here they are refused while parsing, with the place named, so
every route gets a 400 and no route has to check.
"""
from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 32
INVALID_JSON = _l("The body is not valid JSON.")
# JavaScript's safe integers: nothing the API takes is larger, and both
# databases' integer columns hold them.
MAX_INTEGER = 2**53 - 1


class JSONInputError(ValueError):
    """The body is not JSON the app accepts; ``where`` is a dotted path."""

    def __init__(self, where: str, reason):
        super().__init__(where or "_")
        self.where = where or "_"
        self.reason = reason  # lazily translated


class MalformedJSON(BadRequest):
    """Raised by the request for a body the gate refused (a 400 naming the field)."""

    def __init__(self, error: JSONInputError):
        super().__init__()
        self.where = error.where
        self.reason = error.reason


TOO_DEEP = _l("Nested too deeply (at most %(n)d levels).", n=MAX_DEPTH)
SURROGATE = _l("The text holds an invalid character (an unpaired surrogate).")


def _refuse_constant(name: str):
    raise JSONInputError("", _l("Not a number JSON allows."))


def _check_text(value: str, where: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise JSONInputError(where, SURROGATE) from None
    if "\x00" in value:
        raise JSONInputError(where, _l("The text holds a NUL character."))


def _check_scalar(item: Any, where: str) -> None:
    if isinstance(item, str):
        _check_text(item, where)
    elif isinstance(item, bool) or item is None:
        return
    elif isinstance(item, int) and abs(item) > MAX_INTEGER:
        raise JSONInputError(where, _l("The number is too large."))
    elif isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
        raise JSONInputError(where, _l("The number is out of range."))


def _children(item: Any, where: str):
    if isinstance(item, dict):
        for key, child in item.items():
            _check_text(key, where)
            yield child, f"{where}.{key}" if where else key
    elif isinstance(item, list):
        for index, child in enumerate(item):
            yield child, f"{where}.{index}" if where else str(index)


def check(value: Any) -> Any:
    """Walk a decoded value without recursion; raise JSONInputError on the first fault."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JSONInputError(where, TOO_DEEP)
        _check_scalar(item, where)
        stack.extend((child, path, depth + 1) for child, path in _children(item, where))
    return value


def loads(text: str | bytes) -> Any:
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise JSONInputError("", TOO_DEEP) from None
    except JSONInputError:
        raise
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, the int digit limit
        raise JSONInputError("", INVALID_JSON) from None
    return check(value)


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)
