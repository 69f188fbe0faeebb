"""The commands' progress line: count, rate and the time left at that rate,
measured on a fake clock."""
from __future__ import annotations

import io

from caseapp.cli.common import Progress, format_duration


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_durations_read_as_long_as_the_wait():
    assert [format_duration(s) for s in (0, 0.4, 42, 59.6, 65, 3599, 3600, 7475, 90061)] == [
        "0s", "0s", "42s", "1m 00s", "1m 05s", "59m 59s", "1h 00m", "2h 04m", "25h 01m"]


def test_time_left_is_the_rest_at_the_rate_so_far():
    clock = FakeClock()
    log = io.StringIO()
    shown = Progress("cases", 1000, stream=log, clock=clock)
    assert shown.time_left() is None  # nothing done yet: no rate to go by
    clock.now += 10
    shown.update(100)  # 10 a second, 900 to go
    assert shown.rate() == 10 and shown.time_left() == 90
    clock.now += 10
    shown.update(500)  # 25 a second on average, 500 to go
    assert shown.time_left() == 20
    clock.now += 20
    shown.update(1000)
    shown.finish()
    assert log.getvalue().splitlines() == [
        "cases: 100/1000 (10%), 10/s, time left 1m 30s",
        "cases: 500/1000 (50%), 25/s, time left 20s",
        "cases: 1000/1000 (100%), 25/s, took 40s",
    ]


def test_plain_lines_come_each_tenth_and_at_least_every_half_minute():
    clock = FakeClock()
    log = io.StringIO()
    shown = Progress("entries", 1_000_000, stream=log, clock=clock)
    for done in range(1, 21):  # a slow start: 20 items in 10 minutes, all in the first tenth
        clock.now += 30
        shown.update(done)
    lines = log.getvalue().splitlines()
    assert len(lines) == 20  # one per half minute, none skipped while the tenth stays the same
    assert lines[-1] == "entries: 20/1000000 (0%), 0.0/s, time left 8333h 10m"
    clock.now += 1
    shown.update(21)  # less than half a minute since the last line: nothing new
    assert len(log.getvalue().splitlines()) == 20


def test_unknown_time_left_and_no_total():
    clock = FakeClock()
    log = io.StringIO()
    shown = Progress("pages", 10, stream=log, clock=clock)
    shown.update(0)
    assert log.getvalue() == "pages: 0/10 (0%), time left unknown\n"
    counting = io.StringIO()
    open_ended = Progress("entries", None, stream=counting, clock=clock)
    clock.now += 4
    open_ended.update(2000)
    open_ended.finish()
    assert counting.getvalue().splitlines() == ["entries: 2000, 500/s", "entries: 2000, 500/s"]


def test_a_terminal_line_is_rewritten_in_place_at_most_ten_times_a_second():
    clock = FakeClock()
    screen = Terminal()
    shown = Progress("cases", 100, stream=screen, clock=clock)
    clock.now += 1
    shown.update(10)
    clock.now += 0.05
    shown.update(11)  # too soon after the last: not drawn
    clock.now += 1
    shown.update(100)
    shown.finish()
    assert screen.getvalue() == (
        "\rcases: 10/100 (10%), 10/s, time left 9s\033[K"
        "\rcases: 100/100 (100%), 49/s, took 2s\033[K"
        "\rcases: 100/100 (100%), 49/s, took 2s\033[K\n")
