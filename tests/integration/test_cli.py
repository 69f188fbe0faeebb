"""The command line contract of DESIGN.md."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from caseapp.accounts import service
from tests.conftest import PASSWORD


def test_units_create_and_list(runner):
    assert runner.invoke(args=["units", "create", "TINH", "Tỉnh đoàn"]).exit_code == 0
    result = runner.invoke(args=["units", "create", "XA1", "Đoàn xã Hiệp An", "--parent", "TINH"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["units", "create", "THCS1", "Liên đội THCS", "--parent", "XA1",
                                 "--school", "lower_secondary"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["units", "list"]).output
    assert listing.index("TINH") < listing.index("XA1") < listing.index("THCS1")
    assert "    THCS1" in listing and "school=lower_secondary" in listing


def test_units_create_rejects_unknown_parent_and_duplicates(runner):
    result = runner.invoke(args=["units", "create", "A1", "A", "--parent", "NOPE"])
    assert result.exit_code == 1 and "error:" in result.output
    runner.invoke(args=["units", "create", "B1", "B"])
    assert runner.invoke(args=["units", "create", "B1", "B again"]).exit_code == 1


def test_users_create_list_disable(runner, make_unit):
    unit = make_unit("HUYEN1")
    result = runner.invoke(args=["users", "create", "lan.nguyen", "--role", "officer", "--unit",
                                 unit.code, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "lan.nguyen\tofficer\tHUYEN1\tenabled" in listing
    assert PASSWORD not in listing
    assert runner.invoke(args=["users", "disable", "lan.nguyen"]).exit_code == 0
    assert "lan.nguyen\tofficer\tHUYEN1\tdisabled" in runner.invoke(args=["users", "list"]).output


def test_users_create_refuses_weak_password_and_bad_role(runner, make_unit):
    unit = make_unit()
    weak = runner.invoke(args=["users", "create", "weak.user", "--role", "officer", "--unit",
                               unit.code, "--password-stdin"], input="short\n")
    assert weak.exit_code == 1 and service.find_user("weak.user") is None
    bad_role = runner.invoke(args=["users", "create", "x.user", "--role", "boss", "--unit",
                                   unit.code, "--password-stdin"], input=PASSWORD + "\n")
    assert bad_role.exit_code != 0


def test_routes_command_lists_the_contract_routes(runner):
    from caseapp.cli import main

    output = runner.invoke(main, ["routes"]).output
    for route in ("/login", "/logout", "/help"):
        assert route in output


@pytest.mark.no_db_isolation
def test_quickstart_makes_an_instance_in_caseapp_instance(tmp_path):
    """Runs the real console command in a subprocess, as a user would."""
    instance = tmp_path / "inst"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env["CASEAPP_INSTANCE"] = str(instance)
    caseapp = os.path.join(os.path.dirname(sys.executable), "caseapp")
    result = subprocess.run([caseapp, "quickstart", "--no-serve"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert str(instance) in result.stdout
    assert "admin password (shown once" in result.stdout
    printed = result.stdout.split("write it down): ", 1)[1].split()[0]
    assert printed.isascii() and len(printed) >= 20  # no accented letter to hunt for
    assert "replace this password" in result.stdout
    for name in ("caseapp.db", "keys.json", "secret_key"):
        assert (instance / name).exists(), name
    assert oct((instance / "keys.json").stat().st_mode & 0o777) == "0o600"
    assert oct(instance.stat().st_mode & 0o777) == "0o700"
    assert oct((instance / "caseapp.db").stat().st_mode & 0o777) == "0o600"
    again = subprocess.run([caseapp, "quickstart", "--no-serve"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0 and "admin password" not in again.stdout
    listing = subprocess.run([caseapp, "users", "list"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert listing.stdout.startswith("admin\tadmin\tHUYEN\tenabled")


@pytest.mark.no_db_isolation
def test_quickstart_serves_the_app(tmp_path):
    """The README's first command: quickstart makes the instance and then serves it
    (Flask ignores app.run() inside its own CLI, so this is checked for real)."""
    import re
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env.update(CASEAPP_INSTANCE=str(tmp_path / "inst"), CASEAPP_REQUIRE_TOTP="false")
    caseapp = os.path.join(os.path.dirname(sys.executable), "caseapp")
    server = subprocess.Popen([caseapp, "quickstart", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    page = r.read().decode()
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        assert page is not None, server.stdout.read() if server.poll() is not None else "no answer"
        assert re.search(r'<html lang="vi"', page) and 'name="password"' in page
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stdout.close()


@pytest.mark.no_db_isolation
def test_app_refuses_to_start_without_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env["CASEAPP_INSTANCE"] = str(tmp_path)
    env["CASEAPP_ENV"] = "development"
    caseapp = os.path.join(os.path.dirname(sys.executable), "caseapp")
    result = subprocess.run([caseapp, "users", "list"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "caseapp keys init" in (result.stderr + result.stdout)


def test_help_before_quickstart_lists_every_command_without_a_traceback(tmp_path):
    """A newcomer's first command, in an empty folder: every command listed, and
    one line saying what is missing."""
    from tests.http_client import clean_env, run_caseapp

    env = clean_env(str(tmp_path / "instance"))
    shown = run_caseapp(["--help"], env)
    assert shown.returncode == 0, shown.stderr
    listed = shown.stdout.split("Commands:", 1)[1]
    for command in ("audit", "cases", "db", "demo-data", "keys", "notifications",
                    "quickstart", "report", "retention", "serve", "units", "users"):
        assert f"\n  {command} " in listed, command
    assert "Traceback" not in shown.stderr
    assert "run `caseapp quickstart`" in shown.stderr
    assert len([line for line in shown.stderr.splitlines() if line.strip()]) == 1


def test_a_bad_setting_is_one_line_naming_it(fresh_instance):
    from tests.http_client import clean_env, run_caseapp

    env = clean_env(str(fresh_instance), CASEAPP_REQUIRE_TOTP="false")
    for args in (["users", "list"], ["report", "--verify", "/dev/null"], ["db", "current"]):
        refused = run_caseapp(args, env)
        assert refused.returncode == 1, (args, refused.stderr)
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "REQUIRE_TOTP" in lines[0] and "Traceback" not in lines[0]
    missing_keys = run_caseapp(["users", "list"], clean_env(
        str(fresh_instance), CASEAPP_KEYS=str(fresh_instance / "nowhere.json")))
    assert missing_keys.returncode == 1 and "Traceback" not in missing_keys.stderr
