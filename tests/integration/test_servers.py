"""Every command that serves, started as a user starts it and used over HTTP.

`caseapp serve` once answered anonymous requests as whoever had logged in
last: its forked workers inherited the command's application context, and
Flask reused it (and its ``g``: the user, the CSRF token, the database
session) for every request. These tests send real requests to real server
processes, several people at once, and check that each is answered as
themselves and nobody else.
"""
from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from tests.http_client import (
    PHONES,
    HttpSession,
    ServerProcess,
    clean_env,
    free_port,
    logged_in,
    run_caseapp,
)

pytestmark = pytest.mark.no_db_isolation

PEOPLE = {f"tuvan.{n}": f"mật khẩu dài của người số {n} ở xã" for n in range(1, 5)}

SERVERS = {
    # (arguments after `caseapp`, environment overrides)
    "serve": (["serve", "--workers", "3"], {}),
    "quickstart": (["quickstart"], {"CASEAPP_REQUIRE_TOTP": "false"}),
    "flask-run": (["run", "--no-reload"], {}),
}


@pytest.fixture(scope="module")
def instance(instance_template, tmp_path_factory):
    """An instance made the README's way, with four counselors of one unit."""
    folder = str(tmp_path_factory.mktemp("served") / "inst")
    shutil.copytree(instance_template, folder)
    env = clean_env(folder)
    for username, password in PEOPLE.items():
        created = run_caseapp(["users", "create", username, "--role", "counselor",
                               "--unit", "HUYEN", "--password-stdin", "--own-password"], env,
                              stdin=password + "\n")
        assert created.returncode == 0, created.stderr
    return folder


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request, instance):
    """One running server of each kind for the module's tests (started as a user would)."""
    args, overrides = SERVERS[request.param]
    port = free_port()
    args = [*args, "--port", str(port)]
    process = ServerProcess(args, clean_env(instance, **overrides), port)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def csrf_session_part(token: str) -> str:
    """Flask-WTF's token is the session's raw token, signed with a timestamp;
    the part before the first dot is the same for every token of one session."""
    return token.split(".", 1)[0]


def test_anonymous_requests_stay_anonymous_after_someone_logs_in(server):
    person = HttpSession(server.port)
    assert logged_in(person.login("tuvan.1", PEOPLE["tuvan.1"]))
    assert person.get("/api/v1/me").json()["username"] == "tuvan.1"
    for _ in range(12):  # more requests than workers: every worker is asked
        anonymous = HttpSession(server.port)
        api = anonymous.get("/api/v1/me")
        assert api.status == 401, api.body
        web = anonymous.get("/cases")
        assert web.status == 302 and web.headers["Location"].startswith("/login")
        assert "tuvan.1" not in api.body + web.body


