"""`caseapp keys init|status|rotate` on a real instance folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_db_isolation

CASEAPP = os.path.join(os.path.dirname(sys.executable), "caseapp")

ENROL = """
from caseapp import create_app, permissions
from caseapp.admin import service as admin_service
from caseapp.accounts import service
from caseapp.crypto import key_scope, unlock
from caseapp.extensions import db
app = create_app()
with app.app_context(), key_scope():
    for i in range(3):
        user = admin_service.create_user("system", admin_service.NewUser(
            f"officer{i}", "officer", "HUYEN", "a long enough passphrase"))
        service.begin_totp_enrolment(user)
    db.session.commit()
"""

READ = """
from caseapp import create_app, permissions
from caseapp.accounts import service
from caseapp.crypto import key_scope, unlock
app = create_app()
with app.app_context(), key_scope():
    for i in range(3):
        user = service.find_user(f"officer{i}")
        unlock(user, grant=permissions.grant_own_second_factor(user))
        assert len(user.totp_secret) == 32
print("readable")
"""


def run(args, env, **kwargs):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture
def instance_env(fresh_instance):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env["CASEAPP_INSTANCE"] = str(fresh_instance)
    env["CASEAPP_ENV"] = "development"
    assert run([sys.executable, "-c", ENROL], env).returncode == 0
    return env


def test_init_refuses_to_overwrite_an_existing_key_file(instance_env):
    keyfile = os.path.join(instance_env["CASEAPP_INSTANCE"], "keys.json")
    before = Path(keyfile).read_text()
    result = run([CASEAPP, "keys", "init"], instance_env)
    assert result.returncode == 1
    assert "already exists" in result.stdout
    assert Path(keyfile).read_text() == before


def test_status_and_rotate_rewrap_without_losing_a_record(instance_env):
    status = run([CASEAPP, "keys", "status"], instance_env)
    assert status.returncode == 0, status.stderr
    assert "version 1\t3 data keys\tcurrent" in status.stdout
    rotate = run([CASEAPP, "keys", "rotate", "--batch-size", "2"], instance_env)
    assert rotate.returncode == 0, rotate.stderr
    assert "version 2 is now current" in rotate.stdout
    assert "done: 3 data keys re-wrapped to version 2" in rotate.stdout
    status = run([CASEAPP, "keys", "status"], instance_env).stdout
    assert "version 1\t0 data keys" in status and "version 2\t3 data keys\tcurrent" in status
    keyfile = os.path.join(instance_env["CASEAPP_INSTANCE"], "keys.json")
    assert oct(os.stat(keyfile).st_mode & 0o777) == "0o600"
    assert run([sys.executable, "-c", READ], instance_env).stdout.strip() == "readable"
    retire = run([CASEAPP, "keys", "retire", "1"], instance_env)
    assert retire.returncode == 0, retire.stderr
    status = run([CASEAPP, "keys", "status"], instance_env)
    assert "version 1\t0 data keys\tretired" in status.stdout
    assert run([sys.executable, "-c", READ], instance_env).stdout.strip() == "readable"


def test_retiring_a_version_in_use_is_refused(instance_env):
    result = run([CASEAPP, "keys", "retire", "1"], instance_env)
    assert result.returncode == 1 and "current" in result.stderr
    run([CASEAPP, "keys", "rotate"], instance_env)
    run([sys.executable, "-c", ENROL.replace("officer{i}", "late{i}").replace(
        "create_app()", "create_app()")], instance_env)
    status = run([CASEAPP, "keys", "status"], instance_env).stdout
    assert "version 2	6 data keys	current" in status


def test_key_operations_are_audited_and_keys_never_printed(instance_env):
    rotate = run([CASEAPP, "keys", "rotate"], instance_env)
    keyfile = os.path.join(instance_env["CASEAPP_INSTANCE"], "keys.json")
    material = json.dumps(json.loads(Path(keyfile).read_text()))
    for line in rotate.stdout.splitlines() + rotate.stderr.splitlines():
        for token in line.split():
            assert len(token) < 40 or token not in material
    verify = run([CASEAPP, "audit", "verify"], instance_env)
    assert verify.returncode == 0, verify.stderr
    import sqlite3

    db = sqlite3.connect(os.path.join(instance_env["CASEAPP_INSTANCE"], "caseapp.db"))
    actions = [row[0] for row in db.execute("SELECT action FROM audit_entries ORDER BY seq")]
    db.close()
    assert "keys.rotate_start" in actions and "keys.rotate_done" in actions
    assert actions.count("keys.init") == 1


def test_world_readable_key_file_is_refused(instance_env):
    keyfile = os.path.join(instance_env["CASEAPP_INSTANCE"], "keys.json")
    os.chmod(keyfile, 0o644)
    result = run([CASEAPP, "users", "list"], instance_env)
    assert result.returncode != 0
    assert "keys.json" in result.stderr + result.stdout


RELABEL = """
import sys
from sqlalchemy import text
from caseapp import create_app
from caseapp.extensions import db
app = create_app()
with app.app_context():
    db.session.execute(text(
        "UPDATE users SET data_key_version = " + sys.argv[1] + " WHERE id = "
        "(SELECT min(id) FROM users WHERE data_key_wrapped IS NOT NULL)"))
    db.session.commit()
"""


def test_retire_refuses_a_version_a_relabelled_key_still_needs(instance_env):
    """Someone with the database rewrites a row's KEK version without re-wrapping
    its key: the rotation passes it by, and retiring the old version would lose
    it. The retire tries every key and refuses, naming how many."""
    assert run([sys.executable, "-c", RELABEL, "2"], instance_env).returncode == 0
    assert run([CASEAPP, "keys", "rotate"], instance_env).returncode == 0
    keyfile = os.path.join(instance_env["CASEAPP_INSTANCE"], "keys.json")
    before = Path(keyfile).read_text()
    retire = run([CASEAPP, "keys", "retire", "1"], instance_env)
    assert retire.returncode == 1
    assert "1 live data key(s) would not unwrap" in retire.stderr
    assert "Traceback" not in retire.stderr and Path(keyfile).read_text() == before
    assert "1" in json.loads(before)["kek_versions"]  # the KEK that key needs is kept
    assert run([sys.executable, "-c", RELABEL, "NULL"], instance_env).returncode == 0
    status = run([CASEAPP, "keys", "status"], instance_env)
    assert status.returncode == 0, status.stderr
    assert "no version\t1 data keys\tunreadable" in status.stdout
    retire = run([CASEAPP, "keys", "retire", "1"], instance_env)
    assert retire.returncode == 1 and "1 live data key(s)" in retire.stderr
    assert "Traceback" not in retire.stderr
