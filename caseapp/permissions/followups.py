"""Who sees and records a case's follow-ups and the progress of its plan's goals.

* Dates, kinds, states, who goes and goal statuses are metadata: everyone who
  sees the case sees them (a supervisor watches follow-ups missed in the unit).
* The goals' text, the progress notes and the outcomes are the child's data:
  shown only with the child's data (:func:`cases.can_view_child_data`), or to a
  supervisor reading a closure request they must decide on
  (:data:`cases.APPROVAL_COLUMNS`).
* Planning, recording and marking follow-ups and goals is case work: the
  people working on the open case (:func:`cases.can_work_on_case`), never
  through break-glass, never while restricted.
"""
from __future__ import annotations

from caseapp.crypto.grants import Grant

from . import cases as rules


def can_see_followups(user, case) -> bool:
    return rules.can_view_case(user, case) and not case.is_purged


def can_record_followups(user, case) -> bool:
    return rules.can_work_on_case(user, case)


def can_be_sent(user, case) -> bool:
    """Who may go on a follow-up: an enabled staff member of the case's unit."""
    return (user is not None and user.is_enabled and user.role in ("officer", "counselor",
                                                                  "supervisor")
            and user.unit_id == case.unit_id)


def grant_followup_change(user, case, *, action: str) -> Grant:
    """Open the case's key to seal a goal, a note or an outcome; the change writes
    its own audit entry. Refused (audited) like any case change."""
    return rules.grant_case_change(user, case, action=action)
