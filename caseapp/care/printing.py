"""Printable forms of Decree 56/2017 (Mẫu 01 to 06)."""
from __future__ import annotations

PANEL_TEMPLATE = "care/_printing.html"
PANEL_COLUMN = "side"


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``."""
    return None
