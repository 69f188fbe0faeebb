"""`caseapp backup` and `caseapp restore`, run as an operator runs them.

The backup is taken while `caseapp serve` answers requests that write (failed
logins are audited), the instance then moves on, the backup is restored, and
the database is what it was at the backup: nothing lost, the audit chain
verifies. On PostgreSQL (CI's second run) the same with `pg_dump`.
"""
from __future__ import annotations

import os
import shutil
import stat
import threading

import pytest
from sqlalchemy import create_engine, text

from tests.http_client import HttpSession, ServerProcess, clean_env, free_port, run_caseapp
from tests.integration.conftest import ON_POSTGRESQL

pytestmark = pytest.mark.no_db_isolation

def make_instance(folder, template, database_url, cases: int) -> dict[str, str]:
    extra = {"CASEAPP_DATABASE_URL": database_url} if database_url else {}
    env = clean_env(str(folder), **extra)
    if database_url:
        made = run_caseapp(["quickstart", "--no-serve"], env)
        assert made.returncode == 0, made.stderr
    else:
        shutil.copytree(template, folder)  # quickstart's instance, made once per worker
    seeded = run_caseapp(["demo-data", "--cases", str(cases)], env, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    return env


def count(env: dict[str, str], table: str) -> int:
    url = env.get("CASEAPP_DATABASE_URL") or f"sqlite:///{env['CASEAPP_INSTANCE']}/caseapp.db"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_online_backup_then_restore_loses_nothing_and_the_chain_verifies(
        tmp_path, instance_template, database_url):
    env = make_instance(tmp_path / "inst", instance_template, database_url, cases=6)
    port = free_port()
    server = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    stop = threading.Event()
    answered: list[int] = []

    def people_at_work():
        # Failed logins are audited: the app writes while the backup copies.
        client = HttpSession(port)
        while not stop.is_set():
            answered.append(client.login("nobody.here", "not the password").status)

    try:
        server.wait_ready()
        worker = threading.Thread(target=people_at_work)
        worker.start()
        out = tmp_path / "backup.db"
        made = run_caseapp(["backup", "--out", str(out)], env, timeout=300)
        stop.set()
        worker.join()
    finally:
        stop.set()
        server.stop()
    assert made.returncode == 0, made.stderr
    assert "backup written" in made.stdout
    assert "pages" in made.stderr or "pg_dump" in made.stderr  # progress shown
    assert answered and set(answered) <= {200, 401, 429}, answered  # served throughout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    cases_at_backup = count(env, "cases")

    # The instance moves on after the backup.
    more = run_caseapp(["demo-data", "--cases", "2"], env, timeout=300)
    assert more.returncode == 0, more.stderr
    assert run_caseapp(["audit", "checkpoint"], env).returncode == 0
    assert count(env, "cases") == cases_at_backup + 2

    restored = run_caseapp(["restore", str(out), "--yes"], env, timeout=300)
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout
    assert count(env, "cases") == cases_at_backup
    # Its own "backup.create" entry is in the copy, and the restore is on the record.
    assert count(env, "audit_entries WHERE action = 'backup.create'") == 1
    assert count(env, "audit_entries WHERE action = 'backup.restore'") == 1
    verified = run_caseapp(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The database it replaced was kept, and still holds the later cases.
    saved = os.listdir(os.path.join(env["CASEAPP_INSTANCE"], "backups"))
    assert len(saved) == 1 and saved[0].startswith("before-restore-")

    # The app serves the restored database.
    port = free_port()
    server = ServerProcess(["serve", "--workers", "1", "--port", str(port)], env, port)
    try:
        server.wait_ready()
    finally:
        server.stop()


def test_restore_refuses_what_is_not_this_instances_backup(tmp_path, instance_template,
                                                          database_url):
    env = make_instance(tmp_path / "inst", instance_template, database_url, cases=1)
    before = count(env, "cases")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    refused = run_caseapp(["restore", str(junk), "--yes"], env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ") and "Traceback" not in refused.stderr
    assert "not a" in refused.stderr

    missing = run_caseapp(["restore", str(tmp_path / "nowhere.db"), "--yes"], env)
    assert missing.returncode == 1 and "does not exist" in missing.stderr

    # Another instance's backup (other keys) is refused before anything changes.
    other = clean_env(str(tmp_path / "other"))
    assert run_caseapp(["quickstart", "--no-serve"], other).returncode == 0
    foreign = tmp_path / "foreign.db"
    assert run_caseapp(["backup", "--out", str(foreign)], other).returncode == 0
    refused = run_caseapp(["restore", str(foreign), "--yes"], env)
    assert refused.returncode == 1
    # (On PostgreSQL the SQLite file is refused for what it is.)
    assert ("not a PostgreSQL backup" if ON_POSTGRESQL else "another instance") in refused.stderr
    assert count(env, "cases") == before
    assert not os.path.exists(os.path.join(env["CASEAPP_INSTANCE"], "backups"))
    assert run_caseapp(["audit", "verify"], env).returncode == 0


def test_a_backup_needs_a_file_name_in_a_folder_that_exists(tmp_path, instance_template):
    env = clean_env(str(tmp_path / "inst"))
    shutil.copytree(instance_template, env["CASEAPP_INSTANCE"])
    nowhere = run_caseapp(["backup", "--out", str(tmp_path / "no" / "such" / "b.db")], env)
    assert nowhere.returncode == 1 and "does not exist" in nowhere.stderr
    folder = run_caseapp(["backup", "--out", str(tmp_path)], env)
    assert folder.returncode != 0 and "Traceback" not in folder.stderr


def test_a_doctored_backup_is_refused_and_checkpoints_come_back(tmp_path, instance_template):
    """An insider who can write the database and the backups, but has no key
    file, trims the log's tail in a backup: restoring it would hide those
    entries. It is refused (its hash is not signed); an older genuine backup
    restores, and restoring the newer one afterwards brings its checkpoints back."""
    import sqlite3

    env = make_instance(tmp_path / "inst", instance_template, None, cases=1)
    older, newer = tmp_path / "older.db", tmp_path / "newer.db"
    assert run_caseapp(["backup", "--out", str(older)], env).returncode == 0
    assert run_caseapp(["audit", "checkpoint"], env).returncode == 0
    assert run_caseapp(["demo-data", "--cases", "1"], env, timeout=300).returncode == 0
    assert run_caseapp(["audit", "checkpoint"], env).returncode == 0
    assert run_caseapp(["backup", "--out", str(newer)], env).returncode == 0

    doctored = tmp_path / "doctored.db"
    shutil.copy(newer, doctored)
    with sqlite3.connect(doctored) as raw:
        head = raw.execute("SELECT max(seq) FROM audit_entries").fetchone()[0]
        raw.execute("DROP TRIGGER audit_entries_no_delete")
        raw.execute("DELETE FROM audit_entries WHERE seq > ?", (head - 3,))
    refused = run_caseapp(["restore", str(doctored), "--yes"], env)
    assert refused.returncode == 1 and "not a backup" in refused.stderr, refused.stderr
    assert count(env, "audit_entries WHERE action = 'backup.restore'") == 0

    for backup in (older, newer):  # back in time, then forward again
        restored = run_caseapp(["restore", str(backup), "--yes"], env, timeout=300)
        assert restored.returncode == 0, restored.stderr
        verified = run_caseapp(["audit", "verify"], env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    folder = env["CASEAPP_INSTANCE"]
    for name in os.listdir(folder):
        if name.startswith(("audit-checkpoints.jsonl", "backups.jsonl")):
            assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name

    forced = run_caseapp(["restore", str(doctored), "--yes", "--force"], env, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert count(env, "audit_entries WHERE action = 'backup.restore' "
                      "AND details LIKE '%signed%false%'") == 1


SHRED_ONE_CASE = """
from caseapp import create_app
from caseapp.cases.models import Case
from caseapp.crypto.shredding import destroy_owner_key
from caseapp.extensions import db
app = create_app()
with app.app_context():
    case = db.session.scalars(db.select(Case).order_by(Case.reference)).first()
    destroy_owner_key(db.session, case)
    db.session.commit()
    print(case.data_key_id)
"""


def test_a_restore_does_not_bring_back_child_data_deleted_since_the_backup(
        tmp_path, instance_template):
    """A child's data deleted after the backup (its case's key destroyed: the
    right to deletion, retention) stays deleted when that backup is restored."""
    import subprocess
    import sys

    env = make_instance(tmp_path / "inst", instance_template, None, cases=2)
    saved = tmp_path / "before-deletion.db"
    assert run_caseapp(["backup", "--out", str(saved)], env).returncode == 0
    shredded = subprocess.run([sys.executable, "-c", SHRED_ONE_CASE], env=env,
                              capture_output=True, text=True, timeout=120)
    assert shredded.returncode == 0, shredded.stderr
    key_id = shredded.stdout.strip().splitlines()[-1]
    restored = run_caseapp(["restore", str(saved), "--yes"], env, timeout=300)
    assert restored.returncode == 0, restored.stderr
    assert "1 data keys destroyed since the backup destroyed again" in restored.stdout
    assert count(env, f"cases WHERE data_key_id = '{key_id}' "
                      "AND data_key_wrapped IS NULL") == 1
    assert count(env, "cases WHERE data_key_wrapped IS NOT NULL") == 1
    assert count(env, "audit_entries WHERE action = 'backup.restore' "
                      "AND details LIKE '%keys_destroyed_again%1%'") == 1
    verified = run_caseapp(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
