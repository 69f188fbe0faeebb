"""Keyset pages: a list read a page at a time, each page starting after the
last row of the one before, so page 1,000 costs what page 1 costs (an index
range, never an OFFSET that counts the rows it skips).

A :class:`Keyset` names the columns of a list's order, each ascending or
descending, the last one unique (a row id), all NOT NULL in the rows listed:
NULLs would need their own range (see ``caseapp.cases.queries`` for "My
cases", whose deadlines may be NULL). The mark of where a page ends travels
in the next page's URL as an opaque token of those columns' values (times,
days, flags, ids, and on the admin's list of accounts a username: staff data,
never child data); a token that does not parse is the first page. Rows a list
leaves out after reading (one changed outside the app: ``read(keep=...)``)
are read past: the page is still whole and no mark names them.

"Previous page" is the same keyset read backwards: a ``before`` token (the
first row shown) reads the rows before it in the reversed order, so going
back costs what going forward costs and the URL stays one token long however
deep the page (a stack of positions would grow with every page). A page's
place in its list ("51–100 of 1,234") travels beside the token as ``start``:
only a number shown to the person, checked against the list's total.

:func:`back_link` checks the ``back`` parameter a case link carries (the list
page the person came from): only a registered list path with its paging
parameters, never anything else.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import BigInteger, Integer, Select, SmallInteger, and_, literal, or_, tuple_

from . import clock

MAX_TOKEN = 400
_UNIT_PATH = re.compile(r"(?:/[0-9]{1,18})*/")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Key:
    column: Any  # an ORM attribute or a Core column
    # "time", "day", "bool", "int", "str" (a row id), "name" (a username) or
    # "path" (a unit's): how a token writes it
    kind: str
    descending: bool = False


class Keyset:
    """``split``: the first key is a flag read as one range per value (a
    "danger first" order): each range is served by an ascending index on
    (flag, the other keys), where one ORDER BY of a descending flag and
    ascending times would need an index of mixed directions."""

    def __init__(self, *keys: Key, split: bool = False):
        self.keys = keys
        self.split = split

    def reversed(self) -> Keyset:
        """The same order read backwards (each key's direction flipped)."""
        return Keyset(*[Key(k.column, k.kind, not k.descending) for k in self.keys],
                      split=self.split)

    def order(self, query: Select) -> Select:
        return query.order_by(*[k.column.desc() if k.descending else k.column.asc()
                                for k in self.keys])

    def values_of(self, row) -> tuple:
        return tuple(getattr(row, k.column.key) for k in self.keys)

    def token(self, row) -> str:
        raw = [v.isoformat() if isinstance(v, date) else v for v in self.values_of(row)]
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
            values = tuple(_value(k.kind, v) for k, v in zip(self.keys, raw, strict=True))
        except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
            return None
        for key, value in zip(self.keys, values, strict=True):
            if key.kind == "int" and not _fits(key.column, value):
                return None  # the driver would refuse it: "integer out of range", a 500
        return values

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

    def direction(self, after: str | None, before: str | None) -> tuple[str | None, bool]:
        """The token to read from and whether it reads backwards: ``after`` when it
        parses, else ``before`` when it parses (backwards), else the first page."""
        if self.parse(after) is not None:
            return after, False
        if self.parse(before) is not None:
            return before, True
        return None, False

    def window_ranges(self, query: Select, after: str | None, before: str | None,
                      size: int) -> tuple[list[Select], bool]:
        """The statements of a page from ``after`` or back from ``before`` (see
        :meth:`ranges`), and whether they read backwards."""
        token, backwards = self.direction(after, before)
        keyset = self.reversed() if backwards else self
        return keyset.ranges(query, token, size), backwards

    def read(self, query: Select, after: str | None, before: str | None, size: int,
             fetch: Callable[[Select], Iterable],
             keep: Callable[[Any], bool] | None = None) -> Window:
        """One page of ``query`` from ``after``, or back from ``before``, its rows
        read by ``fetch`` (``db.session.scalars``: this module reads no database
        of its own). Going back past the start (a stale or forged mark) gives
        the first page. ``keep``: rows it refuses (a row changed outside the
        app) are left out and the page is filled on past them, so a page is
        whole and its marks are rows it shows."""
        ranges, backwards = self.window_ranges(query, after, before, size)
        fetched = [row for part in ranges for row in fetch(part)][:size + 1]
        if keep is not None:
            fetched = self._kept(query, fetched, size, fetch, keep, backwards)
        window = self.window(fetched, size, first=not backwards and self.parse(after) is None,
                             backwards=backwards)
        if backwards and window.first:
            return self.read(query, None, None, size, fetch, keep)
        return window

    def _kept(self, query: Select, fetched: list, size: int, fetch, keep,
              backwards: bool) -> list:
        """``fetched`` without the rows ``keep`` refuses, read on from the last
        row read (in the direction read) until ``size`` + 1 are kept or the
        list ends. A refused row is rare (each one is reported where it is
        checked), so this reads on once in practice."""
        kept = [row for row in fetched if keep(row)]
        keyset = self.reversed() if backwards else self
        while len(kept) <= size and len(fetched) > size:
            fetched = [row for part in keyset.ranges(query, keyset.token(fetched[-1]), size)
                       for row in fetch(part)][:size + 1]
            kept += [row for row in fetched if keep(row)]
        return kept[:size + 1]

    def window(self, fetched: list, size: int, *, first: bool, backwards: bool) -> Window:
        """A page from the rows its statements fetched (at most ``size`` + 1, in
        the order read): its rows in the list's order and both neighbours' tokens."""
        return window_of(fetched, size, self.token, first=first, backwards=backwards)


@dataclass
class Window:
    """One page of a list: its rows, the tokens of the pages after and before it
    (None: there is none), and whether it is the first page."""

    rows: list
    next_token: str | None
    prev_token: str | None
    first: bool
    backwards: bool = False


def window_of(fetched: list, size: int, token, *, first: bool, backwards: bool) -> Window:
    """:meth:`Keyset.window` for any mark (``token``: a row's token). Read
    backwards, a page that finds no row beyond its own is the first one."""
    more = len(fetched) > size
    rows = fetched[:size]
    if backwards:
        rows.reverse()
        return Window(rows, token(rows[-1]) if rows else None,
                      token(rows[0]) if more and rows else None, first=not more,
                      backwards=True)
    return Window(rows, token(rows[-1]) if more else None,
                  token(rows[0]) if rows and not first else None, first=first)


@dataclass(frozen=True)
class Position:
    """Where a page sits in its list, 1-based: rows ``first``..``last`` of
    ``total`` (None: the list has no total)."""

    first: int
    last: int
    total: int | None


MAX_START = 10**9


def position(start: str | None, window: Window, shown: int, total: int | None = None
             ) -> Position | None:
    """The page's place from its ``start`` parameter (a number the links carry),
    1 on the first page; None when it is unknown or cannot be right (a forged
    or stale number beyond the list's total)."""
    if window.first:
        first = 1
    elif start and start.isascii() and start.isdigit() and len(start) <= 9:
        first = int(start)
    else:
        return None
    if first < 1 or first >= MAX_START:
        return None
    last = first + shown - 1
    if shown == 0 or (total is not None and last > total):
        return None
    return Position(first, last, total)


# --- the way back from a case to its list -----------------------------------------------------

_LIST_PATHS: set[str] = set()
# The parameters of a list page's URL that are kept in a back link, each with
# its check: tokens that decode to marks (times, flags, ints, row ids: no
# text), a page number, the closed-cases switch and a case reference prefix.
# Checked with fullmatch: "$" would also let a value end in a newline.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{1,400}")
_REFERENCE_PREFIX = re.compile(r"HS-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{0,8}")


def register_list_page(*paths: str) -> None:
    """Declare list pages a case link may lead back to (their paths)."""
    _LIST_PATHS.update(paths)


def is_mark_token(token: str) -> bool:
    """Whether ``token`` decodes to a page mark of any list: a list of times,
    flags, integers and row ids (a keyset's), or "My cases"' "deadline|report|id";
    never free text."""
    if not _TOKEN_CHARS.fullmatch(token):
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    parts = raw.split("|")
    if len(parts) == 3:
        return all(p == "" or _is_time(p) for p in parts[:2]) and bool(parts[1]) \
            and is_row_id(parts[2])
    try:
        values = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(values, list) or not 1 <= len(values) <= 8:
        return False
    return all(isinstance(v, bool) or (isinstance(v, int) and INT64_MIN <= v <= INT64_MAX)
               or (isinstance(v, str) and (is_row_id(v) or _is_time(v))) for v in values)


def _is_time(raw: str) -> bool:
    if len(raw) > 40:
        return False
    try:
        datetime.fromisoformat(raw)
    except ValueError:
        return False
    return True


_BACK_CHECKS = {
    "after": is_mark_token,
    "before": is_mark_token,
    "start": lambda v: v.isascii() and v.isdigit() and len(v) <= 9,
    "closed": lambda v: v == "1",
    "ref": lambda v: bool(_REFERENCE_PREFIX.fullmatch(v)),
}


def back_link(raw: str | None) -> str | None:
    """``raw`` (a case link's ``back`` parameter) as a local path and query of a
    registered list page, rebuilt from its checked parts; None for anything
    else (another site, another page, an unknown or malformed parameter),
    which is then neither followed nor shown."""
    if not raw or len(raw) > 2000 or any(ord(c) < 0x21 or ord(c) > 0x7e for c in raw):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.fragment or parts.path not in _LIST_PATHS:
        return None
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query),
                          max_num_fields=len(_BACK_CHECKS))
    except ValueError:
        return None
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        return None
    for key, value in pairs:
        check = _BACK_CHECKS.get(key)
        if check is None or not check(value):
            return None
    return parts.path + ("?" + urlencode(pairs) if pairs else "")


