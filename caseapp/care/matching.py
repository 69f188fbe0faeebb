"""Duplicate and repeat-offender flags found at intake through blind indexes."""
from __future__ import annotations

PANEL_TEMPLATE = "care/_matching.html"
PANEL_COLUMN = "main"


def flag_matches(case) -> list:
    """Called by :func:`caseapp.cases.service.record_intake` inside its savepoint,
    after the new case and its offender accounts are flushed. Returns the
    matches it recorded."""
    return []


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``."""
    return None
