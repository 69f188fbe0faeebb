"""Every change to accounts and units an administrator (or the host's operator, on the
command line) makes.

Functions take the acting user (or "system" from the CLI) explicitly, check
permission, write the audit entry and flush; the caller commits once. What
needs a second person goes through :mod:`.changes`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from caseapp import clock, permissions
from caseapp.accounts import events, password_policy, throttle
from caseapp.accounts.models import LoginThrottle, User
from caseapp.accounts.service import (
    SYSTEM,
    AccountError,
    checked_hash,
    find_user,
    normalise_username,
)
from caseapp.accounts.sessions import revoke_user_sessions
from caseapp.auditing.writer import record
from caseapp.cases.models import Case
from caseapp.core.text import HIDDEN_CHARACTER, has_hidden_characters
from caseapp.crypto.row_integrity import prefetch
from caseapp.extensions import db
from caseapp.paging import Key, Keyset, Window
from caseapp.settings import ROLES
from caseapp.units.models import SCHOOL_TYPES, Unit
from caseapp.units.service import UnitError, by_code, tree

from . import changes

INACTIVE_UNIT = _l("This unit is no longer active: choose another one.")


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    unit_code: str
    password: str
    display_name: str = ""
    # Whether the password was chosen by someone other than its owner (an admin,
    # the host's operator, quickstart): then the owner replaces it at the first
    # login. Only the command line may say otherwise (`--own-password`, demo
    # staff); an account made on a screen always gets a temporary password.
    temporary_password: bool = True


def create_user(actor, data: NewUser) -> User:
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    username = normalise_username(data.username)
    if not (3 <= len(username) <= 64) or not all(ch.isalnum() or ch in "._-" for ch in username):
        raise AccountError(_l("A username has 3 to 64 letters, digits, dots, dashes or "
                              "underscores."),
                           field="username")
    if data.role not in ROLES:
        raise AccountError(_l("Unknown role."), field="role")
    unit = db.session.scalar(select(Unit).where(Unit.code == data.unit_code))
    if unit is None:
        raise AccountError(_l("Unknown unit."), field="unit")
    if not unit.is_active:
        raise AccountError(INACTIVE_UNIT, field="unit")
    if find_user(username) is not None:
        raise AccountError(_l("This username is taken."), field="username")
    if has_hidden_characters(data.display_name):
        raise AccountError(HIDDEN_CHARACTER, field="display_name")
    try:
        password_hash = checked_hash(data.password, username, data.display_name, unit)
    except password_policy.PasswordPolicyError as exc:
        raise AccountError(exc.message, field="password") from None
    by_host = actor == SYSTEM
    # Made on a screen: usable once a second person confirms, with a password
    # its owner replaces at the first login (the admin chose this one).
    user = User(username=username, role=data.role, unit_id=unit.id, unit=unit,
                password_hash=password_hash, display_name=data.display_name.strip()[:200],
                is_enabled=True, awaiting_confirmation=not by_host,
                must_change_password=data.temporary_password or not by_host)
    db.session.add(user)
    db.session.flush()
    details = {"role": data.role, "unit": unit.code}
    if by_host:
        details["via"] = "cli"  # the host's operator setting up the instance
    else:
        details["pending"] = True
    record("user.create", actor=actor, object_type="user", object_id=user.id,
           unit_path=unit.path, details=details)
    if not by_host:
        changes.request_change(actor, user, "create", new_role=data.role, new_unit=unit)
    return user


def _is_last_admin(user: User) -> bool:
    if user.role != "admin" or not user.is_enabled:
        return False
    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.is_enabled.is_(True), User.id != user.id))
    return not others


def _refuse_service(user: User) -> None:
    """A service account (accounts.service_accounts) stays disabled, passwordless
    and in its role: enabling it or giving it a password would open, to whoever
    holds it, every intake its channel ever filed."""
    if user.is_service:
        raise AccountError(_l("This account files reports from outside (a partner system "
                              "or the public form); nobody can log in with it."))


def update_user(actor, user: User, *, role: str, unit_code: str, display_name: str) -> bool:
    """Change the name at once; a new role or unit waits for a second person
    (returns True when a change now waits), except from the command line."""
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    _refuse_service(user)
    if role not in ROLES:
        raise AccountError(_l("Unknown role."), field="role")
    if has_hidden_characters(display_name):
        raise AccountError(HIDDEN_CHARACTER, field="display_name")
    if role != "admin" and _is_last_admin(user):
        raise AccountError(_l("This is the last administrator; make another one first."),
                           field="role")
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise AccountError(_l("Unknown unit."), field="unit")
    if not unit.is_active and unit.id != user.unit_id:
        raise AccountError(INACTIVE_UNIT, field="unit")
    moving = role != user.role or unit.id != user.unit_id
    if moving and not permissions.can_change_role_or_unit(actor, user):
        record("user.update", outcome="denied", actor=actor, object_type="user",
               object_id=user.id, details={"reason": "own_role_or_unit"})
        raise AccountError(_l("Nobody can change their own role or unit."), field="role")
    user.display_name = display_name.strip()[:200]
    if moving and actor != SYSTEM:
        try:
            changes.request_change(actor, user, "role_unit",
                                   new_role=role if role != user.role else None,
                                   new_unit=unit if unit.id != user.unit_id else None)
        except changes.ChangeError as exc:
            raise AccountError(exc.message, field=exc.field) from None
        record("user.update", actor=actor, object_type="user", object_id=user.id,
               unit_path=user.unit.path, details={"pending": True})
        return True
    details = {}
    if role != user.role:
        details["role"] = f"{user.role}->{role}"
        user.role = role
    if unit.id != user.unit_id:
        details["unit"] = unit.code
        user.unit_id = unit.id
        user.unit = unit
    if details:
        # A new role or unit changes what the user may see: make them log in again.
        revoke_user_sessions(user.id)
        details["via"] = "cli"
    record("user.update", actor=actor, object_type="user", object_id=user.id,
           unit_path=unit.path, details=details)
    _tell_unit(user)
    return False


def _tell_unit(user: User) -> None:
    """The unit's supervisors learn of every new or changed account in their unit."""
    events.publish("account_changed", [u.id for u in permissions.supervisors_over(user.unit)
                                       if u.id != user.id])


