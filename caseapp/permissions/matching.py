"""Who may see and decide the duplicate and repeat-offender matches of a case.

A match (:class:`caseapp.matching.models.CaseMatch`) joins two cases: the new
one (``match.case``) and another (``match.other_case``). Nothing in a match is
child data -- two case ids, a kind, a status -- but the other case's
reference tells that case exists and, with the kind, that it possibly
concerns the same child or the same offender. So:

* the people working on a case (its intake counselor, its assigned officers)
  learn only *that* a match exists and which supervisor to ask;
* a supervisor of the case sees each match: its kind, status and the other
  case's unit; the other case's **reference** only if the other case is inside
  their own subtree too (:func:`can_see_match_references`) -- a reference
  outside it would name a case of a unit they have no say over;
* only a supervisor of **both** cases decides (links or dismisses) a match
  (:func:`can_decide_match`): they are the one person who may see both cases'
  metadata, and so the one who can judge the pair.

Deciding grants nothing: a linked case's page is still loaded through
:func:`caseapp.cases.queries.load_case` and its child data still opened only
through :func:`caseapp.permissions.cases.can_view_child_data`.
"""
from __future__ import annotations

from .cases import is_supervisor_of


def can_see_matches(user, case) -> bool:
    """Sees the list of ``case``'s matches (kinds, statuses, units), not only "a match exists"."""
    return is_supervisor_of(user, case)


def can_see_match_references(user, match) -> bool:
    """Sees the references of both cases of ``match``: a supervisor of both."""
    return is_supervisor_of(user, match.case) and is_supervisor_of(user, match.other_case)


def can_decide_match(user, match) -> bool:
    """Links or dismisses ``match``: a supervisor of both cases, neither of them purged."""
    return (can_see_match_references(user, match) and not match.case.is_purged
            and not match.other_case.is_purged)
