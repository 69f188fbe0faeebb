"""The programme's numbers, defined once: what each key counts, in words and as
Python over :class:`~caseapp.cases.facts.CaseFacts`.

The dashboard and the report compute the same keys in SQL
(:mod:`caseapp.reports.figures`); ``caseapp report --verify`` computes them
here from the facts the audit log holds. Two independent computations of one
definition: a test checks they agree on every case the suite makes.

Definitions (DESIGN.md, "The 100% figure"), for a period and a scope:

* requests R: cases received in the period with "help requested: yes";
  the cases without it are counted apart (``no_help``);
* unfounded U: those closed as unfounded with a supervisor's approval by the
  report's date;
* handled H: those of R - U assigned, assessed and with at least one support
  action done (emergency measures and counselling count) by the report's date;
  the share is H / (R - U), rows for children under 16, minors of 16-17 and
  cases still in the old 15-17 band ("unbanded"), and their total;
* on time, per deadline: among the cases of R whose deadline fell in the
  period (and by the report's date), those whose step was done by it; a step
  left undone on a case closed before its deadline does not count;
* every deadline met: the cases of R - U none of whose deadlines that fell by
  the report's date was missed.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from caseapp.cases.facts import CaseFacts

GROUPS = ("children", "minors", "unbanded")
TIMED_STEPS = ("emergency", "assessment", "needs", "plan_draft", "plan_approval")
MINOR_BAND, LEGACY_MINOR_BAND = "16-17", "15-17"


def group_of(band: str) -> str:
    if band == MINOR_BAND:
        return "minors"
    if band == LEGACY_MINOR_BAND:
        return "unbanded"
    return "children"


def month_of(moment: datetime, offset: timedelta) -> str:
    return (moment + offset).strftime("%Y-%m")


def _at_or_before(value, limit) -> bool:
    return value is not None and value <= limit


def is_unfounded(f: CaseFacts, as_of: datetime) -> bool:
    return (f.stage == "closure" and f.closure_reason == "unfounded"
            and _at_or_before(f.closure_approved_at, as_of))


def is_handled(f: CaseFacts, as_of: datetime) -> bool:
    return (not is_unfounded(f, as_of) and _at_or_before(f.first_assigned_at, as_of)
            and _at_or_before(f.assessed_at, as_of) and _at_or_before(f.first_support_at, as_of))


def step_counts(f: CaseFacts, step: str, as_of: datetime) -> tuple[bool, bool]:
    """(the deadline applies by ``as_of``, it was met)."""
    due, done = f.deadlines.get(step, (None, None))
    if due is None or due > as_of:
        return False, False
    if done is None and f.closed_at is not None and f.closed_at <= due:
        return False, False  # closed before it fell due: not applicable
    return True, done is not None and done <= due


def compute(facts: Iterable[CaseFacts], start: datetime, end: datetime, as_of: datetime,
            offset: timedelta) -> Counter:
    """Every key for the cases of ``facts`` received in [start, end)."""
    n: Counter = Counter()
    for f in facts:
        if not start <= f.received_at < end:
            continue
        if not f.help_requested:
            n["no_help.total"] += 1
            continue
        group = group_of(f.age_band)
        unfounded = is_unfounded(f, as_of)
        handled = is_handled(f, as_of)
        for g in (group, "total"):
            n[f"requests.{g}"] += 1
            n[f"unfounded.{g}"] += unfounded
            n[f"handled.{g}"] += handled
            n[f"not_handled.{g}"] += not unfounded and not handled
        all_met = True
        for step in TIMED_STEPS:
            applies, met = step_counts(f, step, as_of)
            due = f.deadlines.get(step, (None, None))[0]
            if applies and start <= due < end:
                n[f"on_time.{step}.due"] += 1
                n[f"on_time.{step}.met"] += met
            all_met = all_met and (met or not applies)
        if not unfounded:
            n["all_met.cases"] += 1
            n["all_met.met"] += all_met
        n[f"by_stage.{f.stage}"] += 1
        n[f"by_risk.{f.risk or 'none'}"] += 1
        n[f"by_channel.{f.channel}"] += 1
        n[f"by_gender.{f.gender}"] += 1
        n[f"by_band.{f.age_band}"] += 1
        n[f"by_unit.{f.unit_path}"] += 1
        for code in f.harm_categories:
            n[f"by_harm.{code}"] += 1
        for code in f.platforms:
            n[f"by_platform.{code}"] += 1
        month = month_of(f.received_at, offset)
        n[f"month.{month}.requests"] += 1
        n[f"month.{month}.handled"] += handled
        if f.stage == "closure" and f.closure_reason and _at_or_before(f.closure_approved_at,
                                                                       as_of):
            n[f"closures.{f.closure_reason}"] += 1
        for referral in f.referrals:
            agency, _, status = referral.partition(":")
            n[f"referrals.{agency}.{status}"] += 1
    return +n  # drop zeros: both computations list only what they found


def share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- awareness sessions --------------------------------------------------------------------------
# For a unit's subtree and the days of the period: the sessions held, their
# attendance, how many reached each audience, the schools and how many of
# them held at least one (``awareness.schools_covered``).

AUDIENCES = ("children", "parents", "teachers", "union_members")


def awareness(sessions: Iterable[tuple[date, int, str, str]], schools: Iterable[str],
              first: date, last: date) -> Counter:
    """``sessions``: (day held, attendees, audience codes joined by commas, unit
    path) of the subtree's sessions; ``schools``: the paths of its schools."""
    n: Counter = Counter()
    schools = set(schools)
    covered = set()
    for held_on, attendees, audience, unit_path in sessions:
        if not first <= held_on <= last:
            continue
        n["awareness.sessions"] += 1
        n["awareness.attendees"] += attendees
        for code in audience.split(","):
            if code in AUDIENCES:
                n[f"awareness.audience.{code}"] += 1
        if unit_path in schools:
            covered.add(unit_path)
    n["awareness.schools"] = len(schools)
    n["awareness.schools_covered"] = len(covered)
    return +n
