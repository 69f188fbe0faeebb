"""Every change to accounts goes through here.

Functions take the acting user (or "system" from the CLI) explicitly, check
permission, write the audit entry and flush; the caller commits once.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from caseapp import clock
from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.crypto import new_data_key, unlock
from caseapp.extensions import db
from caseapp.units.models import Unit

from . import password_policy, passwords, throttle, totp
from .models import RecoveryCode, User
from .sessions import revoke_user_sessions

SYSTEM = "system"

# The grant that opens a user's own TOTP secret is made by caseapp.permissions
# (the only grant issuer), a layer above this one: it registers the maker here.
_second_factor_grant: Callable[[User], Any] | None = None


def register_second_factor_grant(maker: Callable[[User], Any]) -> None:
    global _second_factor_grant
    _second_factor_grant = maker


def own_second_factor_grant(user: User):
    if _second_factor_grant is None:
        raise RuntimeError("caseapp.permissions has not registered the second-factor grant")
    return _second_factor_grant(user)


def requires_totp(user, config) -> bool:
    """Whether ``user``'s role logs in with a second factor (REQUIRE_TOTP, TOTP_ROLES)."""
    return bool(config["REQUIRE_TOTP"]) and user.role in config["TOTP_ROLES"]


class AccountError(Exception):
    """A domain error whose message goes back onto the form."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class LoginRefused(Exception):
    def __init__(self, reason: str, until: datetime | None = None):
        super().__init__(reason)
        self.reason = reason  # "invalid" | "throttled" | "locked" | "awaiting"
        self.until = until


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    client_addr: str




def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFC", username.strip()).casefold()


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


# --- Login -----------------------------------------------------------------

def _find_for_login(username: str) -> User | None:
    """The account typed at login with its unit in the same statement: the
    audit entries of a refusal then name the unit without a query of their
    own, so a known and an unknown name send the same statements."""
    return db.session.scalar(select(User).options(joinedload(User.unit))
                             .where(User.username == normalise_username(username)))


def _unit_path_of(user: User | None) -> str | None:
    return user.unit.path if user is not None and user.unit is not None else None


def _refuse_if_throttled(acct_key: str, addr_key: str, user: User | None) -> None:
    actor_id, unit_path = (user.id if user else None), _unit_path_of(user)
    if throttle.is_hard_locked(acct_key):
        record("auth.login", outcome="denied", actor="anonymous", object_type="user",
               object_id=actor_id, unit_path=unit_path, details={"reason": "hard_locked"})
        raise LoginRefused("locked")
    until = max(filter(None, [throttle.blocked_until(acct_key), throttle.blocked_until(addr_key)]),
                default=None)
    if until is not None:
        record("auth.login", outcome="denied", actor="anonymous", object_type="user",
               object_id=actor_id, unit_path=unit_path, details={"reason": "throttled"})
        raise LoginRefused("throttled", until)


def authenticate(attempt: LoginAttempt) -> User:
    """First factor. Same answer and same work whether or not the account exists."""
    cfg = current_app.config
    acct_key = throttle.account_key(attempt.username)
    addr_key = throttle.address_key(attempt.client_addr)
    user = _find_for_login(attempt.username)
    actor_id = user.id if user else None
    _refuse_if_throttled(acct_key, addr_key, user)

    password = passwords.normalise(attempt.password)
    hasher = passwords.hasher()
    stored_hash = user.password_hash if user else None
    may_log_in = user is not None and user.is_active  # read before the commit expires it
    # argon2 takes a good part of a second on purpose: not with the database's
    # write lock held, or every other request of every worker waits behind it
    # (issue 16's load run). What this transaction wrote so far (the rate
    # limit's count of this attempt) is committed first; the answer is then
    # decided on the rows as they are after the hash: the throttle checked
    # again (attempts hashed side by side cannot outrun it) and the hash
    # still the one just checked.
    db.session.commit()
    valid = hasher.verify(stored_hash, password)
    rehash = valid and may_log_in and stored_hash is not None \
        and hasher.needs_rehash(stored_hash)
    # Read again by the name typed, known or not: both send the same statements.
    again = _find_for_login(attempt.username)
    if actor_id is not None:
        user = again if again is not None and again.id == actor_id else None
        if user is None or user.password_hash != stored_hash:
            valid = False
    _refuse_if_throttled(acct_key, addr_key, user)
    if valid and user is not None and user.is_enabled and user.awaiting_confirmation \
            and intact(user, actor="anonymous"):
        # The right password of an account a second person has not confirmed yet:
        # say so (only the password's owner learns it), and count no failure.
        record("auth.login", outcome="denied", actor="anonymous", object_type="user",
               object_id=user.id, details={"reason": "awaiting_confirmation"})
        raise LoginRefused("awaiting")
    if not (valid and user is not None and user.is_active
            and intact(user, actor="anonymous")):
        row = throttle.record_failure(acct_key, after=cfg["LOGIN_THROTTLE_AFTER"],
                                      hard_lock_after=cfg["LOGIN_HARD_LOCK_AFTER"])
        throttle.record_failure(addr_key, after=cfg["LOGIN_ADDRESS_THROTTLE_AFTER"],
                                forget_after=timedelta(hours=1))
        record("auth.login", outcome="failed", actor="anonymous", object_type="user",
               object_id=actor_id, unit_path=_unit_path_of(user),
               details={"reason": "bad_credentials", "failures": row.failures})
        if row.hard_locked:
            record("auth.lockout", outcome="denied", actor="anonymous", object_type="user",
                   object_id=actor_id, unit_path=_unit_path_of(user),
                   details={"failures": row.failures})
        raise LoginRefused("invalid")

    if rehash:
        return _rehashed(user, stored_hash, password)
    return user


def _rehashed(user: User, stored_hash: str, password: str) -> User:
    """Replace a hash made with parameters no longer current, once the login is
    accepted (a refused login never pays for it: the second hash's time would
    tell a right password, e.g. one of a batch of guesses the throttle stops).

    The new hash is made with no transaction open: made inside one, it held
    SQLite's write lock (every POST's transaction takes it at BEGIN) for a
    second argon2 run, and the first logins after a change of ARGON2_* queued
    every worker behind one another (issue 16's load run: a median login of
    11 s). It is then stored on the row read again under a row lock, and only
    if the row still holds the hash that was checked: a password set meanwhile
    (an admin's reset, the person's own change) is never overwritten by the
    old password's new hash."""
    user_id = user.id
    db.session.commit()
    new_hash = passwords.hasher().hash(password)
    fresh = db.session.scalar(select(User).where(User.id == user_id).with_for_update()
                              .execution_options(populate_existing=True))
    if fresh is None:
        return user
    if fresh.password_hash == stored_hash:
        fresh.password_hash = new_hash
        record("auth.rehash", actor=fresh, object_type="user", object_id=fresh.id)
    return fresh


