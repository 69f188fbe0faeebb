"""Keyset pages: a list read a page at a time, each page starting after the
last row of the one before, so page 1,000 costs what page 1 costs (an index
range, never an OFFSET that counts the rows it skips).

A :class:`Keyset` names the columns of a list's order, each ascending or
descending, the last one unique (a row id), all NOT NULL in the rows listed:
NULLs would need their own range (see ``caseapp.cases.queries`` for "My
cases", whose deadlines may be NULL). The mark of where a page ends travels
in the next page's URL as an opaque token of those columns' values (times,
flags, ids: never child data); a token that does not parse is the first page.
"""
from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, literal, or_, tuple_

from . import clock

MAX_TOKEN = 400
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Key:
    column: Any  # an ORM attribute or a Core column
    kind: str  # "time", "bool", "int" or "str": how its value is written in a token
    descending: bool = False


class Keyset:
    """``split``: the first key is a flag read as one range per value (a
    "danger first" order): each range is served by an ascending index on
    (flag, the other keys), where one ORDER BY of a descending flag and
    ascending times would need an index of mixed directions."""

    def __init__(self, *keys: Key, split: bool = False):
        self.keys = keys
        self.split = split

    def order(self, query: Select) -> Select:
        return query.order_by(*[k.column.desc() if k.descending else k.column.asc()
                                for k in self.keys])

    def values_of(self, row) -> tuple:
        return tuple(getattr(row, k.column.key) for k in self.keys)

    def token(self, row) -> str:
        raw = [v.isoformat() if isinstance(v, datetime) else v for v in self.values_of(row)]
        return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()
                                        ).decode().rstrip("=")

    def parse(self, token: str | None) -> tuple | None:
        """The values in ``token``, or None for anything else (the first page)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(raw, list) or len(raw) != len(self.keys):
                return None
            return tuple(_value(k.kind, v) for k, v in zip(self.keys, raw, strict=True))
        except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
            return None

    def after(self, values: Sequence) -> Any:
        """SQL: the rows after ``values`` in this order. One row-value comparison
        when every column runs the same way (an index range on SQLite and
        PostgreSQL alike), else the lexicographic expansion."""
        bound = [literal(v, k.column.type) for k, v in zip(self.keys, values, strict=True)]
        if len({k.descending for k in self.keys}) == 1:
            columns = tuple_(*[k.column for k in self.keys])
            marks = tuple_(*bound)
            return columns < marks if self.keys[0].descending else columns > marks
        clauses = []
        for i, key in enumerate(self.keys):
            beyond = key.column < bound[i] if key.descending else key.column > bound[i]
            clauses.append(and_(*[self.keys[j].column == bound[j] for j in range(i)], beyond))
        return or_(*clauses)

    def page(self, query: Select, token: str | None, size: int) -> Select:
        """``query`` ordered, from after ``token``, one row more than ``size``
        (the extra row says whether a next page exists)."""
        values = self.parse(token)
        if values is not None:
            query = query.where(self.after(values))
        return self.order(query).limit(size + 1)

    def ranges(self, query: Select, token: str | None, size: int) -> list[Select]:
        """The statements of a page, read one after the other: one (``page``),
        or with ``split`` one per value of the flag from where ``token`` ends."""
        if not self.split:
            return [self.page(query, token, size)]
        values = self.parse(token)
        flag, rest = self.keys[0], Keyset(*self.keys[1:])
        order = [True, False] if flag.descending else [False, True]
        found = []
        for value in order:
            if values is not None and order.index(value) < order.index(values[0]):
                continue  # a range the mark is already past
            part = query.where(flag.column == value)
            if values is not None and values[0] == value:
                part = part.where(rest.after(values[1:]))
            found.append(rest.order(part).limit(size + 1))
        return found

    def split_page(self, rows: list, size: int) -> tuple[list, str | None]:
        """A page's rows and the next page's token (None: this is the last)."""
        return rows[:size], (self.token(rows[size - 1]) if len(rows) > size else None)


def _value(kind: str, raw):
    if kind == "time":
        if not isinstance(raw, str):
            raise TypeError(kind)
        return clock.as_utc(datetime.fromisoformat(raw))
    expected = {"bool": bool, "int": int, "str": str}[kind]
    if not isinstance(raw, expected) or (kind == "int" and isinstance(raw, bool)):
        raise TypeError(kind)
    if kind == "int" and not INT64_MIN <= raw <= INT64_MAX:
        raise ValueError(kind)  # no BIGINT holds it: the drivers would raise
    if kind == "str" and not is_row_id(raw):
        raise ValueError(kind)
    return raw


def is_row_id(raw: object) -> bool:
    """Whether ``raw`` is a row id as :func:`caseapp.database.new_id` writes it
    (a UUID's canonical text): every "str" key of a list is such an id, and
    anything else (a NUL byte, a lone surrogate, other spellings) would only
    reach the database to fail there."""
    if not isinstance(raw, str) or len(raw) != 36:
        return False
    try:
        return str(uuid.UUID(raw)) == raw
    except ValueError:
        return False
