"""Who reads and who changes the people around a child (caseapp.family).

The family's records are child data: they follow the case page's own rules,
never rules of their own, so a restriction or a closure narrows them too.
"""
from __future__ import annotations

from . import cases as rules


def can_see_family(user, case) -> bool:
    """The people who see the child's data (assigned, or a supervisor's break-glass)."""
    return rules.can_view_child_data(user, case)


def can_edit_family(user, case) -> bool:
    """The people working on an open case (never through break-glass, which is read-only)."""
    return rules.can_work_on_case(user, case)


def may_receive_family_copy(member) -> bool:
    """A family copy of a form never goes to, nor names, a person flagged as maybe
    the abuser or in contact with the abuser (an unlocked member)."""
    return not member.flagged
