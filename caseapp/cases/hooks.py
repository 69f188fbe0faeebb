"""Points where features join the case workflow without ``cases`` naming them.

Each is a list of callables a feature appends to in its ``init_app``:

* ``after_intake(case)``: a report was recorded (duplicate matching);
* ``intake_flags(case) -> dict``: yes/no facts the API answers an intake with;
* ``referral_check(case, agency, basis)``: raise CaseError when the case may
  not be shared with ``agency`` on ``basis`` (consent to share);
* ``referral_made(actor, case, agency, basis, now)``: a referral was recorded;
* ``before_purge(case)``: a case's child data is about to be shredded;
* ``case_event(event, actor, case, info)``: a hand-off between people happened
  (``recorded``, ``assigned`` with ``info["added"]``, ``plan_waiting``,
  ``plan_approved``, ``plan_returned``, ``closure_waiting``, ``closure_returned``,
  ``closed``): who should hear of it is the notifications feature's business;
* ``list_marks(case_ids, now) -> {case id: [label, ...]}``: what a feature
  marks on the rows of a page of "My cases" (a request without an answer),
  read in one statement for the page's rows, never one per row.

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
list_marks: list[Callable[[list[str], Any], dict]] = []


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


def marks(case_ids: list[str], now) -> dict[str, list]:
    """Every feature's marks on a list page's rows (see ``list_marks``)."""
    found: dict[str, list] = {}
    if not case_ids:
        return found
    for function in list_marks:
        for case_id, labels in function(case_ids, now).items():
            found.setdefault(case_id, []).extend(labels)
    return found
