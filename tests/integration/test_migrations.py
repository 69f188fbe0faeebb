"""The models and the newest migration never drift apart."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.types import TypeDecorator

import audit.models
from caseapp.extensions import db


def _significant(diff):
    """Type comparisons of our TypeDecorators against their own impl are not drift."""
    for item in diff:
        if isinstance(item, list):
            item = [i for i in item if not (
                i[0] == "modify_type" and isinstance(i[-1], TypeDecorator))]
            if item:
                yield item
        else:
            yield item


def test_models_match_the_newest_migration(app):
    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, [db.metadata, audit.models.metadata])
        assert list(_significant(diff)) == []


def test_migration_files_have_dated_sortable_names():
    from pathlib import Path

    from caseapp import MIGRATIONS_DIR

    names = sorted(p.name for p in Path(MIGRATIONS_DIR, "versions").glob("*.py"))
    assert names, "no migrations"
    for name in names:
        assert name[:8].isdigit() and name[8] == "_", name


def test_audit_table_refuses_update_and_delete(app):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from caseapp.auditing.writer import record

    with app.test_request_context():
        record("test.entry", actor="system")
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text("UPDATE audit_entries SET action = 'x'"))
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text("DELETE FROM audit_entries"))
