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


def format_duration(seconds: float) -> str:
    """``42s``, ``3m 05s``, ``2h 04m``: as long as the wait, no longer."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


class Progress:
    """How far a long command has got, on stderr (stdout stays the result).

    On a terminal one line counts up in place; into a file or a pipe (cron, a
    test) a line at each tenth of the way, and at least every ``every``
    seconds, so a log shows the command moving without one line per row.
    With a total, each line carries the rate so far and the time left at that
    rate (``cases: 150/1000 (15%), 52/s, time left 16s``); the last line says
    how long it took. ``update(done)`` as often as convenient. ``clock`` is
    for tests (a fake monotonic clock)."""

    def __init__(self, label: str, total: int | None = None, stream=None, *,
                 every: float = 30.0, clock=time.monotonic):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self._clock = clock
        self._started = clock()
        self.done = 0
        self._shown_step = -1
        self._shown_at = float("-inf")
        self._line_at = self._started
        self.finished = False

    def rate(self) -> float | None:
        """Items a second since the start, or None before there is one."""
        elapsed = self._clock() - self._started
        if self.done <= 0 or elapsed <= 0:
            return None
        return self.done / elapsed

    def time_left(self) -> float | None:
        """Seconds to the total at the rate so far (None: not known yet)."""
        rate = self.rate()
        if not self.total or rate is None:
            return None
        return max(0, self.total - self.done) / rate

    def _line(self) -> str:
        rate = self.rate()
        speed = "" if rate is None else f", {rate:.0f}/s" if rate >= 10 else f", {rate:.1f}/s"
        if self.total:
            line = f"{self.label}: {self.done}/{self.total} ({100 * self.done // self.total}%)"
            if self.done >= self.total:
                return f"{line}{speed}, took {format_duration(self._clock() - self._started)}"
            left = self.time_left()
            return f"{line}{speed}, time left " + ("unknown" if left is None
                                                    else format_duration(left))
        return f"{self.label}: {self.done}{speed}"

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = self._clock()
        if self.tty:
            if now - self._shown_at >= 0.1 or (self.total and done >= self.total):
                self._shown_at = now
                self.stream.write("\r" + self._line() + "\033[K")
                self.stream.flush()
            return
        step = 10 * done // self.total if self.total else done // 1000
        if step != self._shown_step or now - self._line_at >= self.every:
            self._shown_step = step
            self._line_at = now
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def advance(self, count: int = 1) -> None:
        self.update(self.done + count)

    def finish(self) -> None:
        """The last line (once: a second call shows nothing)."""
        if self.finished:
            return
        self.finished = True
        if self.tty:
            self.stream.write("\r" + self._line() + "\033[K\n")
            self.stream.flush()
        elif self.total is None or 10 * self.done // self.total != self._shown_step:
            self.stream.write(self._line() + "\n")
            self.stream.flush()
