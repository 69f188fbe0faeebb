"""Periodic signed checkpoints, `caseapp audit verify|checkpoint`, and the
start-up entry."""
from __future__ import annotations

import fcntl
import json
import os
import threading

import pytest
from sqlalchemy import text

import audit
from caseapp.auditlog import checkpoints, hooks
from caseapp.extensions import db
from tests.auditlog.conftest import entries
from tests.conftest import Auth


def read(path) -> list[dict]:
    return list(audit.read_checkpoints(path)) if os.path.exists(path) else []


def head() -> int:
    return checkpoints.head_seq()


@pytest.fixture
def every(app, monkeypatch):
    def configure(entries_: int = 0, minutes: int = 0):
        monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_EVERY_ENTRIES", entries_)
        monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_EVERY_MINUTES", minutes)
    return configure


@pytest.fixture
def cp_path(own_instance):
    return own_instance / checkpoints.FILE_NAME


def test_checkpoint_every_n_entries_and_verify_passes_with_them(client, make_user, every,
                                                                cp_path, runner):
    every(entries_=5)
    admin = make_user("admin")
    assert read(cp_path) == []  # entries written outside a request wait for one
    base = head()
    Auth(client).login(admin)
    # The first request found entries that no checkpoint covers, and none was
    # ever made: it signed them.
    made = read(cp_path)
    assert made and made[0]["seq"] >= base > 0
    previous = made[-1]
    # Each checkpoint is itself recorded in the log, right after the head it signed.
    assert entries(seq=previous["seq"] + 1)[0].action == "audit.checkpoint"
    for _ in range(10):
        client.get("/audit/")  # one "audit.view" entry each
        if len(read(cp_path)) > len(made):
            break
    second = read(cp_path)[-1]
    assert len(read(cp_path)) == len(made) + 1
    assert second["seq"] - previous["seq"] == 5 and second["seq"] == head() - 1
    assert oct(os.stat(cp_path).st_mode & 0o777) == "0o600"

    before = head()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"ok: {before} entries" in result.output and "2 checkpoints" in result.output


def test_checkpoint_after_m_minutes_even_on_a_request_that_writes_nothing(
        client, add_entry, every, cp_path, travel):
    every(minutes=60)
    add_entry()
    client.get("/help")
    (first,) = read(cp_path)
    add_entry()
    client.get("/help")
    assert len(read(cp_path)) == 1  # neither 60 minutes nor a limit on entries
    travel(minutes=61)
    client.get("/help")
    # The second covers the first's own log entry and the entry added since.
    assert [cp["seq"] for cp in read(cp_path)] == [first["seq"], first["seq"] + 2]


def test_periodic_checkpoints_off_when_both_limits_are_zero(client, add_entry, every, cp_path):
    every(0, 0)
    add_entry()
    client.get("/help")
    assert not cp_path.exists()


def test_a_checkpoint_another_process_wrote_is_not_signed_again(app, client, make_user, every,
                                                                cp_path, add_entry):
    admin = make_user("admin")
    Auth(client).login(admin)
    every(entries_=3)
    client.get("/audit/")
    assert len(read(cp_path)) == 1
    for _ in range(3):
        add_entry()
    # Another worker signs the head meanwhile; this process does not know.
    keys = app.extensions["caseapp_keys"]
    audit.append_checkpoint_file(cp_path, audit.make_checkpoint(db.session.connection(),
                                                                keys.audit_signing_key))
    db.session.rollback()
    client.get("/audit/")  # this process's memory says due; the file says not
    assert len(read(cp_path)) == 2


