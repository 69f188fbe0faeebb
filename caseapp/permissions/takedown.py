"""Who may see and record the requests to take a case's harmful content down.

* What was asked of whom, when, and what came of it (platform, channel, dates,
  outcome) is metadata: everyone who sees the case sees it, its supervisors
  included, so that they can chase a platform that does not answer.
* The links and ticket numbers are child data: shown to whoever may see the
  case's child data (:func:`cases.can_view_child_data`).
* Recording an item, a request or an outcome is case work: the people working
  on the case while it is open (:func:`cases.can_work_on_case`), never through
  break-glass, never while the case's processing is restricted.
"""
from __future__ import annotations

from . import cases as rules


def can_see_takedown(user, case) -> bool:
    return rules.can_view_case(user, case) and not case.is_purged


def can_record_takedown(user, case) -> bool:
    return rules.can_work_on_case(user, case)
