"""Web routes of :mod:`caseapp.care.data_rights`."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("data_rights", __name__)


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""