def test_writers_take_turns_on_the_lock_file(app, own_instance):
    fd = os.open(own_instance / checkpoints.LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    entered = threading.Event()

    def other_writer():
        with checkpoints._exclusive(app):
            entered.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert not entered.wait(0.3)
    os.close(fd)
    assert entered.wait(5)
    thread.join()


def test_checkpoint_command_prints_and_appends(runner, cp_path):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    (cp,) = read(cp_path)
    assert f"checkpoint seq={cp['seq']} head={cp['head_mac']}" in result.output
    # The entry saying a checkpoint was made comes right after the head it signed.
    assert cp["seq"] == head() - 1 and entries()[-1].action == "audit.checkpoint"


# -- verify ---------------------------------------------------------------------------


def test_verify_on_a_new_instance_without_a_checkpoint_file(runner, add_entry):
    add_entry()
    before = head()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "no checkpoint file" in result.output
    assert f"ok: {before} entries, head seq {before}" in result.output
    assert "0 checkpoints" in result.output
    last = entries()[-1]
    assert (last.action, last.outcome, last.actor_type) == ("audit.verify", "ok", "system")
    assert json.loads(last.details)["count"] == head() - 1
    assert entries(action="app.start") == []  # commands do not write a start-up entry


def tamper(statement: str, **params) -> None:
    """What someone with the database in hand does: drop the triggers, change
    rows, put the triggers back."""
    with db.session.begin_nested():
        connection = db.session.connection()
        dialect = connection.dialect.name
        for stmt in audit.drop_sql(dialect):
            connection.exec_driver_sql(stmt)
        connection.execute(text(statement), params)
        for stmt in audit.install_sql(dialect):
            connection.exec_driver_sql(stmt)
    db.session.commit()


def test_verify_names_an_edited_entry_and_exits_non_zero(runner, add_entry):
    for i in range(5):
        add_entry(ref=f"VN-{i}")
    target = entries(object_id="VN-2")[0].seq
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    tamper("UPDATE audit_entries SET outcome = 'denied' WHERE seq = :seq", seq=target)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry {target}" in result.output and "altered" in result.output
    failed = entries()[-1]
    assert (failed.action, failed.outcome) == ("audit.verify", "failed")
    assert json.loads(failed.details)["first_bad_seq"] == target


def test_verify_catches_a_cut_tail_through_the_checkpoint(runner, add_entry):
    for i in range(4):
        add_entry(ref=f"VN-{i}")
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    pinned = head()
    tamper("DELETE FROM audit_entries WHERE seq >= :seq", seq=pinned - 1)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry {pinned - 1}" in result.output and "cut off" in result.output


def test_verify_catches_a_deleted_checkpoint_file(runner, cp_path, add_entry):
    """An insider cuts the tail and deletes the checkpoint file: the log still
    says checkpoints were made, so the missing file is itself the evidence."""
    add_entry()
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    add_entry()
    cp_path.unlink()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "checkpoints were removed" in result.output


def test_verify_fails_on_an_unreadable_checkpoint_file(runner, cp_path, add_entry):
    add_entry()
    cp_path.write_text("not json\n")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN (not in one entry)" in result.output and "line 1" in result.output
    details = json.loads(entries()[-1].details)
    assert details["first_bad_seq"] is None


# -- start-up -------------------------------------------------------------------------


def test_start_up_entry_once_per_process_without_secrets(app, client, monkeypatch):
    monkeypatch.delitem(app.extensions, hooks._STARTED)
    client.get("/help")
    client.get("/login")
    (start,) = entries(action="app.start")
    details = json.loads(start.details)
    assert start.actor_type == "system" and start.outcome == "ok"
    assert details["env"] == "testing"
    assert details["database"] == db.engine.dialect.name
    assert details["argon2_memory_kib"] == app.config["ARGON2_MEMORY_COST_KIB"]
    assert details["session_idle_minutes"] == app.config["SESSION_IDLE_MINUTES"]
    assert details["require_totp"] is True and details["key_versions"] == 1
    assert app.config["SECRET_KEY"] not in start.details
    assert "postgres" not in start.details.replace('"postgresql"', "")  # no database URL


def test_the_audit_page_shows_the_newest_checkpoint(runner, client, make_user, cp_path):
    admin = make_user("admin")
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    newest = read(cp_path)[-1]
    Auth(client).login(admin)
    page = client.get("/audit/").get_data(as_text=True)
    assert f"mục {newest['seq']}" in page or f"entry {newest['seq']}" in page
