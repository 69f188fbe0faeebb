"""The supervision page's "being transferred" list and count read the pending
transfers, not every case of the supervisor's subtree (SQLite chose to walk the
cases by unit: 10 s each for the root supervisor at 1,000,000 cases).
SQLite's own plan for the statement the page runs, as in
tests/case_screens/test_list_indexes.py."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from caseapp.extensions import db
from caseapp.transfers import service


def plans_run(work) -> list[str]:
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite's planner (PostgreSQL's has statistics to choose)")
    seen: list[tuple] = []

    def capture(_conn, _cursor, sql, parameters, _context, _many):
        if "case_transfers" in sql:
            seen.append((sql, parameters))

    event.listen(connection.engine, "before_cursor_execute", capture)
    try:
        work()
    finally:
        event.remove(connection.engine, "before_cursor_execute", capture)
    assert seen
    return ["\n".join(str(row[-1]) for row in connection.exec_driver_sql(
        "EXPLAIN QUERY PLAN " + sql, parameters).all()) for sql, parameters in seen]


@pytest.mark.parametrize("read", [service.outgoing_window, service.count_outgoing])
def test_the_outgoing_transfers_are_read_from_the_transfers(people, make_case, read):
    make_case("intake")
    for plan in plans_run(lambda: read(people.province_supervisor)):
        # the cases are reached by their key from each transfer, never by unit
        assert "SEARCH cases USING INDEX ix_cases_unit" not in plan, plan
        assert plan.index("case_transfers") < plan.index("cases USING"), plan
