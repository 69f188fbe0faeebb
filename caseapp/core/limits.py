"""Request-rate limits keyed by the logged-in user (Flask-Limiter)."""
from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user


def per_user() -> str:
    """The limit's key: the user's id (the address before login)."""
    if getattr(current_user, "is_authenticated", False):
        return f"user:{current_user.id}"
    return f"addr:{get_remote_address()}"


def intake_rate() -> str:
    return current_app.config["INTAKE_RATE_LIMIT"]
