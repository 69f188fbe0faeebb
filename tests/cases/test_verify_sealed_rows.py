"""`audit verify`'s walk over the sealed rows (the rows that grant access):
paged by primary key, every row of every sealed table visited once, a row
changed in the database found whichever page it falls on."""
from __future__ import annotations

from sqlalchemy import func, select, text

from caseapp.auditlog import verification
from caseapp.cases.models import CaseAssignee
from caseapp.crypto import row_integrity
from caseapp.extensions import db


def walk(batch: int):
    told: list[tuple[int, int]] = []
    problem = verification.tampered_rows_problem(
        batch=batch, progress=lambda done, total: told.append((done, total)))
    return problem, told


def sealed_row_count() -> int:
    return sum(db.session.scalar(select(func.count()).select_from(cls)) or 0
               for cls in row_integrity.sealed_models())


def test_the_walk_visits_every_sealed_row_once_in_small_pages(make_case, people):
    for _ in range(3):
        make_case("assessment", assignees=(people.officer2,))
    # Composite keys (case, person) are paged too: there must be several.
    assert db.session.scalar(select(func.count()).select_from(CaseAssignee)) >= 2

    problem, told = walk(batch=1)
    assert problem is None
    total = sealed_row_count()
    assert told[-1] == (total, total)
    assert [done for done, _ in told] == list(range(1, total + 1))  # one row a page, none twice

    problem, told = walk(batch=1000)
    assert problem is None and told[-1] == (total, total)


def test_a_row_changed_in_the_database_is_found_on_any_page(make_user):
    people = [make_user("officer") for _ in range(5)]
    assert walk(batch=2)[0] is None
    # An insider with the database raises the last person's role by hand.
    newest = max(people, key=lambda made: made.user.id).user
    db.session.execute(text("UPDATE users SET role = 'admin' WHERE id = :id"), {"id": newest.id})
    db.session.commit()
    db.session.expire_all()

    problem, told = walk(batch=2)
    assert problem is not None and "users" in problem
    assert "1 row(s)" in problem
