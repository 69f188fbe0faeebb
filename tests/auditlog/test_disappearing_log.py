"""An audit log that cannot quietly disappear.

Each test is what someone holding the SQLite file and the instance folder
would do: drop the append-only triggers, delete entries, remove or cut the
checkpoint file. `caseapp audit verify`, run as a user runs it, must fail
(exit 1 and a sentence saying what was lost) whenever the database or a
checkpoint copy shows the log was longer.
"""
from __future__ import annotations

import json
import os
import sqlite3

import pytest

import audit
from tests.http_client import clean_env, run_caseapp

pytestmark = pytest.mark.no_db_isolation

PASSWORD = "gió thổi qua cánh đồng lúa chín vàng"


@pytest.fixture
def instance(fresh_instance, tmp_path):
    folder = fresh_instance
    mirror = tmp_path / "other-disk" / "checkpoints.jsonl"
    mirror.parent.mkdir()
    env = clean_env(str(folder), CASEAPP_AUDIT_CHECKPOINT_MIRRORS=str(mirror))
    made = run_caseapp(["users", "create", "tuvan.mot", "--role", "counselor", "--unit", "HUYEN",
                        "--password-stdin"], env, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    return folder, env, mirror


def database(folder):
    connection = sqlite3.connect(folder / "caseapp.db")
    for statement in audit.drop_sql("sqlite"):  # the attacker removes the guard first
        connection.execute(statement)
    return connection


def verify(env):
    return run_caseapp(["audit", "verify"], env)


def checkpoint(env):
    result = run_caseapp(["audit", "checkpoint"], env)
    assert result.returncode == 0, result.stderr


def test_an_untouched_log_verifies_and_starts_with_the_keys(instance):
    folder, env, _mirror = instance
    checkpoint(env)
    result = verify(env)
    assert result.returncode == 0, result.stderr
    first = sqlite3.connect(folder / "caseapp.db").execute(
        "SELECT action, details FROM audit_entries ORDER BY seq LIMIT 1").fetchone()
    assert first[0] == "keys.init" and "key_fingerprint" in json.loads(first[1])


def test_an_emptied_log_without_its_checkpoint_files_fails(instance):
    folder, env, mirror = instance
    checkpoint(env)
    db = database(folder)
    db.execute("DELETE FROM audit_entries")
    db.commit()
    os.remove(folder / "audit-checkpoints.jsonl")
    os.remove(mirror)
    result = verify(env)
    assert result.returncode == 1
    assert "log is empty" in result.stderr and "deleted" in result.stderr


def test_a_tail_cut_after_the_last_checkpoint_fails_when_it_created_something(instance):
    folder, env, _mirror = instance
    checkpoint(env)
    db = database(folder)
    (head,) = db.execute("SELECT MAX(seq) FROM audit_entries").fetchone()
    db.close()
    made = run_caseapp(["users", "create", "tuvan.hai", "--role", "counselor", "--unit",
                        "HUYEN", "--password-stdin"], env, stdin=PASSWORD + " hai\n")
    assert made.returncode == 0
    db = database(folder)
    db.execute("DELETE FROM audit_entries WHERE seq > ?", (head,))
    db.commit()
    result = verify(env)
    assert result.returncode == 1
    assert "user.create" in result.stderr and "removed" in result.stderr


def test_a_mirror_ahead_of_the_log_fails(instance):
    """Entries that leave no trace in the database (views, logins) cut with the
    instance's own checkpoint file: the mirror on the other disk still knows."""
    folder, env, mirror = instance
    checkpoint(env)
    db = database(folder)
    (kept,) = db.execute("SELECT MAX(seq) FROM audit_entries").fetchone()
    db.close()
    assert verify(env).returncode == 0  # adds an entry
    checkpoint(env)                      # signs it, in both copies
    own = folder / "audit-checkpoints.jsonl"
    lines = own.read_text().splitlines()
    own.write_text("\n".join(lines[:-1]) + "\n")  # the instance's copy goes back
    db = database(folder)
    db.execute("DELETE FROM audit_entries WHERE seq > ?", (kept,))
    db.commit()
    assert len(mirror.read_text().splitlines()) == len(lines)
    result = verify(env)
    assert result.returncode == 1
    assert "cut off" in result.stderr


def test_a_log_cut_back_to_its_first_entry_misses_the_accounts(instance):
    """No checkpoint was ever written; everything after the keys' entry is cut.
    The accounts and the unit in the database have no creation entry left."""
    folder, env, _mirror = instance
    db = database(folder)
    db.execute("DELETE FROM audit_entries WHERE seq > 1")
    db.commit()
    result = verify(env)
    assert result.returncode == 1
    assert "no user.create entry" in result.stderr or "no unit.create entry" in result.stderr


def test_seal_rows_refuses_on_an_instance_made_with_row_macs(instance):
    """A row without a MAC on an instance made with row MACs was written by
    hand: `caseapp keys seal-rows` refuses to bless it."""
    folder, env, _mirror = instance
    db = sqlite3.connect(folder / "caseapp.db")
    db.execute("UPDATE users SET access_mac = NULL WHERE username = 'tuvan.mot'")
    db.commit()
    db.close()
    result = run_caseapp(["keys", "seal-rows", "--yes"], env)
    assert result.returncode == 1 and "written by hand" in result.stderr
    assert verify(env).returncode == 1  # and verify names the row