def set_enabled(actor, user: User, enabled: bool) -> None:
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    _refuse_service(user)
    if not enabled and actor != SYSTEM and actor.id == user.id:
        raise AccountError(_l("You cannot disable your own account."))
    if not enabled and _is_last_admin(user):
        raise AccountError(_l("This is the last administrator; make another one first."))
    user.is_enabled = enabled
    revoked = 0 if enabled else revoke_user_sessions(user.id)
    record("user.enable" if enabled else "user.disable", actor=actor, object_type="user",
           object_id=user.id, details={"sessions_revoked": revoked})
    _tell_unit(user)


def lift_lock(actor, user: User) -> None:
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    throttle.clear(throttle.account_key(user.username))
    record("user.unlock", actor=actor, object_type="user", object_id=user.id)


def login_lock_state(user: User) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, throttle.account_key(user.username))


def revoke_sessions(actor, user: User) -> int:
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    count = revoke_user_sessions(user.id)
    record("user.sessions_revoked", actor=actor, object_type="user", object_id=user.id,
           details={"count": count})
    return count


def reset_second_factor(actor, user: User) -> bool:
    """Returns True when the reset waits for a second person."""
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    _refuse_service(user)
    if actor != SYSTEM and actor.id == user.id:
        raise AccountError(_l("Reset your own second factor on your account page."))
    if actor != SYSTEM and permissions.reset_needs_second_person(user):
        changes.request_change(actor, user, "second_factor")
        return True
    permissions.grant_account_admin(actor, user)
    changes.reset_second_factor_now(user)
    record("user.totp_reset", actor=actor, object_type="user", object_id=user.id,
           details={"via": "cli"} if actor == SYSTEM else None)
    _tell_unit(user)
    return False


def set_password(actor, user: User, password: str) -> bool:
    """Returns True when the new password waits for a second person."""
    permissions.require(actor == SYSTEM or permissions.can_manage_users(actor))
    _refuse_service(user)
    if actor != SYSTEM and actor.id == user.id:
        # Your own password is changed on your account page, with the old one.
        raise AccountError(_l("Change your own password on your account page."))
    try:
        new_hash = checked_hash(password, user.username, user.display_name, user.unit)
    except password_policy.PasswordPolicyError as exc:
        raise AccountError(exc.message, field="password") from None
    if actor != SYSTEM and permissions.reset_needs_second_person(user):
        changes.request_change(actor, user, "password", new_password_hash=new_hash)
        return True
    user.password_hash = new_hash
    user.password_changed_at = clock.now()
    # Someone else chose it: its owner replaces it at the next login.
    user.must_change_password = actor != SYSTEM
    revoke_user_sessions(user.id)
    record("user.password_reset", actor=actor, object_type="user", object_id=user.id,
           details={"via": "cli"} if actor == SYSTEM else None)
    _tell_unit(user)
    return False


CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,31}$")


def create_unit(actor, code: str, name: str, parent_code: str | None = None,
                school_type: str | None = None) -> Unit:
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    code = code.strip().upper()
    name = name.strip()
    if not CODE_PATTERN.match(code):
        raise UnitError(_l("A unit code has 1 to 32 capital letters, digits, dots, dashes or "
                           "underscores."), field="code")
    if not name or len(name) > 200:
        raise UnitError(_l("Give the unit a name (at most 200 characters)."), field="name")
    if has_hidden_characters(name):
        raise UnitError(HIDDEN_CHARACTER, field="name")
    if by_code(code) is not None:
        raise UnitError(_l("This unit code is taken."), field="code")
    if school_type and school_type not in SCHOOL_TYPES:
        raise UnitError(_l("Unknown school type."), field="school_type")
    parent = None
    if parent_code:
        parent = by_code(parent_code)
        if parent is None:
            raise UnitError(_l("Unknown parent unit."), field="parent")
        if not parent.is_active:
            raise UnitError(INACTIVE_UNIT, field="parent")
    elif actor != "system" and tree():
        # A new top of the tree has no supervisor above it, so its accounts would be
        # confirmed by admins alone: the host's operator makes one (`caseapp units create`).
        raise UnitError(_l("Choose the unit this one belongs to. A new top-level unit is made "
                           "on the server (caseapp units create)."), field="parent")
    unit = Unit(code=code, name=name, parent_id=parent.id if parent else None,
                school_type=school_type or None)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    record("unit.create", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path, details={"parent": parent.code if parent else None,
                                         "school": unit.school_type or ""})
    return unit


