"""Every list's order is served by an index: the database's own plan
(SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN) for the statement each
page runs shows no sort of the rows, on the first page and on a later one.

On PostgreSQL the tables of a test are tiny, and a sort of ten rows is what
the planner rightly prefers; with sorting priced out (``enable_sort = off``) a
plan still holds a Sort node exactly when no index gives the order, so its
absence is the proof.

Three lists are sorted, by design: their rows are bounded by something other
than the number of cases, and they are read from several units' index ranges
at once, whose union no index gives in order. For them the test proves the
rows are found by an index, never by reading the whole table."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.admin import service as admin
from caseapp.auditlog import service as auditlog
from caseapp.awareness import service as awareness
from caseapp.awareness.models import AwarenessSession
from caseapp.break_glass import service as break_glass
from caseapp.cases import queries
from caseapp.cases.models import Case
from caseapp.data_rights import service as data_rights
from caseapp.extensions import db
from caseapp.notifications import service as notifications
from caseapp.notifications.models import Notification
from caseapp.partners import service as partners
from caseapp.partners.models import ApiToken
from caseapp.supervision import service as supervision
from caseapp.transfers import service as transfers
from caseapp.units import service as units
from caseapp.units.models import Unit

# name -> (table, why its rows stay few)
BOUNDED_SORTS = {
    "transfers in": ("case_transfers", "the pending transfers into the subtree's units: a "
                                       "transfer waits days, then is accepted or declined"),
    "transfers out": ("case_transfers", "the pending transfers of the subtree's cases"),
    "awareness sessions": ("awareness_sessions", "one school year's sessions of the units "
                                                 "in scope"),
}


def plan_of(statement) -> str:
    """The plan of ``statement`` as the app sends it (its bound values processed)."""
    connection = db.session.connection()
    seen: list[tuple] = []

    def capture(_conn, _cursor, sql, parameters, _context, _many):
        seen.append((sql, parameters))

    event.listen(connection.engine, "before_cursor_execute", capture)
    try:
        connection.execute(statement).all()
    finally:
        event.remove(connection.engine, "before_cursor_execute", capture)
    sql, parameters = seen[0]
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters).all()
        return "\n".join(str(r[-1]) for r in rows)
    # With sorting and whole-table reads priced out (a test's tables are tiny).
    connection.execute(text("SET LOCAL enable_sort = off"))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    rows = connection.exec_driver_sql("EXPLAIN " + sql, parameters).all()
    connection.execute(text("SET LOCAL enable_sort = on"))
    connection.execute(text("SET LOCAL enable_seqscan = on"))
    return "\n".join(str(r[0]) for r in rows)


def reads_whole(plan: str, table: str) -> bool:
    """Whether ``plan`` reads every row of ``table`` (a scan of the table or of a
    full index; a partial index holds only the rows its condition names)."""
    for line in plan.splitlines():
        step = line.strip().lstrip("-> ")
        if step.startswith(f"Seq Scan on {table}") or step == f"SCAN {table}":
            return True
        if step.startswith(f"SCAN {table} USING") and "one_pending" not in step:
            return True
    return False


def sorts(plan: str) -> bool:
    return ("USE TEMP B-TREE FOR ORDER BY" in plan or "FOR RIGHT PART OF ORDER BY" in plan
            or any(line.strip().lstrip("-> ").startswith(("Sort ", "Incremental Sort"))
                   for line in plan.splitlines()))


@pytest.fixture
def filled(people, make_case):
    now = clock.now()
    made = [make_case("intake") for _ in range(3)] + [make_case("assessment")]
    for i, case in enumerate(made):
        case.next_deadline_at = now - timedelta(hours=i) if i % 2 else None
    db.session.commit()
    return made


def statements(user, supervisor, made):
    """(name, statement) of every list page, the first page and a page after a mark."""
    found = []
    mark = queries.PageMark(made[1].next_deadline_at, made[1].received_at, made[1].id)
    for who in (user, supervisor):
        # Each arm in the list's order (the assignments' arm, sorted among
        # themselves, is proven in test_my_cases_arms).
        arms = queries.own_case_arms(who)
        for name, marks in (("", {}), (" after a mark", {"after": mark})):
            for i, (_order, parts) in enumerate(queries.my_cases_arm_ranges(who, size=50,
                                                                            **marks)):
                found += [(f"my cases of a {who.role}{name}, range {i}, {arm.index}",
                           part.with_only_columns(Case.id))
                          for arm, part in zip(arms, parts, strict=True) if arm.in_order]
    now = clock.now()
    for name, spec in supervision.CASE_LISTS.items():
        query = spec.query(supervisor, now, True).with_only_columns(*[k.column for k in
                                                                spec.keyset.keys])
        for i, part in enumerate(spec.keyset.ranges(query, None, 50)):
            found.append((f"supervision {name}, range {i}", part))
        token = spec.keyset.token(made[1]) if all(
            getattr(made[1], k.column.key) is not None for k in spec.keyset.keys) else None
        if token:
            for i, part in enumerate(spec.keyset.ranges(query, token, 50)):
                found.append((f"supervision {name} after a mark, range {i}", part))
    found.append(("data requests", data_rights.REQUEST_KEYSET.page(
        data_rights._open_in_scope(supervisor), None, 50)))
    found.append(("break-glass uses", break_glass.ACCESS_KEYSET.page(
        break_glass._recent_in_scope(supervisor, 30, ordered=True), None, 50)))
    found.append(("notifications", notifications.KEYSET.page(
        select(Notification).where(Notification.user_id == user.id), None, 50)))
    found.append(("transfers in", transfers.KEYSET.page(transfers._incoming(supervisor),
                                                         None, 50)))
    found.append(("transfers out", transfers.KEYSET.page(transfers._outgoing(supervisor),
                                                          None, 50)))
    found.append(("admin's accounts", admin.USERS_KEYSET.page(select(User), None, 50)))
    found.append(("partner tokens", partners.KEYSET.page(select(ApiToken), None, 50)))
    year = clock.now().date()
    found.append(("awareness sessions", awareness.SESSIONS_KEYSET.page(
        select(AwarenessSession).where(*awareness._held_in(
            supervisor.unit, year - timedelta(days=365), year)), None, 50)))
    units_order = units.TREE_KEYSET
    found.append(("units tree", units_order.page(select(Unit), None, 50)))
    found.append(("units tree after a mark", units_order.page(
        select(Unit), units_order.token(supervisor.unit), 50)))
    found.append(("schools without a session", awareness.SCHOOLS_KEYSET.page(
        select(Unit).where(awareness._in_subtree(supervisor.unit), Unit.school_type.is_not(None),
                           ~awareness._held_session(year - timedelta(days=365), year)),
        awareness.SCHOOLS_KEYSET.token(supervisor.unit), 50)))
    found.append(("audit log", auditlog.visible_entries(supervisor, ordered=True).order_by(
        auditlog.C.seq.desc()).limit(51)))
    return found


def test_every_list_order_comes_from_an_index(people, filled, capsys):
    failures = []
    for name, statement in statements(people.officer, people.supervisor, filled):
        plan = plan_of(statement)
        print(f"--- {name}\n{plan}")
        if name in BOUNDED_SORTS:
            if reads_whole(plan, BOUNDED_SORTS[name][0]):
                failures.append(f"{name} reads its whole table:\n{plan}")
        elif sorts(plan):
            failures.append(f"{name}:\n{plan}")
    assert not failures, "\n\n".join(failures)
