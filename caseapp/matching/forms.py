"""Forms of matches."""
from __future__ import annotations

from flask_wtf import FlaskForm


class MatchDecisionForm(FlaskForm):
    """Link or dismiss a match: only the CSRF token."""
