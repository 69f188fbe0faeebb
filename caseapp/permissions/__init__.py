"""Named permission rules: the one place that says who may do what.

Services call these (so the CLI and the API are checked too); views only
turn a refusal into a response.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from caseapp.crypto.grants import Grant, issue_grant


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


# --- Grants: the proof that a check passed, needed to decrypt ------------------

def grant_own_second_factor(user) -> Grant:
    """A user's own TOTP secret, read at their own login or enrolment."""
    return issue_grant("account.second_factor", user.id, user.id)


def grant_account_admin(actor, user) -> Grant:
    """An admin (or the CLI) resetting a user's second factor."""
    require(actor == "system" or can_manage_users(actor))
    return issue_grant("account.admin", None if actor == "system" else actor.id, user.id)
