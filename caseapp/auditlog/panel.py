"""The case page's "who has seen this child" panel (from the audit log): history.
Its own page lists one line per person, day and kind of access; the case page
shows how many people and accesses, counted in SQL, with a link to it."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp.auditing import reads as audit_reads
from caseapp.cases.panels import PanelSpec
from caseapp.permissions import cases as rules

from .who_viewed import LIST_ACTIONS, VIEW_ACTIONS, child_data_views, folded_views


def panel_context(user, case, child: bool) -> dict | None:
    """Everyone who sees the case sees who has seen its child (no child data in it)."""
    if not rules.can_view_case(user, case):
        return None
    lines = folded_views(child_data_views(case))
    return {"lines": lines, "people": len({line.actor_id for line in lines})}


def summary(user, case, child: bool) -> dict | None:
    if not rules.can_view_case(user, case):
        return None
    people, accesses = audit_reads.case_access_counts(case.reference, VIEW_ACTIONS,
                                                      LIST_ACTIONS)
    line = _("Who has seen this child: %(people)d people, %(n)d accesses",
             people=people, n=accesses) if accesses else \
        _("Who has seen this child: no one yet")
    return {"line": line}


PANEL = PanelSpec("who_viewed", "auditlog/_who_viewed.html", "history", panel_context,
                  order=20, section="who-viewed", title=_l("Who has seen this child"),
                  summary=summary, child_data=False)
