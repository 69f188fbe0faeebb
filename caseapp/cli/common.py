"""Helpers shared by the commands."""
from __future__ import annotations

import os
import sys
import time

import click

from caseapp.crypto import key_scope
from caseapp.extensions import db


def fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def commit_or_fail(action):
    """Run ``action`` in a key scope and commit once; on a domain error roll
    back and exit 1. The scope holds only the data keys ``action`` unlocks."""
    try:
        with key_scope():
            result = action()
        db.session.commit()
        return result
    except Exception as exc:  # domain errors carry a translated .message
        db.session.rollback()
        message = getattr(exc, "message", None)
        if message is None:
            raise
        fail(str(message))


def make_private_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


class Progress:
    """How far a long command has got, on stderr (stdout stays the result).

    On a terminal one line counts up in place; into a file or a pipe (cron, a
    test) a line at each tenth of the way, so a log shows the command moving
    without one line per row. ``update(done)`` as often as convenient."""

    def __init__(self, label: str, total: int | None = None, stream=None):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self._shown_step = -1
        self._shown_at = 0.0

    def _line(self) -> str:
        if self.total:
            return f"{self.label}: {self.done}/{self.total} ({100 * self.done // self.total}%)"
        return f"{self.label}: {self.done}"

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if self.tty:
            now = time.monotonic()
            if now - self._shown_at >= 0.1 or (self.total and done >= self.total):
                self._shown_at = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
            return
        step = 10 * done // self.total if self.total else done // 1000
        if step != self._shown_step:
            self._shown_step = step
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def advance(self, count: int = 1) -> None:
        self.update(self.done + count)

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line() + "\n")
            self.stream.flush()
        elif self.total is None or 10 * self.done // self.total != self._shown_step:
            self.stream.write(self._line() + "\n")
            self.stream.flush()
