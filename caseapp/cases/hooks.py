"""Points where features join the case workflow without ``cases`` naming them.

Each is a list of callables a feature appends to in its ``init_app``:

* ``after_intake(case)``: a report was recorded (duplicate matching);
* ``intake_flags(case) -> dict``: yes/no facts the API answers an intake with;
* ``referral_check(case, agency, basis)``: raise CaseError when the case may
  not be shared with ``agency`` on ``basis`` (consent to share);
* ``referral_made(actor, case, agency, basis, now)``: a referral was recorded;
* ``before_purge(case)``: a case's child data is about to be shredded;
* ``follow_up_due(case) -> datetime | None``: the earliest follow-up a feature
  keeps due on the case (its records), which a date typed on the plan or a
  support action must not hide (:func:`earliest_follow_up`);
* ``case_event(event, actor, case, info)``: a hand-off between people happened
  (``recorded``, ``assigned`` with ``info["added"]``, ``plan_waiting``,
  ``plan_approved``, ``plan_returned``, ``closure_waiting``, ``closure_returned``,
  ``closed``): who should hear of it is the notifications feature's business;
* ``timeline_events(case, child) -> list[dict]``: a feature's events on the
  case's timeline (the same keys as :func:`caseapp.cases.timeline.timeline`'s;
  a sealed ``text`` only when ``child``);
* ``list_badges(case_ids, now) -> {case id: [(kind, words)]}``: a feature's
  badges on the rows of a page of "My cases" (``kind``: "waiting" or
  "overdue", how it looks; metadata only: one statement for the page's rows,
  never one per row).

Callables run in registration order, inside the caller's transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

after_intake: list[Callable[[Any], None]] = []
intake_flags: list[Callable[[Any], dict]] = []
referral_check: list[Callable[[Any, str, str], None]] = []
referral_made: list[Callable[..., None]] = []
before_purge: list[Callable[[Any], None]] = []
case_event: list[Callable[[str, Any, Any, dict], None]] = []
timeline_events: list[Callable[[Any, bool], list[dict]]] = []
list_badges: list[Callable[[list[str], Any], dict[str, list[tuple[str, str]]]]] = []
follow_up_due: list[Callable[[Any], Any]] = []


def add(hook: list, function: Callable) -> None:
    if function not in hook:
        hook.append(function)


def run(hook: list, *args: Any) -> None:
    for function in hook:
        function(*args)


def flags(case) -> dict:
    found: dict = {}
    for function in intake_flags:
        found.update(function(case))
    return found


def badges(case_ids: list[str], now) -> dict[str, list[tuple[str, str]]]:
    """Every feature's badges on a list page's rows (see ``list_badges``)."""
    found: dict[str, list[tuple[str, str]]] = {}
    if not case_ids:
        return found
    for function in list_badges:
        for case_id, shown in function(case_ids, now).items():
            found.setdefault(case_id, []).extend(shown)
    return found


def earliest_follow_up(case, given):
    """The case's next follow-up: ``given`` (typed on a form, or None) or the
    earliest that a feature keeps due, whichever comes first."""
    found = [due for due in (given, *(function(case) for function in follow_up_due))
             if due is not None]
    return min(found) if found else None
