"""The case page's "who has seen this child" panel (from the audit log): history,
folded at the foot of the page, one line per person, day and kind of access."""
from __future__ import annotations

from caseapp.cases.panels import PanelSpec
from caseapp.permissions import cases as rules

from .who_viewed import child_data_views, folded_views


def panel_context(user, case, child: bool) -> dict | None:
    """Everyone who sees the case sees who has seen its child (no child data in it)."""
    if not rules.can_view_case(user, case):
        return None
    lines = folded_views(child_data_views(case))
    return {"lines": lines, "people": len({line.actor_id for line in lines})}


PANEL = PanelSpec("who_viewed", "auditlog/_who_viewed.html", "history", panel_context,
                  order=20)