def _value(kind: str, raw):
    if kind == "time":
        if not isinstance(raw, str):
            raise TypeError(kind)
        return clock.as_utc(datetime.fromisoformat(raw))
    if kind == "day":  # a calendar day, "2026-12-03"
        if not isinstance(raw, str) or len(raw) != 10:
            raise TypeError(kind)
        return date.fromisoformat(raw)
    if kind == "name":  # a username: printable text of at most 64 characters
        if not isinstance(raw, str) or not 0 < len(raw) <= 64 or not raw.isprintable():
            raise ValueError(kind)
        raw.encode("utf-8")  # a lone surrogate: UnicodeEncodeError, a ValueError
        return raw
    if kind == "path":  # a unit's materialised path, "/1/7/12/"
        if not isinstance(raw, str) or len(raw) > 255 or not _UNIT_PATH.fullmatch(raw):
            raise ValueError(kind)
        return raw
    expected = {"bool": bool, "int": int, "str": str}[kind]
    if not isinstance(raw, expected) or (kind == "int" and isinstance(raw, bool)):
        raise TypeError(kind)
    if kind == "int" and not INT64_MIN <= raw <= INT64_MAX:
        raise ValueError(kind)  # no BIGINT holds it: the drivers would raise
    if kind == "str" and not is_row_id(raw):
        raise ValueError(kind)
    return raw


def _fits(column, value: int) -> bool:
    """Whether ``value`` fits ``column``'s integer type (INTEGER holds 32 bits
    on PostgreSQL, SMALLINT 16, BIGINT 64; SQLite takes any of them)."""
    kind = column.type
    bits = 64 if isinstance(kind, BigInteger) else 16 if isinstance(kind, SmallInteger) else \
        32 if isinstance(kind, Integer) else 64
    return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


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
