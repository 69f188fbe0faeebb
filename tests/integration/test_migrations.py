"""The models and the newest migration never drift apart."""
from __future__ import annotations

import pytest
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


@pytest.mark.no_db_isolation
def test_existing_cases_migrate_to_the_decree_procedure(tmp_path):
    """Data recorded before the Decree 56 procedure (revision 9b3eaaea1c44): consent
    as two booleans, cases in support without a plan. After the upgrade they keep
    their stage, show "plan missing" to their supervisors, and their consent reads
    as it was recorded; no access row looks forged."""
    from types import SimpleNamespace

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from caseapp import MIGRATIONS_DIR, create_app
    from caseapp.accounts import service as accounts
    from caseapp.admin import service as admin_service
    from caseapp.auditing.integrity import intact
    from caseapp.cases.data import ConsentData
    from caseapp.cases.models import Case
    from caseapp.crypto import key_scope
    from caseapp.supervision import service as supervision
    from tests.cases.conftest import plan_approved
    from tests.conftest import PASSWORD, settings_for_tests

    path = tmp_path / "old.db"
    app = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"),
                     env="testing")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with key_scope():
            from caseapp.cases import service
            from tests.cases.conftest import assessment_data, intake_data, support_data

            district = admin_service.create_unit("system", "HUYEN", "Huyện đoàn")
            commune = admin_service.create_unit("system", "XA", "Đoàn xã", "HUYEN")
            people = SimpleNamespace(**{name.split(".")[0]: admin_service.create_user(
                accounts.SYSTEM, admin_service.NewUser(name, role, unit.code, PASSWORD))
                for name, role, unit in (("tvv.lan", "counselor", commune),
                                         ("cb.minh", "officer", commune),
                                         ("gs.tuan", "supervisor", district))})
            made = {}
            for key, consent, child in (
                    ("both", ConsentData("given", "given"), {}),
                    ("ground", ConsentData(legal_ground="emergency"), {}),
                    ("young", ConsentData(guardian="given"),
                     {"date_of_birth": None, "estimated_age": 5})):
                made[key] = service.record_intake(people.tvv, intake_data(
                    "XA", consent=consent, child=child))
            legacy = made["both"]
            service.assign(people.gs, legacy, service.AssignmentData(people.cb.id))
            service.transition(people.cb, legacy, "assessment", assessment_data())
            plan_approved(people.cb, people.gs, legacy)
            service.transition(people.cb, legacy, "support", support_data())
            db.session.commit()
            ids = {key: case.id for key, case in made.items()}
            supervisor_id = people.gs.id
        db.session.remove()
        kept = ("cases", "case_assessments", "case_transitions", "case_assignees",
                "case_offender_accounts", "case_harm_categories")

        def counts():
            with db.engine.connect() as connection:
                return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                        for t in kept}
        before = counts()
        downgrade(directory=MIGRATIONS_DIR, revision="9b3eaaea1c44")
        # Rebuilding `cases` (SQLite batch mode) must not cascade into its records.
        assert counts() == before
        with db.engine.begin() as connection:
            # As such a case was before the procedure: in support, no plan at all.
            connection.execute(text("DELETE FROM case_plans WHERE case_id = :id"),
                               {"id": ids["both"]})
            rows = dict(connection.execute(text(
                "SELECT id, consent_child FROM cases")).all())
        assert rows[ids["both"]] in (1, True) and rows[ids["young"]] is None, (rows, ids)
        upgrade(directory=MIGRATIONS_DIR)
        assert counts() == before
        db.session.remove()
        with key_scope():
            cases = {key: db.session.get(Case, case_id) for key, case_id in ids.items()}
            assert all(intact(case) for case in cases.values())
            assert (cases["both"].child_consent, cases["both"].guardian_consent) == (
                "given", "given")
            assert (cases["ground"].child_consent, cases["ground"].guardian_consent,
                    cases["ground"].legal_ground) == ("not_asked", "not_asked", "emergency")
            assert cases["young"].child_consent == "too_young"
            legacy = cases["both"]
            assert legacy.stage == "support" and legacy.plan_missing
            assert legacy.needs_assessed_at is not None  # from its needs assessment
            from flask_login import login_user

            from caseapp.accounts.models import User

            supervisor = db.session.get(User, supervisor_id)
            with app.test_request_context():
                login_user(supervisor)
                queue = supervision.queue(supervisor)
            assert [c.reference for c in queue.lists["plan-missing"].rows] == [legacy.reference]
        db.session.remove()
        db.engine.dispose()