def test_people_logged_in_at_once_are_each_answered_as_themselves(server):
    sessions = {name: HttpSession(server.port) for name in PEOPLE}
    for name, session in sessions.items():
        answer = session.login(name, PEOPLE[name])
        assert logged_in(answer), answer.body
    seen_tokens: dict[str, set[str]] = {name: set() for name in PEOPLE}
    wrong: list[str] = []

    def work(name: str) -> None:
        session = sessions[name]
        for round_ in range(15):
            me = session.get("/api/v1/me")
            if me.status != 200 or me.json()["username"] != name:
                wrong.append(f"{name} round {round_}: {me.status} {me.body[:80]}")
                continue
            seen_tokens[name].add(csrf_session_part(me.json()["csrf_token"]))
            home = session.get("/")
            if home.status != 200 or name not in home.body:
                wrong.append(f"{name} home round {round_}: {home.status}")
            if HttpSession(server.port).get("/api/v1/me").status != 401:
                wrong.append(f"anonymous answered as someone during {name}'s round {round_}")

    threads = [threading.Thread(target=work, args=(name,)) for name in PEOPLE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert wrong == []
    # One CSRF token per session, and no session holds another's.
    for name, tokens in seen_tokens.items():
        assert len(tokens) == 1, (name, tokens)
    all_tokens = [token for tokens in seen_tokens.values() for token in tokens]
    assert len(set(all_tokens)) == len(PEOPLE)


def test_a_form_posted_with_another_sessions_csrf_token_is_refused(server):
    first, second = HttpSession(server.port), HttpSession(server.port)
    assert logged_in(first.login("tuvan.2", PEOPLE["tuvan.2"]))
    stolen = first.get("/api/v1/me").json()["csrf_token"]
    page = second.get("/login")
    assert page.status == 200
    refused = second.post("/login", {"username": "tuvan.3", "password": PEOPLE["tuvan.3"],
                                     "csrf_token": stolen})
    assert refused.status == 400
    assert second.get("/api/v1/me").status == 401


@pytest.mark.browser
def test_a_fresh_browser_logs_in(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    base = f"http://127.0.0.1:{server.port}"
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.fill("input[name=username]", "tuvan.4")
    page.fill("input[name=password]", PEOPLE["tuvan.4"])
    if "tuvan.4" not in PHONES and server.args[0] != "quickstart":
        # The second factor is set up at the first login (over HTTP, as another test does).
        assert logged_in(HttpSession(server.port).login("tuvan.4", PEOPLE["tuvan.4"]))
    with page.expect_navigation():
        page.click("button.primary")
    for _attempt in range(2):  # not on quickstart's local demo (TOTP off)
        if page.url != base + "/login/code":
            break
        # A code typed as its 30 seconds run out can be refused: a person types the next.
        page.fill("input[name=code]", PHONES["tuvan.4"].code())
        with page.expect_navigation():
            page.click("button.primary")
    assert page.url == base + "/", (page.url, page.locator("main").inner_text()[:300])
    assert "tuvan.4" in page.locator("h1").inner_text()
    # A second browser at the same moment is not logged in.
    other = browser.new_context().new_page()
    other.goto(base + "/")
    assert other.url.startswith(base + "/login")
    assert errors == [], errors


def test_serve_runs_only_the_installed_app_and_its_own_settings(instance, tmp_path):
    """Started from a folder someone else could write to, `caseapp serve` runs
    neither a `caseapp` package found there nor a gunicorn.conf.py, and ignores
    GUNICORN_CMD_ARGS (each was code or options of a stranger's choosing)."""
    shared = tmp_path / "shared"
    (shared / "caseapp").mkdir(parents=True)
    (shared / "caseapp" / "__init__.py").write_text(
        "def create_app():\n"
        "    def app(environ, start_response):\n"
        "        start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "        return [b'impostor']\n"
        "    return app\n")
    marker = tmp_path / "conf-ran"
    (shared / "gunicorn.conf.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    port = free_port()
    env = clean_env(os.path.relpath(instance, shared), GUNICORN_CMD_ARGS="--threads 3")
    process = ServerProcess(["serve", "--workers", "1", "--port", str(port)], env, port,
                            cwd=str(shared))
    try:
        process.wait_ready()
        page = HttpSession(port).get("/login")
        assert "impostor" not in page.body and 'name="password"' in page.body
    finally:
        process.stop()
    assert not marker.exists()
    assert "Using worker: sync" in process.log()


def test_serve_refuses_to_start_on_an_instance_without_keys(tmp_path):
    env = clean_env(str(tmp_path / "empty"), CASEAPP_SECRET_KEY="s" * 48)
    os.makedirs(env["CASEAPP_INSTANCE"])
    result = run_caseapp(["serve", "--port", str(free_port())], env, timeout=60)
    assert result.returncode == 1
    assert "caseapp keys init" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_names_an_unsafe_setting_and_does_not_start(tmp_path):
    env = clean_env(str(tmp_path / "unsafe"), CASEAPP_SECRET_KEY="changeme")
    os.makedirs(env["CASEAPP_INSTANCE"])
    result = run_caseapp(["serve", "--port", str(free_port())], env, timeout=60)
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_workers_share_one_login_rate_allowance(instance):
    """Flask-Limiter's counters are in the database: two workers together grant
    the allowance once (with per-process memory each granted all of it)."""
    port = free_port()
    env = clean_env(instance, CASEAPP_LOGIN_RATE_LIMIT="6 per minute")
    process = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    statuses: list[int] = []
    try:
        process.wait_ready()
        # Sixteen at once, so both workers take some of them; each a different
        # username, so the failed-login throttle (five per username) stays out of it.
        threads = [threading.Thread(target=lambda n=n: statuses.append(
            HttpSession(port).login(f"nobody.{n}", "not the password").status))
            for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        process.stop()
    assert len(statuses) == 16
    assert statuses.count(429) == 10, statuses
    assert "worker" in process.log().lower()


def test_serve_takes_its_worker_count_from_the_settings(instance):
    """Without --workers, `caseapp serve` starts SERVE_WORKERS workers; a
    value out of range is named and nothing starts."""
    port = free_port()
    process = ServerProcess(["serve", "--port", str(port)],
                            clean_env(instance, CASEAPP_SERVE_WORKERS="3"), port)
    try:
        process.wait_ready()
        deadline = time.monotonic() + 60
        while process.log().count("Booting worker") < 3 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert process.log().count("Booting worker") == 3, process.log()
    finally:
        process.stop()
    refused = run_caseapp(["serve", "--port", str(free_port())],
                          clean_env(instance, CASEAPP_SERVE_WORKERS="0"), timeout=60)
    assert refused.returncode == 1
    assert "SERVE_WORKERS" in refused.stderr and "Traceback" not in refused.stderr


def test_serve_access_log_has_the_path_but_not_the_query_or_referer(instance):
    """Page marks travel in query strings: the access log keeps the path only."""
    port = free_port()
    process = ServerProcess(["serve", "--workers", "1", "--port", str(port)],
                            clean_env(instance), port)
    try:
        process.wait_ready()
        answer = HttpSession(port).get("/login?after=SECRETTOKEN&next=%2Fcases%2FQUERYPART",
                                       headers={"Referer": "http://x/REFERERPART?a=1"})
        assert answer.status == 200
        deadline = time.monotonic() + 30
        while '"GET /login"' not in process.log() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.stop()
    log = process.log()
    assert '"GET /login" 200' in log, log
    for secret in ("SECRETTOKEN", "QUERYPART", "REFERERPART", "after="):
        assert secret not in log


@pytest.mark.parametrize("workers", [["--workers", "2"], []])
def test_serve_refuses_per_process_rate_limits_with_several_workers(instance, workers):
    env = clean_env(instance, CASEAPP_RATELIMIT_STORAGE_URI="memory://")
    refused = run_caseapp(["serve", *workers, "--port", str(free_port())], env, timeout=60)
    assert refused.returncode == 1
    assert "RATELIMIT_STORAGE_URI" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr


def test_serve_allows_per_process_rate_limits_with_one_worker(instance):
    port = free_port()
    process = ServerProcess(["serve", "--workers", "1", "--port", str(port)],
                            clean_env(instance, CASEAPP_RATELIMIT_STORAGE_URI="memory://"), port)
    try:
        process.wait_ready()
        assert HttpSession(port).get("/login").status == 200
    finally:
        process.stop()
