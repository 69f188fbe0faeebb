"""Named permission rules: the one place that says who may do what.

Services call these (so the CLI and the API are checked too); views only
turn a refusal into a response.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class PermissionDenied(Exception):
    """The actor may not do this. Views answer 403 (or 404 where existence must not leak)."""

    def __init__(self, message=None):
        super().__init__("permission denied")
        self.message = message or _l("You are not allowed to do this.")


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "admin" and user.is_enabled)


def can_manage_users(user) -> bool:
    return is_admin(user)


def can_manage_units(user) -> bool:
    return is_admin(user)


def requires_totp(user, config) -> bool:
    return bool(config["REQUIRE_TOTP"]) and user.role in config["TOTP_ROLES"]


def require(allowed: bool, message=None) -> None:
    if not allowed:
        raise PermissionDenied(message)
