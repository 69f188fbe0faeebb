"""Named permission rules: the one place that says who may do what.

Services call these (so the CLI and the API are checked too); views only
turn a refusal into a response.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.auditing.integrity import intact
from caseapp.crypto.grants import Grant, issue_grant
from caseapp.extensions import db
from caseapp.units.models import Unit


class PermissionDenied(Exception):
    """The actor may not do this. Views answer 403 (or 404 where existence must not leak)."""

    def __init__(self, message=None):
        super().__init__("permission denied")
        self.message = message or _l("You are not allowed to do this.")


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "admin" and user.is_enabled
                and not user.awaiting_confirmation and intact(user))


def can_manage_users(user) -> bool:
    return is_admin(user)


def can_manage_units(user) -> bool:
    return is_admin(user)


def can_record_awareness(user, unit) -> bool:
    """Awareness sessions: the staff of the unit or of a unit above it (a
    commune's counselor records the session held at a school of the commune).
    Not admins: they manage accounts and units, and a session's notes are staff
    writing about children's groups."""
    if not _usable(user) or unit is None or user.unit is None or user.role == "admin":
        return False
    if not (intact(unit) and intact(user.unit)):
        return False
    return unit.path.startswith(user.unit.path)


def unit_scope(user):
    """The unit whose subtree ``user``'s lists and counts cover (awareness
    sessions, schools, the figures' units): their own, while its row is
    genuine; None otherwise (a path changed in the database would widen the
    scope to another district's schools)."""
    if not _usable(user) or user.unit is None or not intact(user.unit):
        return None
    return user.unit


def unit_in_scope(user, code: str | None) -> Unit | None:
    """The unit ``code`` names in ``user``'s subtree (their own when none is
    named), its row checked; None for anything else (another district's, an
    unknown one, a unit whose row fails its check)."""
    root = unit_scope(user)
    if root is None:
        return None
    code = (code or "").strip().upper()
    if not code or code == root.code:
        return root
    unit = db.session.scalar(select(Unit).where(Unit.code == code)) \
        if len(code) <= 32 and code.isprintable() else None
    return unit if unit is not None and intact(unit) and root.contains(unit) else None


def grant_awareness_notes(user, session) -> Grant:
    """The notes of an awareness session, for the people who may edit it."""
    if not can_record_awareness(user, session.unit):
        raise PermissionDenied()
    return issue_grant("awareness.notes", user.id, session.id)


# --- accounts: the second person ---------------------------------------------------------------

# Roles that can see a child's data: making or changing such an account needs a second person.
CHILD_DATA_ROLES = ("counselor", "officer", "supervisor")


def _usable(user) -> bool:
    return bool(user is not None and user.is_enabled and not user.awaiting_confirmation
                and intact(user))


def supervisors_over(unit) -> list:
    """Enabled supervisors of ``unit`` or of a unit above it (their scope holds it)."""
    if unit is None:
        return []
    rows = db.session.scalars(select(User).join(Unit, User.unit_id == Unit.id).where(
        User.role == "supervisor", User.is_enabled.is_(True))).all()
    if not intact(unit):
        return []
    return [u for u in rows if _usable(u) and intact(u.unit) and unit.path.startswith(u.unit.path)]


def account_change_confirmers(change) -> list:
    """Who may confirm ``change``: a supervisor of the receiving unit when the
    account (after the change) can see child data and the unit has one;
    otherwise another admin. Never the one who asked, never the account itself."""
    excluded = {change.requested_by_id, change.user_id}
    role = change.new_role or change.user.role
    unit = change.new_unit or change.user.unit
    if role in CHILD_DATA_ROLES:
        found = [u for u in supervisors_over(unit) if u.id not in excluded]
        if found:
            return found
    return [u for u in active_admins() if u.id not in excluded]


def active_admins() -> list:
    """Enabled, confirmed admins whose rows are intact."""
    admins = db.session.scalars(select(User).where(User.role == "admin",
                                                  User.is_enabled.is_(True))).all()
    return [u for u in admins if _usable(u)]


def can_confirm_account_change(actor, change) -> bool:
    """A genuine pending change (its row MAC holds, someone asked for it) and
    ``actor`` among its confirmers."""
    return bool(change.status == "pending" and change.requested_by_id is not None
                and intact(change) and _usable(actor)
                and any(u.id == actor.id for u in account_change_confirmers(change)))


def can_change_role_or_unit(actor, user) -> bool:
    """Nobody changes their own role or unit, however they ask."""
    return actor == "system" or (can_manage_users(actor) and actor.id != user.id)


def reset_needs_second_person(user) -> bool:
    """Resetting someone's password or second factor is a way into their
    account: into a child's data for the roles that see it, and for an admin
    into every other admin power. A second person confirms it, whatever the role."""
    return user is not None


def require(allowed: bool, message=None) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- Grants: the proof that a check passed, needed to decrypt ------------------

def grant_own_second_factor(user) -> Grant:
    """A user's own TOTP secret, read at their own login or enrolment."""
    return issue_grant("account.second_factor", user.id, user.id)


def grant_own_kept_form(user, kept) -> Grant:
    """Text a user typed before their session ended: theirs alone, after they log in again."""
    require(bool(user and user.is_authenticated) and kept.user_id == user.id)
    return issue_grant("account.kept_form", user.id, kept.id)


def grant_account_admin(actor, user) -> Grant:
    """An admin (or the CLI) resetting a user's second factor."""
    require(actor == "system" or can_manage_users(actor))
    return issue_grant("account.admin", None if actor == "system" else actor.id, user.id)
