"""Service accounts: who files an intake that no member of the staff typed.

A partner system's token and the public help form create intake cases; a case
is recorded by a user (``cases.recorded_by_id``), so each such channel has an
account of its own: ``partner:<token family>`` or ``public:<UNIT CODE>``. The
colon marks it (no person's username may hold one, and the username is under
the account's MAC). It is disabled and its password hash verifies nothing, so
nobody logs in as it, and every list of people (assignment, supervisors,
reminders) leaves it out because they all read enabled accounts only. The
admin screens refuse to enable it, give it a password or change its role.
"""
from __future__ import annotations

from sqlalchemy import select

from caseapp.auditing.writer import record
from caseapp.extensions import db
from caseapp.units.models import Unit

from .models import User

# Not an argon2 hash: ``passwords.hasher().verify`` refuses it for any password.
NO_PASSWORD = "!service-account"
RECORDER_ROLE = "counselor"  # the role that records intakes (DESIGN.md)


def service_username(kind: str, name: str) -> str:
    return f"{kind}{User.SERVICE_MARK}{name}"[:64]


def service_account(kind: str, name: str, unit: Unit, display_name: str) -> User:
    """The service account ``kind:name`` in ``unit``, made on first use (audited)."""
    username = service_username(kind, name)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user
    user = User(username=username, role=RECORDER_ROLE, unit_id=unit.id, unit=unit,
                password_hash=NO_PASSWORD, display_name=display_name[:200],
                is_enabled=False, awaiting_confirmation=False, must_change_password=False)
    db.session.add(user)
    db.session.flush()
    record("user.create", actor="system", object_type="user", object_id=user.id,
           unit_path=unit.path, details={"role": RECORDER_ROLE, "unit": unit.code,
                                         "service": kind})
    return user
