"""`caseapp notifications scan` and `caseapp notifications digest` as cron runs
them: on a real instance folder, the digest through a real SMTP server on
loopback."""
from __future__ import annotations

import re
import sqlite3

import pytest

from tests.cases.conftest import SECRETS
from tests.http_client import clean_env, run_caseapp

pytestmark = pytest.mark.no_db_isolation


def test_scan_then_digest_from_the_command_line(fresh_instance, smtp):
    env = clean_env(str(fresh_instance))
    made = run_caseapp(["demo-data", "--cases", "12", "--seed", "3"], env)
    assert made.returncode == 0, made.stderr

    scanned = run_caseapp(["notifications", "scan"], env)
    assert scanned.returncode == 0, scanned.stderr
    count = int(re.search(r"made (\d+) notification", scanned.stdout).group(1))
    assert count > 0  # demo cases have deadlines due and missed
    again = run_caseapp(["notifications", "scan"], env)
    assert "made 0 notification(s)" in again.stdout

    # Every demo officer and supervisor asks for a daily digest (set here in the
    # database; the page test covers the form).
    with sqlite3.connect(fresh_instance / "caseapp.db") as database:
        users = database.execute(
            "SELECT id, username FROM users WHERE role IN ('officer', 'supervisor')").fetchall()
        database.executemany(
            "INSERT INTO notification_settings (user_id, email, digest) VALUES (?, ?, 'daily')",
            [(user_id, f"{name}@xa.test") for user_id, name in users])
        expected = {f"{name}@xa.test" for (name,) in database.execute(
            "SELECT DISTINCT u.username FROM notifications n JOIN users u ON u.id = n.user_id "
            "WHERE u.role IN ('officer', 'supervisor') AND n.read_at IS NULL")}
    assert expected

    without = run_caseapp(["notifications", "digest"], env)
    assert without.returncode == 1 and "SMTP_HOST" in without.stderr

    env.update(CASEAPP_SMTP_HOST="127.0.0.1", CASEAPP_SMTP_PORT=str(smtp.port))
    sent = run_caseapp(["notifications", "digest"], env)
    assert sent.returncode == 0, sent.stderr
    assert f"sent {len(expected)} digest(s)" in sent.stdout
    assert {to for recipients, _ in smtp.messages for to in recipients} == expected
    for _, message in smtp.messages:
        text = message.get_content()
        lines = [line for line in text.splitlines() if line.startswith("- ")]
        assert lines and all(re.fullmatch(
            r"- \d\d/\d\d/\d{4} \d\d:\d\d · [^\n]+?( HS-[0-9A-Z]{8})?", line) for line in lines)
        assert not [secret for secret in SECRETS if secret in message.as_string()]
    # Demo children's names are drawn from these family names: none is mailed.
    from caseapp.cli.cases import FAMILY
    for _, message in smtp.messages:
        assert not [name for name in FAMILY if f"{name} " in message.get_content()]

    twice = run_caseapp(["notifications", "digest"], env)
    assert "sent 0 digest(s)" in twice.stdout
