"""Evidence: encrypted attachments, and where abuse material is held instead."""
from __future__ import annotations

PANEL_TEMPLATE = "care/_evidence.html"
PANEL_COLUMN = "main"


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``."""
    return None
