"""On a real SQLite file of its own: the bytes on disk hold none of the children's
data, and a process that dies mid-transition leaves neither change nor entry."""
from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

import audit
from caseapp import MIGRATIONS_DIR, create_app
from caseapp.accounts import service as accounts
from caseapp.admin import service as admin_service
from caseapp.cases.models import Case
from caseapp.crypto import key_scope, sqlite_scrub
from caseapp.extensions import db
from tests.conftest import KEYRING, PASSWORD, closed_after, settings_for_tests

from .conftest import SECRETS
from .test_audit_and_atomicity import run_lifecycle

pytestmark = pytest.mark.no_db_isolation
WORKER = os.path.join(os.path.dirname(__file__), "crash_worker.py")


@pytest.fixture
def own_app(tmp_path):
    path = tmp_path / "raw.db"
    app = create_app(settings_for_tests(str(tmp_path), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"),
                     env="testing")
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
    app.config["DB_PATH"] = path
    yield from closed_after(app)


def database_bytes(path) -> bytes:
    """What a thief of the database file gets: the file, its WAL and its journal."""
    raw = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            raw += extra.read_bytes()
    return raw


def bytes_on_disk(path) -> bytes:
    """Close the app's connections with the file scrubbed (inside an app
    context), then :func:`database_bytes`: what a thief would copy."""
    db.session.remove()
    sqlite_scrub(db.engine)
    db.engine.dispose()
    return database_bytes(path)


def assert_not_on_disk(raw: bytes, secrets,
                       encodings=("utf-8", "utf-16-le", "utf-16-be")) -> None:
    for secret in secrets:
        for encoding in encodings:
            assert secret.encode(encoding) not in raw, (secret, encoding)


def make_people():
    province = admin_service.create_unit("system", "TINH", "Tỉnh đoàn")
    district = admin_service.create_unit("system", "HUYEN", "Huyện đoàn", "TINH")
    commune = admin_service.create_unit("system", "XA", "Đoàn xã", "HUYEN")

    def user(name, role, unit):
        return admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
            name, role, unit.code, PASSWORD))
    return SimpleNamespace(
        province=province, district=district, commune=commune,
        counselor=user("tvv.lan", "counselor", commune),
        officer=user("cb.minh", "officer", commune),
        officer2=user("cb.hoa", "officer", district),
        supervisor=user("gs.tuan", "supervisor", district),
        other_supervisor=user("gs.tinh2", "supervisor", admin_service.create_unit(
            "system", "HUYEN2", "Huyện khác", "TINH")))


def test_the_database_file_holds_no_child_data(own_app):
    path = own_app.config["DB_PATH"]
    with own_app.app_context():
        with key_scope():
            people = make_people()
            for _action, step in run_lifecycle(people):
                step()
        db.session.commit()
        reference = db.session.scalar(select(Case.reference))
        db.session.remove()
        sqlite_scrub(db.engine)
        db.engine.dispose()
    raw = database_bytes(path)
    # positive controls: clear metadata and other Vietnamese text are found in the bytes...
    assert reference.encode() in raw and "Huyện đoàn".encode() in raw
    # ...the children's data is not.
    for secret in SECRETS + ["+84912345678", "+84987654321"]:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in raw, (secret, encoding)


def test_a_process_dying_mid_transition_leaves_nothing(own_app):
    path = own_app.config["DB_PATH"]
    with own_app.app_context():
        with key_scope():
            people = make_people()
            # Every step up to the plan's approval and decision: ready for support.
            for action, step in run_lifecycle(people):
                step()
                if action == "case.plan_decision":
                    break
        db.session.commit()
        case = db.session.scalar(select(Case))
        reference, officer_id, version = case.reference, people.officer.id, case.version_id
        entries = db.session.scalar(select(func.count()).select_from(audit.audit_entries))
        db.session.remove()
        db.engine.dispose()

    env = dict(os.environ, CASES_TEST_KEYS=KEYRING.to_env())
    result = subprocess.run([sys.executable, WORKER, str(path), str(path.parent), reference,
                             officer_id], env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 17, result.stderr
    # The transition's entry, and the "row.sealed" anchor of the case's new row MAC.
    assert f"in-transaction stage=support entries={entries + 2}" in result.stdout

    with own_app.app_context():
        case = db.session.scalar(select(Case).where(Case.reference == reference))
        assert case.stage == "assessment" and case.version_id == version
        assert db.session.scalar(select(func.count()).select_from(audit.audit_entries)) == entries
        assert case.support_started_at is None and case.transitions[-1].to_stage == "assessment"
        assert db.session.execute(text("SELECT count(*) FROM case_assessments")).scalar() == 2
        verdict = audit.verify_chain(db.session.connection(),
                                     own_app.extensions["caseapp_keys"].audit_mac_key)
        assert verdict.ok


def test_the_database_file_holds_no_hotline_call(own_app):
    """What a hotline counselor records on the call (issue 15) is sealed too."""
    from caseapp.cases import service
    from caseapp.cases.data import ReporterData

    from .conftest import intake_data

    canaries = {"hotline_call_number": "T111-CANARY-4471", "child_whereabouts": "Canary quán net",
                "harm_when": "Canary ba tuần trước", "advice_given": "Canary chặn tài khoản",
                "safe_tonight": "no"}
    path = own_app.config["DB_PATH"]
    with own_app.app_context():
        with key_scope():
            people = make_people()
            service.record_intake(people.counselor, intake_data(
                **canaries, reporter=ReporterData("Canary Người Gọi", "hàng xóm", "0988 777 555",
                                                  anonymous=True),
                child={"access_needs": "Canary khiếm thính"}))
        db.session.commit()
        db.session.remove()
        sqlite_scrub(db.engine)
        db.engine.dispose()
    raw = database_bytes(path)
    assert "Đoàn xã".encode() in raw  # positive control: clear text is found
    for secret in [*(v for k, v in canaries.items() if k != "safe_tonight"),
                   "Canary Người Gọi", "0988 777 555", "Canary khiếm thính"]:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, secret
