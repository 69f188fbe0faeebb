"""Fixtures for reading the audit log: entries with chosen units, times and
references, and an instance folder of the test's own for checkpoint files."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import current_app
from sqlalchemy import select

import audit
from caseapp.auditlog import hooks
from caseapp.extensions import db


@pytest.fixture(autouse=True)
def own_instance(app, tmp_path, monkeypatch):
    """Checkpoint files go to this test's folder: the suite's instance is
    shared by every test while their database rows are rolled back. The
    start-up entry counts as written (whichever test ran the suite's first
    request), so entry counts do not depend on test order."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.extensions, hooks._STARTED, True)
    return tmp_path


@pytest.fixture
def add_entry(app):
    """add_entry(action, unit=None, ref=None, ...) appends one entry and
    commits; returns its seq."""

    def add(action: str = "case.view", *, unit=None, ref: str | None = None,
            outcome: str = "ok", actor=None, occurred_at: datetime | None = None,
            details: dict | None = None) -> int:
        keys = current_app.extensions["caseapp_keys"]
        seq = audit.append(
            db.session.connection(), keys.audit_mac_key, action=action, outcome=outcome,
            actor_type="user" if actor is not None else "system",
            actor_id=actor.id if actor is not None else None,
            actor_role=actor.role if actor is not None else None,
            object_type="case" if ref else None, object_id=ref,
            unit_path=unit.path if unit is not None else None, details=details,
            occurred_at=occurred_at or datetime.now(UTC))
        db.session.commit()
        return seq

    return add


def entries(**where) -> list:
    """Every entry (optionally where column == value), in seq order."""
    query = select(audit.audit_entries).order_by(audit.audit_entries.c.seq)
    for column, value in where.items():
        query = query.where(audit.audit_entries.c[column] == value)
    return db.session.execute(query).all()
