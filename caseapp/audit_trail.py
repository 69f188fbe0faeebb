"""The app's one door into the audit log (the ``audit`` package).

Fills in who, from where and which request, then appends the entry on the
request's own database connection, so the entry and the change it records
commit or roll back together.
"""
from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, g, has_request_context, request, session

import audit

from .extensions import db


def _actor(actor) -> tuple[str, str | None, str | None]:
    if actor is None:
        if has_request_context():
            from flask_login import current_user

            if current_user and current_user.is_authenticated:
                return "user", current_user.id, current_user.role
            return "anonymous", None, None
        return "system", None, None
    if isinstance(actor, str):
        return actor, None, None
    return "user", actor.id, actor.role


def record(action: str, *, outcome: str = "ok", actor=None, object_type: str | None = None,
           object_id: str | None = None, unit_path: str | None = None,
           details: dict[str, Any] | None = None) -> int:
    """Append one entry. ``details`` must hold no child data (validated by audit)."""
    actor_type, actor_id, actor_role = _actor(actor)
    session_hash = client_addr = request_id = None
    if has_request_context():
        digest = getattr(session, "digest", None)
        if digest:
            # The table stores a hash of the token already; hash again so the
            # log cannot be joined back to a live session row.
            session_hash = hashlib.sha256(("audit:" + digest).encode()).hexdigest()[:32]
        client_addr = request.remote_addr
        request_id = g.get("request_id")
    keys = current_app.extensions["caseapp_keys"]
    return audit.append(
        db.session.connection(), keys.audit_mac_key, action=action, outcome=outcome,
        actor_type=actor_type, actor_id=actor_id, actor_role=actor_role,
        session_hash=session_hash, client_addr=client_addr, object_type=object_type,
        object_id=object_id, request_id=request_id, unit_path=unit_path, details=details,
    )
