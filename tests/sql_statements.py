"""Counting the SQL statements a piece of work runs: the tests that prove a
page (or a scan) costs the same statements however many rows it holds."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import event

from caseapp.extensions import db

T = TypeVar("T")


def statements_run(work: Callable[[], T]) -> tuple[T, int]:
    """``work()``'s result and the number of statements the app's engine ran for it."""
    result, seen = statements_seen(work)
    return result, len(seen)


def statements_seen(work: Callable[[], T]) -> tuple[T, list[str]]:
    """``work()``'s result and the statements the app's engine ran for it."""
    seen: list[str] = []
    engine = db.session.get_bind()
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = work()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, seen