KEYS_ON_ROWS = "5e1f0c3a9b27"  # the migration that moved data keys onto their owners' rows


def _fresh_database(backend: str, tmp_path):
    """A URL for an empty database of ``backend`` and a function that drops it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.conftest import TEST_DATABASE_URL

    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'keys.db'}", lambda: None
    base = make_url(TEST_DATABASE_URL)
    name = f"{base.database}_keys_on_rows"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop_and_dispose():
        drop()
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), drop_and_dispose


@pytest.mark.no_db_isolation
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_data_keys_move_onto_their_owners_rows_and_back(tmp_path, backend):
    """Keys made with the owner-row schema go back into ``data_keys`` on a
    downgrade, and onto the rows again on the upgrade: sealed fields read as
    written, a shredded case stays shredded, the row MACs still hold, and the
    data_keys table is gone."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    from caseapp import MIGRATIONS_DIR, clock, create_app
    from caseapp.accounts import service as accounts
    from caseapp.admin import service as admin_service
    from caseapp.auditing.integrity import intact
    from caseapp.cases import retention, service
    from caseapp.cases.models import Case
    from caseapp.crypto import KeyDestroyed, grants, key_scope, unlock
    from tests.cases.conftest import CHILD_NAME, NARRATIVE, intake_data
    from tests.conftest import PASSWORD, settings_for_tests

    grants.allow_issuer(__name__)
    url, drop = _fresh_database(backend, tmp_path)
    app = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=url),
                     env="testing")
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
            with key_scope():
                admin_service.create_unit("system", "HUYEN", "Huyện đoàn")
                admin_service.create_unit("system", "XA", "Đoàn xã", "HUYEN")
                counselor = admin_service.create_user(
                    accounts.SYSTEM, admin_service.NewUser("tvv.lan", "counselor", "XA",
                                                           PASSWORD))
                kept = service.record_intake(counselor, intake_data("XA"))
                shredded = service.record_intake(counselor, intake_data("XA"))
                retention.shred(shredded, clock.now(), reason="retention")
                db.session.commit()
                ids = {"kept": kept.id, "shredded": shredded.id}
                kept_key = kept.data_key_id
            db.session.remove()

            downgrade(directory=MIGRATIONS_DIR, revision="d41f0185a4de")
            with db.engine.connect() as connection:
                rows = {row.owner_id: row for row in connection.execute(text(
                    "SELECT id, owner_table, owner_id, kek_version, wrapped, destroyed_at "
                    "FROM data_keys WHERE owner_table = 'cases'"))}
                assert rows[ids["kept"]].id == kept_key and rows[ids["kept"]].wrapped
                assert rows[ids["kept"]].destroyed_at is None
                assert rows[ids["shredded"]].wrapped is None
                assert rows[ids["shredded"]].destroyed_at is not None
                assert "data_key_wrapped" not in {
                    c["name"] for c in inspect(connection).get_columns("cases")}

            upgrade(directory=MIGRATIONS_DIR)
            with db.engine.connect() as connection:
                assert "data_keys" not in inspect(connection).get_table_names()
            db.session.remove()
            with key_scope():
                kept, shredded = (db.session.get(Case, ids[k]) for k in ("kept", "shredded"))
                assert intact(kept) and intact(shredded)
                assert kept.data_key_id == kept_key
                unlock([kept, shredded], grant=grants.issue_grant("test", None,
                                                                  [kept.id, shredded.id]))
                assert kept.child_full_name == CHILD_NAME and kept.narrative == NARRATIVE
                assert shredded.data_key_wrapped is None
                with pytest.raises(KeyDestroyed):
                    _ = shredded.child_full_name
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