def verify_second_factor(user: User, code: str, username_typed: str) -> bool:
    """TOTP code or a recovery code; failures count towards the account throttle."""
    cfg = current_app.config
    acct_key = throttle.account_key(username_typed)
    if throttle.is_hard_locked(acct_key) or throttle.blocked_until(acct_key):
        record("auth.totp", outcome="denied", actor=user, object_type="user", object_id=user.id,
               details={"reason": "throttled"})
        return False
    unlock(user, grant=own_second_factor_grant(user))
    step = totp.matching_step(user.totp_secret or "", code, user.totp_last_step,
                              cfg["TOTP_VALID_WINDOW"])
    if step is not None:
        user.totp_last_step = step
        record("auth.totp", actor=user, object_type="user", object_id=user.id)
        return True
    if _use_recovery_code(user, code):
        record("auth.recovery_code", actor=user, object_type="user", object_id=user.id,
               details={"remaining": remaining_recovery_codes(user)})
        return True
    throttle.record_failure(acct_key, after=cfg["LOGIN_THROTTLE_AFTER"],
                            hard_lock_after=cfg["LOGIN_HARD_LOCK_AFTER"])
    record("auth.totp", outcome="failed", actor=user, object_type="user", object_id=user.id)
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    digest = totp.recovery_digest(code)
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_digest == digest,
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def login_succeeded(user: User, username_typed: str) -> None:
    throttle.clear(throttle.account_key(username_typed))
    user.last_login_at = clock.now()
    record("auth.login", actor=user, object_type="user", object_id=user.id)


def logout(user: User, reason: str = "logout") -> None:
    record(f"auth.{reason}", actor=user, object_type="user", object_id=user.id)


