"""The case page's "who has seen this child" panel (from the audit log)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from caseapp.cases.panels import PanelSpec
from caseapp.permissions import cases as rules

from .who_viewed import child_data_views

VIEW_VIA_LABELS = {
    "assignment": _l("assignment"),
    "break_glass": _l("break-glass"),
    "reason": _l("break-glass reason"),
    "restricted": _l("restricted"),
    "approval": _l("reading to approve (plan, assessments, review)"),
}


def panel_context(user, case, child: bool) -> dict | None:
    """Everyone who sees the case sees who has seen its child (no child data in it)."""
    if not rules.can_view_case(user, case):
        return None
    return {"views": child_data_views(case), "via_labels": VIEW_VIA_LABELS}


PANEL = PanelSpec("who_viewed", "auditlog/_who_viewed.html", "main", panel_context, order=20)
