"""Forms of matches."""
from __future__ import annotations

from caseapp.core.base_form import AppForm


class MatchDecisionForm(AppForm):
    """Link or dismiss a match: only the CSRF token."""