def session_ended(user_id: str, reason: str) -> None:
    user = db.session.get(User, user_id)
    record("auth.session_expired", actor=user or "anonymous", object_type="user",
           object_id=user_id, details={"reason": reason})


# --- Second factor enrolment --------------------------------------------------

def begin_totp_enrolment(user: User) -> None:
    """A fresh secret at each password login of a user without a second
    factor, so a secret seen before (by someone holding a phished or
    admin-set password) is useless by the time its owner enrols."""
    if user.totp_enrolled:
        raise AccountError(_l("A second factor is already set up."))
    if user.data_key_id is None:
        new_data_key(db.session, user)
    else:
        unlock(user, grant=own_second_factor_grant(user))
    user.totp_secret = totp.new_secret()
    user.totp_last_step = None
    record("auth.totp_enrol_start", actor=user, object_type="user", object_id=user.id)


def enrolment_secret(user: User) -> str | None:
    """The secret being enrolled (shown as a QR code until confirmed)."""
    if user.totp_enrolled or user.data_key_id is None:
        return None
    unlock(user, grant=own_second_factor_grant(user))
    return user.totp_secret


def confirm_totp_enrolment(user: User, code: str) -> list[str]:
    """Turns TOTP on after a correct code; returns fresh recovery codes (shown once)."""
    unlock(user, grant=own_second_factor_grant(user))
    step = totp.matching_step(user.totp_secret or "", code, user.totp_last_step,
                              current_app.config["TOTP_VALID_WINDOW"])
    if step is None:
        record("auth.totp_enrol", outcome="failed", actor=user, object_type="user",
               object_id=user.id)
        raise AccountError(_l("That code is not right. Check the time on your phone and try "
                              "again."),
                           field="code")
    user.totp_last_step = step
    user.totp_enabled_at = clock.now()
    codes = _replace_recovery_codes(user)
    record("auth.totp_enrol", actor=user, object_type="user", object_id=user.id)
    return codes


def regenerate_recovery_codes(user: User, current_password: str) -> list[str]:
    """Needs the password again: a stolen session must not mint second factors."""
    if not passwords.hasher().verify(user.password_hash, passwords.normalise(current_password)):
        record("auth.recovery_codes_regenerated", outcome="failed", actor=user,
               object_type="user", object_id=user.id)
        raise AccountError(_l("The current password is not right."), field="current_password")
    codes = _replace_recovery_codes(user)
    record("auth.recovery_codes_regenerated", actor=user, object_type="user", object_id=user.id)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.query(RecoveryCode).filter_by(user_id=user.id).delete()
    codes = totp.new_recovery_codes(current_app.config["RECOVERY_CODE_COUNT"])
    db.session.add_all(RecoveryCode(user_id=user.id, code_digest=totp.recovery_digest(c))
                       for c in codes)
    db.session.flush()
    return codes


# --- Passwords ----------------------------------------------------------------

def checked_hash(password: str, username: str, display_name: str = "",
                  unit: Unit | None = None) -> str:
    password = passwords.normalise(password)
    context = tuple(current_app.config["PASSWORD_CONTEXT_WORDS"])
    if unit is not None:
        context += (unit.code, unit.name)
    password_policy.check_policy(password, current_app.config["PASSWORD_MIN_LENGTH"],
                                 (username, display_name), context)
    return passwords.hasher().hash(password)


def change_password(user: User, current: str, new: str, keep_session_digest: str | None) -> None:
    if not passwords.hasher().verify(user.password_hash, passwords.normalise(current)):
        record("auth.password_change", outcome="failed", actor=user, object_type="user",
               object_id=user.id)
        raise AccountError(_l("The current password is not right."), field="current_password")
    if passwords.normalise(new) == passwords.normalise(current):
        raise AccountError(_l("Choose a new password, not the one you have now."),
                           field="new_password")
    try:
        user.password_hash = checked_hash(new, user.username, user.display_name, user.unit)
    except password_policy.PasswordPolicyError as exc:
        raise AccountError(exc.message, field="new_password") from None
    user.password_changed_at = clock.now()
    user.must_change_password = False
    revoked = revoke_user_sessions(user.id, keep_digest=keep_session_digest)
    record("auth.password_change", actor=user, object_type="user", object_id=user.id,
           details={"sessions_revoked": revoked})


def set_locale(user: User, locale: str) -> None:
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale


# --- Administration -----------------------------------------------------------



















