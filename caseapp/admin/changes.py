"""Account changes that need a second person.

No path from an admin to a child: an admin who could create an officer, or
reset an officer's password, and then log in as them would read any case
that officer works on. So creating an account, changing a role or a unit,
and resetting the password or second factor of an account that can see
child data take effect only when someone else confirms: a supervisor of the
receiving unit (its unit or a unit above), or, for admin accounts and units
without a supervisor, another admin. Nobody confirms a change they asked for
or a change to their own account, and nobody changes their own role or unit.

The command line (run by whoever operates the host) stays the way to set up
the first accounts of a new instance; its changes apply at once and the
audit log says so (``via: cli``).

Each step is audited ("account_change.requested|confirmed|declined|
cancelled") and the unit's supervisors are told of every new or changed
account in their unit (:mod:`.events`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp import clock, permissions
from caseapp.accounts import events
from caseapp.accounts.models import AccountChange, RecoveryCode, User
from caseapp.accounts.sessions import revoke_user_sessions
from caseapp.auditing import reads as audit_reads
from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.units.models import Unit


class ChangeError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _receiving_unit(change: AccountChange) -> Unit:
    return change.new_unit or change.user.unit


def pending_of(user: User) -> list[AccountChange]:
    """Pending changes of ``user`` (rows whose MAC fails are left out and reported)."""
    return [c for c in db.session.scalars(select(AccountChange).where(
        AccountChange.user_id == user.id, AccountChange.status == "pending")
        .order_by(AccountChange.requested_at)) if intact(c)]


def request_change(actor: User, user: User, kind: str, *, new_role: str | None = None,
                   new_unit: Unit | None = None, new_password_hash: str | None = None
                   ) -> AccountChange:
    """Record a change that waits for a second person; a pending change of the
    same kind is replaced (cancelled)."""
    if new_unit is not None and new_unit.id != user.unit_id and open_assignments(user):
        raise ChangeError(_l("This person still works on open cases: have their supervisor "
                             "reassign those cases before moving the account to another "
                             "unit."), field="unit")
    for earlier in pending_of(user):
        if earlier.kind == kind:
            earlier.status = "cancelled"
            earlier.decided_by_id = actor.id
            earlier.decided_at = clock.now()
    change = AccountChange(user=user, user_id=user.id, kind=kind, new_role=new_role,
                           new_unit=new_unit, new_unit_id=new_unit.id if new_unit else None,
                           new_password_hash=new_password_hash, requested_by_id=actor.id,
                           requested_at=clock.now())
    db.session.add(change)
    db.session.flush()
    details = {"change": change.id, "kind": kind}
    if new_role:
        details["role"] = new_role
    if new_unit is not None:
        details["unit"] = new_unit.code
    record("account_change.requested", actor=actor, object_type="user", object_id=user.id,
           unit_path=_receiving_unit(change).path, details=details)
    confirmers = permissions.account_change_confirmers(change)
    events.publish("account_change_request", [u.id for u in confirmers])
    # The receiving unit's supervisors, and the account's present unit's (a move or
    # a reset must not pass unseen by the people who know the person).
    told = set(_unit_supervisor_ids(change, exclude=confirmers))
    told |= {u.id for u in permissions.supervisors_over(user.unit)
             if u.id != user.id and u not in confirmers}
    events.publish("account_changed", told)
    return change


def open_assignments(user: User) -> int:
    """Open cases ``user`` leads or is assigned to (read from the case tables,
    which live above accounts)."""
    cases = db.metadata.tables["cases"]
    assignees = db.metadata.tables["case_assignees"]
    led = db.session.scalar(select(func.count()).select_from(cases).where(
        cases.c.lead_officer_id == user.id, cases.c.stage != "closure"))
    other = db.session.scalar(select(func.count()).select_from(assignees).join(
        cases, cases.c.id == assignees.c.case_id).where(
        assignees.c.user_id == user.id, cases.c.stage != "closure"))
    return (led or 0) + (other or 0)


def _unit_supervisor_ids(change: AccountChange, exclude=()) -> list[str]:
    skip = {u.id for u in exclude} | {change.user_id}
    return [u.id for u in permissions.supervisors_over(_receiving_unit(change))
            if u.id not in skip]


def confirm(actor: User, change: AccountChange) -> AccountChange:
    """The second person agrees: the change takes effect now."""
    _decide_check(actor, change)
    user = change.user
    now = clock.now()
    if change.kind in ("create", "role_unit") and not _receiving_unit(change).is_active:
        # The unit was deactivated while the change waited: nobody joins it now.
        raise ChangeError(_l("The unit this account would join is no longer active: decline "
                             "this change, or reactivate the unit first."))
    if change.kind == "create":
        user.awaiting_confirmation = False
    elif change.kind == "role_unit":
        if change.new_role and change.new_role != user.role:
            user.role = change.new_role
        if change.new_unit is not None and change.new_unit_id != user.unit_id:
            user.unit_id = change.new_unit_id
            user.unit = change.new_unit
        revoke_user_sessions(user.id)
    elif change.kind == "password":
        user.password_hash = change.new_password_hash
        change.new_password_hash = None
        user.password_changed_at = now
        user.must_change_password = True
        revoke_user_sessions(user.id)
    elif change.kind == "second_factor":
        reset_second_factor_now(user)
    change.status = "confirmed"
    change.decided_by_id = actor.id
    change.decided_at = now
    record("account_change.confirmed", actor=actor, object_type="user", object_id=user.id,
           unit_path=user.unit.path, details={"change": change.id, "kind": change.kind})
    events.publish("account_change_decided", [change.requested_by_id] if change.requested_by_id
                   else [])
    events.publish("account_changed", _unit_supervisor_ids(change, exclude=(actor,)))
    return change


def decline(actor: User, change: AccountChange) -> AccountChange:
    _decide_check(actor, change)
    change.status = "declined"
    change.decided_by_id = actor.id
    change.decided_at = clock.now()
    change.new_password_hash = None
    if change.kind == "create":
        change.user.is_enabled = False  # stays shut; the row is kept for the log
    record("account_change.declined", actor=actor, object_type="user", object_id=change.user_id,
           unit_path=_receiving_unit(change).path,
           details={"change": change.id, "kind": change.kind})
    events.publish("account_change_decided", [change.requested_by_id] if change.requested_by_id
                   else [])
    return change


def cancel(actor: User, change: AccountChange) -> AccountChange:
    """The one who asked takes it back."""
    permissions.require(change.status == "pending" and change.requested_by_id == actor.id,
                        _l("Only the person who asked can take a change back."))
    change.status = "cancelled"
    change.decided_by_id = actor.id
    change.decided_at = clock.now()
    change.new_password_hash = None
    if change.kind == "create":
        change.user.is_enabled = False
    record("account_change.cancelled", actor=actor, object_type="user",
           object_id=change.user_id, details={"change": change.id, "kind": change.kind})
    return change


def _decide_check(actor: User, change: AccountChange) -> None:
    if change.status != "pending":
        raise ChangeError(_l("This change was already decided."))
    asked = change.requested_by_id is not None and audit_reads.logged_fact(
        "account_change.requested", object_type="user", reference=change.user_id,
        actor_id=change.requested_by_id, detail=("change", change.id))
    if not asked or not permissions.can_confirm_account_change(actor, change):
        record("account_change.denied", outcome="denied", actor=actor, object_type="user",
               object_id=change.user_id, details={"change": change.id, "kind": change.kind})
        raise permissions.PermissionDenied(
            _l("You cannot decide this change: it needs a supervisor of the account's unit "
               "(or another administrator), and never the person who asked or the account "
               "itself."))


def reset_second_factor_now(user: User) -> None:
    """Clear the second factor (the secret goes with its data key's grant)."""
    if user.data_key_id is not None:
        unlock(user, grant=permissions.grant_account_admin("system", user))
        user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.query(RecoveryCode).filter_by(user_id=user.id).delete()
    revoke_user_sessions(user.id)


def decidable_by(actor: User) -> list[AccountChange]:
    """Pending changes ``actor`` may confirm or decline."""
    rows = db.session.scalars(select(AccountChange).where(AccountChange.status == "pending")
                              .order_by(AccountChange.requested_at)).all()
    return [c for c in rows if permissions.can_confirm_account_change(actor, c)]


def requested_by(actor: User) -> list[AccountChange]:
    return [c for c in db.session.scalars(select(AccountChange).where(
        AccountChange.status == "pending", AccountChange.requested_by_id == actor.id)
        .order_by(AccountChange.requested_at)) if intact(c)]


def load(change_id: str) -> AccountChange | None:
    return db.session.get(AccountChange, change_id)
