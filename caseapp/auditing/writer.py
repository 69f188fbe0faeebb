"""The app's one door into the audit log (the ``audit`` package): every entry is written here.

Fills in who, from where, which request and which unit, then appends the
entry on the request's own database connection, so the entry and the change
it records commit or roll back together.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import select

import audit
from caseapp.database import write_lock_for_session
from caseapp.extensions import db

from .models import audit_entry_cases

# Set on ``g`` by record(): the checkpoint hook reads the newest seq without a
# query, and a request's denial is recorded once however many hooks see it.
LAST_SEQ = "audit_last_seq"
_DENIED = "audit_denied_recorded"
# The log's first entry records the creation of the instance's keys, so an
# emptied log on an instance that has run is told from a new one.
GENESIS_ACTION = "keys.init"
_GENESIS_KNOWN = "caseapp_audit_genesis_known"


def key_fingerprint(keys) -> str:
    """A public fingerprint of the key ring: the checkpoint-verifying key's hash."""
    raw = keys.audit_verify_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(b"caseapp-keys:" + raw).hexdigest()[:32]


def ensure_genesis() -> None:
    """Write the "keys.init" entry when the log is empty (once per process)."""
    app = current_app._get_current_object()
    if app.extensions.get(_GENESIS_KNOWN):
        return
    connection = db.session.connection()
    first = connection.execute(select(audit.audit_entries.c.seq).limit(1)).first()
    if first is not None:
        app.extensions[_GENESIS_KNOWN] = True
        return
    # Not remembered yet: the transaction may still roll back.
    keys = app.extensions["caseapp_keys"]
    audit.append(connection, keys.audit_mac_key, action=GENESIS_ACTION, actor_type="system",
                 details={"key_fingerprint": key_fingerprint(keys),
                          "versions": len(keys.versions), "row_macs": 1})


def _actor(actor) -> tuple[str, str | None, str | None, Any]:
    """(actor_type, actor_id, actor_role, the User or None)."""
    if actor is None:
        if has_request_context():
            if current_user and current_user.is_authenticated:
                user = current_user._get_current_object()
                return "user", user.id, user.role, user
            return "anonymous", None, None, None
        return "system", None, None, None
    if isinstance(actor, str):
        return actor, None, None, None
    # Not a person (a partner's API token): its kind and id, no role, no unit.
    kind = getattr(actor, "audit_actor_type", None)
    if kind is not None:
        return kind, actor.id, None, None
    return "user", actor.id, actor.role, actor


def _default_unit_path(user, object_type: str | None, object_id: str | None) -> str | None:
    """The unit an entry belongs to when the caller did not say: the unit of
    the account it is about (so a supervisor sees the logins, failures and
    changes of their own staff), else the acting user's unit."""
    if object_type == "user" and object_id:
        if user is not None and user.id == object_id:
            return user.unit.path if user.unit is not None else None
        # Below the accounts layer: read the account's unit path from the tables.
        users, units = db.metadata.tables["users"], db.metadata.tables["units"]
        path = db.session.execute(select(units.c.path).join(users, users.c.unit_id == units.c.id)
                                  .where(users.c.id == object_id)).scalar()
        if path is not None:
            return path
    if user is not None and user.unit is not None:
        return user.unit.path
    return None


def record(action: str, *, outcome: str = "ok", actor=None, object_type: str | None = None,
           object_id: str | None = None, unit_path: str | None = None,
           details: dict[str, Any] | None = None,
           cases: Mapping[str, bool] | None = None) -> int:
    """Append one entry. ``details`` must hold no child data (validated by audit).

    ``cases``: an entry about several cases (a listed page) names their
    references in its details; given here too ({reference: child data shown}),
    each is indexed in ``audit_entry_cases`` in the same transaction.

    Without ``unit_path`` the entry takes the unit of the user account it is
    about, else the acting user's; entries of neither (system, unknown
    usernames) have none and only admins see them.
    """
    # The chain's head is read, then extended: in a page's request, which
    # began reading, the write lock comes first (caseapp.database).
    write_lock_for_session(db.session)
    ensure_genesis()
    actor_type, actor_id, actor_role, user = _actor(actor)
    if unit_path is None:
        unit_path = _default_unit_path(user, object_type, object_id)
    session_hash = client_addr = request_id = None
    # A system entry (start-up, checkpoint) that a request happened to trigger
    # belongs to no one: it carries none of that person's session or address.
    if has_request_context() and actor_type != "system":
        digest = getattr(session, "digest", None)
        if digest and actor_type != "token":  # a token call ignores any cookie
            # The table stores a hash of the token already; hash again so the
            # log cannot be joined back to a live session row.
            session_hash = hashlib.sha256(("audit:" + digest).encode()).hexdigest()[:32]
        client_addr = request.remote_addr
        request_id = g.get("request_id")
    keys = current_app.extensions["caseapp_keys"]
    seq = audit.append(
        db.session.connection(), keys.audit_mac_key, action=action, outcome=outcome,
        actor_type=actor_type, actor_id=actor_id, actor_role=actor_role,
        session_hash=session_hash, client_addr=client_addr, object_type=object_type,
        object_id=object_id, request_id=request_id, unit_path=unit_path, details=details,
    )
    if cases:
        db.session.connection().execute(audit_entry_cases.insert(), [
            {"seq": seq, "reference": reference, "child_data": bool(child)}
            for reference, child in cases.items()])
    if has_app_context():
        setattr(g, LAST_SEQ, seq)
    return seq


def record_denied(endpoint: str | None, reason: str, *, actor=None) -> int | None:
    """Record a refused request as "access.denied", once per request.

    The object is the endpoint *name* (``admin.users``), never the URL: path
    and query values can carry references or search terms. Returns the seq, or
    None when this request's denial was already recorded.
    """
    if has_app_context():
        if g.get(_DENIED):
            return None
        setattr(g, _DENIED, True)
    details: dict[str, Any] = {"reason": reason}
    if has_request_context():
        details["method"] = request.method
    return record("access.denied", outcome="denied", actor=actor, object_type="endpoint",
                  object_id=(endpoint or "unknown")[:64], details=details)


def config_summary(app) -> dict[str, Any]:
    """What the running configuration is, without a secret in it."""
    cfg = app.config
    keys = app.extensions.get("caseapp_keys")
    return {
        "env": cfg.get("ENV"),
        "database": db.engine.dialect.name,
        "argon2_time_cost": cfg["ARGON2_TIME_COST"],
        "argon2_memory_kib": cfg["ARGON2_MEMORY_COST_KIB"],
        "argon2_parallelism": cfg["ARGON2_PARALLELISM"],
        "session_idle_minutes": cfg["SESSION_IDLE_MINUTES"],
        "session_absolute_hours": cfg["SESSION_ABSOLUTE_HOURS"],
        "require_totp": bool(cfg["REQUIRE_TOTP"]),
        "totp_roles": list(cfg["TOTP_ROLES"]),
        "key_versions": len(keys.versions) if keys is not None else 0,
        "checkpoint_every_entries": cfg["AUDIT_CHECKPOINT_EVERY_ENTRIES"],
        "checkpoint_every_minutes": cfg["AUDIT_CHECKPOINT_EVERY_MINUTES"],
    }


def record_start(app) -> int:
    """Record "app.start" with the configuration's non-secret summary; the
    caller commits. caseapp.auditlog calls it once per process, at the first
    request, so that CLI commands (which build the app too) write none."""
    return record("app.start", actor="system", details=config_summary(app))
