"""Shared fixtures: one migrated database per run, a savepoint per test.

Set CASEAPP_TEST_DATABASE_URL (postgresql+psycopg://...) to run the whole
suite on PostgreSQL; SQLite in a temporary folder otherwise.
"""
from __future__ import annotations

import contextvars
import os
import re
import shutil
import socket
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from caseapp import MIGRATIONS_DIR, clock, create_app
from caseapp.accounts import service as accounts
from caseapp.admin import service as admin_service
from caseapp.crypto import key_scope
from caseapp.crypto.keyring import KeyRing
from caseapp.extensions import db, limiter

TEST_DATABASE_URL = os.environ.get("CASEAPP_TEST_DATABASE_URL")
# CI sets CASEAPP_TEST_LONG=1: the property-based and state-machine tests run
# many more examples there than in a developer's run (never fewer rules).
LONG = os.environ.get("CASEAPP_TEST_LONG") == "1"


def examples(quick: int, long: int) -> int:
    """How many examples a property-based test runs (more in CI)."""
    return long if LONG else quick


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": name}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


TEST_DATABASE_URL = _worker_database(TEST_DATABASE_URL)
CHROMIUM = os.environ.get("CASEAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    """Byte-compile the app once: the tests start `caseapp` as a subprocess many
    times, and with PYTHONDONTWRITEBYTECODE set (as on this CI) each start would
    otherwise compile every module again."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    import compileall

    import caseapp

    compileall.compile_dir(os.path.dirname(caseapp.__file__), quiet=1)


def pytest_collection_modifyitems(config, items):
    """Without a PostgreSQL server, tests parametrised for "postgresql" are
    deselected rather than skipped: CI runs them in its PostgreSQL pass."""
    if TEST_DATABASE_URL:
        return
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        (drop if "postgresql" in params.values() else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def settings_for_tests(instance: str, **extra) -> dict:
    settings = {
        "INSTANCE_PATH": instance,
        "SECRET_KEY": "test-secret-key-" + "x" * 40,
        "CASEAPP_KEYRING": KEYRING,
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{instance}/test.db",
    }
    settings.update(extra)
    return settings


def closed_after(app):
    """For a fixture's own app: yields it, then closes its connections (its
    database, a file or a PostgreSQL database of its own, may then be dropped)."""
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


KEYRING = KeyRing.generate()


def reset_postgres_schema(app) -> None:
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = str(tmp_path_factory.mktemp("instance"))
    app = create_app(settings_for_tests(instance), env="testing")
    app.test_client_class = IsolatedClient
    # The once-per-process start-up entry would land in whichever test runs first.
    app.extensions["caseapp_audit_started"] = True
    if TEST_DATABASE_URL:
        reset_postgres_schema(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        # The log's first entry, as on any instance; committed once for the run.
        from caseapp.auditing.writer import ensure_genesis

        ensure_genesis()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request, app):
    """Each test runs inside a transaction that is rolled back at the end
    (SQLAlchemy's "join a session into an external transaction" recipe)."""
    if "no_db_isolation" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # Flask-SQLAlchemy's Session picks its engine itself and ignores a
        # bind, so the test session is a plain one on the test connection.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id)
        limiter.reset()
        checkpoints_kept = _checkpoints_at(app)
        scope = key_scope()
        scope.__enter__()
        try:
            yield
        finally:
            scope.__exit__(None, None, None)
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            clock.reset()
            _roll_checkpoints_back(app, checkpoints_kept)


def _checkpoints_at(app) -> int:
    from caseapp.auditlog.checkpoints import checkpoint_path

    path = checkpoint_path(app)
    return os.path.getsize(path) if os.path.exists(path) else 0


def _roll_checkpoints_back(app, size: int) -> None:
    """The instance's signed checkpoints as they were before the test: one
    signed during the test names entries its rollback took away, and the next
    test's ``verify_log`` would report the log cut short."""
    from caseapp.auditlog.checkpoints import _STATE, checkpoint_path

    path = checkpoint_path(app)
    if os.path.exists(path) and os.path.getsize(path) > size:
        os.truncate(path, size)
    app.extensions.pop(_STATE, None)


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a server would.

    The test itself holds an app context (for factories and assertions);
    Flask would otherwise reuse it, and with it ``g``, for every request,
    so the CSRF token and Flask-Login's user would leak between requests.
    """

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)
        return contextvars.copy_context().run(run)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def travel():
    """Move the app's clock forward without sleeping."""
    def move(**kwargs):
        clock.travel(timedelta(**kwargs))
    return move


@dataclass
class MadeUser:
    user: object
    password: str
    totp_secret: str | None

    @property
    def username(self) -> str:
        return self.user.username

    def code(self, offset_steps: int = 0) -> str:
        totp = pyotp.TOTP(self.totp_secret)
        return totp.generate_otp(totp.timecode(clock.now()) + offset_steps)

    def unused_code(self) -> str:
        """A code of a time step not used yet (a second login within 30 seconds
        takes the next step, which the valid window accepts)."""
        from caseapp.accounts.models import User

        last = db.session.scalar(db.select(User.totp_last_step).where(
            User.id == self.user.id))
        now = pyotp.TOTP(self.totp_secret).timecode(clock.now())
        return self.code(0 if last is None or last < now else last + 1 - now)


@pytest.fixture
def make_unit(app):
    counter = iter(range(1, 10_000))

    def make(code: str | None = None, parent=None, name: str | None = None):
        code = code or f"U{next(counter)}"
        unit = admin_service.create_unit("system", code, name or f"Unit {code}",
                                 parent.code if parent else None)
        db.session.commit()
        return unit
    return make


@pytest.fixture
def make_user(app, make_unit):
    counter = iter(range(1, 10_000))

    def make(role: str = "counselor", unit=None, username: str | None = None,
             password: str = PASSWORD, totp: bool = True):
        unit = unit or make_unit()
        username = username or f"{role}{next(counter)}"
        user = admin_service.create_user(accounts.SYSTEM,
                                    admin_service.NewUser(username, role, unit.code, password,
                                                          temporary_password=False))
        secret = None
        if totp:
            accounts.begin_totp_enrolment(user)
            secret = accounts.enrolment_secret(user)
            totp = pyotp.TOTP(secret)
            accounts.confirm_totp_enrolment(user, totp.generate_otp(totp.timecode(clock.now())))
            # The enrolment used this step; let the login use a fresh one.
            user.totp_last_step = None
        db.session.commit()
        return MadeUser(user, password, secret)
    return make


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, made: MadeUser, *, password: str | None = None, code: str | None = None,
              follow: bool = True):
        token = csrf_token(self.client, "/login")
        response = self.client.post("/login", data={
            "csrf_token": token, "username": made.username,
            "password": password if password is not None else made.password})
        if response.status_code != 302 or "/login/code" not in response.headers["Location"]:
            return response
        token = csrf_token(self.client, "/login/code")
        return self.client.post("/login/code", data={
            "csrf_token": token, "code": code if code is not None else made.unused_code()},
            follow_redirects=follow)

    def enrol(self) -> str:
        """Set up the second factor on the first-login page, as a person would;
        returns the secret (the response shows the recovery codes)."""
        page = self.client.get("/login/enrol").get_data(as_text=True)
        secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
        totp = pyotp.TOTP(secret)
        answer = self.client.post("/login/enrol", data={
            "csrf_token": csrf_token(self.client, "/login/enrol"),
            "code": totp.generate_otp(totp.timecode(clock.now()))})
        assert answer.status_code == 200, answer.status_code
        return secret

    def logout(self):
        token = csrf_token(self.client, "/account")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                              headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory):
    """An instance made the README's way (`caseapp quickstart --no-serve`), once per
    worker: copying it is much faster than making one per test."""
    from tests.http_client import clean_env, run_caseapp

    folder = tmp_path_factory.mktemp("template") / "inst"
    made = run_caseapp(["quickstart", "--no-serve"], clean_env(str(folder)))
    assert made.returncode == 0, made.stderr
    return folder


@pytest.fixture
def fresh_instance(instance_template, tmp_path):
    """A private copy of the template instance (keys, database, the admin)."""
    copy = tmp_path / "inst"
    shutil.copytree(instance_template, copy)
    return copy


class Mailbox:
    """What an SMTP server on loopback received."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("refused"):  # a mailbox that does not exist
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        from email import message_from_bytes, policy

        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port: ``smtp.port``,
    ``smtp.messages`` [(recipients, message)]."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    try:
        yield box
    finally:
        controller.stop()
