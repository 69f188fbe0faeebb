"""Characters no typed text may hold.

A NUL: PostgreSQL refuses it in a text column (the write fails; on SQLite it is
stored and shows as nothing). The controls that reorder how text reads: a
name that shows differently from what it holds (``\\u202e`` turns "Xã Tân
Phú" written backwards into what looks like the real name).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

HIDDEN_CHARACTER = _l("This text contains a character that is not allowed.")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_hidden_characters(value: str) -> bool:
    return "\x00" in value or not BIDI_CONTROLS.isdisjoint(value)


def has_nul(values) -> bool:
    """A NUL in any of ``values`` (a form field's raw values: text, or a file)."""
    return any(isinstance(value, str) and "\x00" in value for value in values)
