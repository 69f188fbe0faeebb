"""A list page's row anchors (``row.sealed`` entries by object id) are read by the
object index on SQLite whatever ANALYZE sampled: a sample that guessed a few
hundred entries per action made SQLite read every ``row.sealed`` entry (a
million at 1,000,000 cases: My cases took 1 s)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from caseapp.crypto import row_integrity
from caseapp.extensions import db


def test_the_anchors_are_read_by_the_object_index_whatever_the_statistics(people, make_case):
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite's planner (PostgreSQL's has statistics to choose)")
    cases = [make_case("intake") for _ in range(3)]
    had_stats = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").first() is not None
    kept = connection.exec_driver_sql("SELECT * FROM sqlite_stat1").all() if had_stats else []
    try:
        plan = _plan_under_sampled_statistics(connection, cases)
    finally:
        # the statistics as they were, for the tests that follow on this connection
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        for row in kept:
            connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", tuple(row))
        connection.exec_driver_sql("ANALYZE sqlite_schema")
    assert "ix_audit_entries_object_id" in plan, plan


def _plan_under_sampled_statistics(connection, cases) -> str:
    # Statistics as a sampled ANALYZE of a large log left them: the action
    # index looks selective (286 rows a value), the object index barely more.
    connection.exec_driver_sql("ANALYZE")
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'audit_entries'")
    connection.exec_driver_sql(
        "INSERT INTO sqlite_stat1 VALUES ('audit_entries', 'ix_audit_entries_action', "
        "'2367420 286'), ('audit_entries', 'ix_audit_entries_object_id', '2367420 1')")
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    seen: list[tuple] = []

    def capture(_conn, _cursor, sql, parameters, _context, _many):
        if "audit_entries" in sql:
            seen.append((sql, parameters))

    event.listen(connection.engine, "before_cursor_execute", capture)
    try:
        # a list page's worth of rows (the statement's shape is what counts)
        ids = [row_integrity.row_anchor_id(c) for c in cases]
        row_integrity._newest_anchors(connection, ids + [f"{ids[0]}-{n}" for n in range(40)])
    finally:
        event.remove(connection.engine, "before_cursor_execute", capture)
    sql, parameters = seen[0]
    return " ".join(str(r[-1]) for r in connection.exec_driver_sql(
        "EXPLAIN QUERY PLAN " + sql, parameters).all())
