from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp import clock
from caseapp.crypto import Sealed, SealedOwner
from caseapp.crypto.row_integrity import AccessSealed
from caseapp.database import UTCDateTime, new_id
from caseapp.extensions import db
from caseapp.settings import ROLES
from caseapp.units.models import Unit


class User(db.Model, SealedOwner, AccessSealed):
    __tablename__ = "users"
    # What decides what the account may open: MAC'd against a database writer.
    # The credentials too: a password hash copied from another account, or a
    # second factor switched off, must not let anyone in.
    __access_fields__ = ("username", "role", "unit_id", "is_enabled", "awaiting_confirmation",
                         "password_hash", "totp_enabled_at", "must_change_password")
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="role_known"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Created by an admin and not yet confirmed by a second person: cannot log in.
    awaiting_confirmation: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default="0")
    # Set when someone else chose the password: it is changed at the next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default="0")
    locale: Mapped[str | None] = mapped_column(String(8))
    # Encrypted under the user's own data key: a database dump must not let
    # anyone mint second-factor codes.
    totp_secret = Sealed(str)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last accepted TOTP time step: a code is accepted once only.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()

    # A service account files the intakes that reach a unit from outside its
    # staff's screens (a partner system's token, the public help form). Its
    # username has a colon, which no person's may have (admin.service refuses
    # it), and the username is under the MAC: a row cannot be turned into one or
    # out of one by a database writer. It is disabled and has no usable
    # password: nobody logs in as it, no list of people offers it.
    SERVICE_MARK = ":"

    @property
    def is_service(self) -> bool:
        return self.SERVICE_MARK in self.username

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.is_enabled and not self.awaiting_confirmation and not self.is_service

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.id

    @property
    def totp_enrolled(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class RecoveryCode(db.Model):
    """One-time codes for a lost authenticator. High-entropy, so a SHA-256
    digest is enough; argon2 would cost 64 MiB per code tried."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(db.Model):
    """Failure counters keyed by a keyed hash of the typed username or of the
    client address. Keyed by what was typed, not by user, so that an unknown
    username is throttled and locked exactly like a real one."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hard_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """Server-side session. The primary key is a SHA-256 of the cookie token,
    so a database dump yields no usable session."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[str] = mapped_column(Text, default="{}")


class KeptForm(db.Model, SealedOwner):
    """What someone had typed into a form when their session ended under them.

    Sealed under its own data key (the text is a child's data as often as not),
    bound to the user whose session it was, handed back only to them after they
    log in again, and gone after ``KEPT_FORM_MINUTES``: read once, or purged.
    """

    __tablename__ = "kept_forms"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # {"page": the page the form was on, "action": where it was sent,
    #  "fields": {name: [values]}}
    content = Sealed(dict)


ACCOUNT_CHANGE_KINDS = ("create", "role_unit", "password", "second_factor")
ACCOUNT_CHANGE_STATUSES = ("pending", "confirmed", "declined", "cancelled")


class AccountChange(db.Model, AccessSealed):
    """A change to an account that takes effect only when a second person confirms it.

    Creating an account, changing its role or unit, and resetting the
    password or second factor of an account that can see child data: one
    admin asks, a supervisor of the receiving unit (or another admin) confirms.
    """

    __tablename__ = "account_changes"
    # Confirming a change applies it: a row forged in the database must not be applicable.
    __access_fields__ = ("user_id", "kind", "status", "new_role", "new_unit_id",
                         "new_password_hash", "requested_by_id", "requested_at",
                         "decided_by_id")
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in ACCOUNT_CHANGE_KINDS) + ")",
                        name="kind_known"),
        CheckConstraint("status IN (" + ", ".join(f"'{k}'" for k in ACCOUNT_CHANGE_STATUSES)
                        + ")", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    new_role: Mapped[str | None] = mapped_column(String(16))
    new_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # A reset's new password, already peppered and hashed; applied on confirmation.
    new_password_hash: Mapped[str | None] = mapped_column(String(255))
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    new_unit: Mapped[Unit | None] = relationship(foreign_keys=[new_unit_id])


class RateLimitCounter(db.Model):
    """Flask-Limiter's fixed-window counters, in the shared database so every
    app process counts against one allowance (caseapp.accounts.rate_limits).
    The key is a keyed hash: client addresses are not stored."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds since the epoch: the limits library's own unit for expiry.
    expires_at: Mapped[float] = mapped_column(db.Float, index=True)