def set_school_type(actor, unit: Unit, school_type: str | None) -> None:
    """Mark a unit as a school of a type, or as none (the awareness coverage
    counts schools; the log keeps the type so a report can be re-checked)."""
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    if school_type and school_type not in SCHOOL_TYPES:
        raise UnitError(_l("Unknown school type."), field="school_type")
    unit.school_type = school_type or None
    record("unit.school", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path, details={"school": unit.school_type or ""})


def rename_unit(actor, unit: Unit, name: str) -> None:
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    name = name.strip()
    if not name or len(name) > 200:
        raise UnitError(_l("Give the unit a name (at most 200 characters)."), field="name")
    if has_hidden_characters(name):
        raise UnitError(HIDDEN_CHARACTER, field="name")
    if name == unit.name:
        return
    unit.name = name
    # A unit's name is the organisation's, not a person's: the log keeps it.
    record("unit.update", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path, details={"name": name})


@dataclass(frozen=True)
class UnitInUse:
    """What still hangs on a unit (each must be zero before it is deactivated)."""

    open_cases: int
    staff: int
    active_units: int


def unit_in_use(unit: Unit) -> UnitInUse:
    open_cases = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.unit_id == unit.id, Case.stage != "closure", Case.purged_at.is_(None))) or 0
    staff = db.session.scalar(select(func.count()).select_from(User).where(
        User.unit_id == unit.id, User.is_enabled.is_(True), User.role != "admin")) or 0
    children = db.session.scalar(select(func.count()).select_from(Unit).where(
        Unit.parent_id == unit.id, Unit.is_active.is_(True))) or 0
    return UnitInUse(open_cases, staff, children)


def deactivate_unit(actor, unit: Unit) -> None:
    """A unit that no longer exists stops taking new cases, accounts and sub-units.

    Refused while anything still depends on it, rather than moving it on the
    admin's behalf: an open case is a child still being helped by that unit's
    people (their supervisor closes it, or it is recorded again where the child
    is now helped); its staff's accounts are moved or disabled by the admin with
    a second person's confirmation, so nobody loses their cases unseen; its
    active sub-units would be left under a unit that is gone. Admin accounts do
    not count: they see no case, and the first admin lives in the sample unit.
    Closed cases stay in the unit, so the figures of past periods do not change.
    """
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    if not unit.is_active:
        return
    in_use = unit_in_use(unit)
    reasons = []
    if in_use.open_cases:
        reasons.append(_l("%(n)d open cases: their supervisor closes them first",
                          n=in_use.open_cases))
    if in_use.staff:
        reasons.append(_l("%(n)d active staff accounts: move them to another unit or "
                          "disable them first", n=in_use.staff))
    if in_use.active_units:
        reasons.append(_l("%(n)d active units under it: deactivate or move them first",
                          n=in_use.active_units))
    if reasons:
        record("unit.deactivate", outcome="denied", actor=actor, object_type="unit",
               object_id=unit.code, unit_path=unit.path,
               details={"open_cases": in_use.open_cases, "staff": in_use.staff,
                        "units": in_use.active_units})
        raise UnitError(_l("This unit cannot be deactivated yet. It still has %(reasons)s.",
                           reasons="; ".join(str(r) for r in reasons)), field="active")
    unit.is_active = False
    record("unit.deactivate", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path)


def reactivate_unit(actor, unit: Unit) -> None:
    permissions.require(actor == "system" or permissions.can_manage_units(actor))
    if unit.is_active:
        return
    if unit.parent is not None and not unit.parent.is_active:
        raise UnitError(_l("The unit above this one is not active: reactivate it first."),
                        field="active")
    unit.is_active = True
    record("unit.reactivate", actor=actor, object_type="unit", object_id=unit.code,
           unit_path=unit.path)


USERS_PAGE_SIZE = 50
# The admin's list of people by username (its unique index serves the order).
USERS_KEYSET = Keyset(Key(User.username, "name"))


def users_window(*, after: str | None = None, before: str | None = None,
                 size: int | None = None) -> Window:
    """A page of the accounts by username, each with its unit read in the same
    query and the rows' anchors in one more."""
    window = USERS_KEYSET.read(select(User).options(joinedload(User.unit)), after, before,
                               size or USERS_PAGE_SIZE, db.session.scalars)
    prefetch(window.rows)
    prefetch({u.unit for u in window.rows})
    return window


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def load_user(user_id: str) -> User | None:
    return db.session.get(User, user_id) if len(user_id) <= 36 else None
