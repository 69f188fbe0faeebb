"""Consent to share the case with each referral agency."""
from __future__ import annotations

PANEL_TEMPLATE = "care/_consent.html"
PANEL_COLUMN = "main"


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``."""
    return None
