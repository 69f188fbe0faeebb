"""`caseapp serve`: the production server.

The command replaces itself with gunicorn (``exec``), and each worker builds
its own app after the fork. Nothing of the command's process reaches a
worker: an application context inherited across a fork is reused by Flask
for every request, so ``g`` (the logged-in user, the CSRF token) and the
database session would be shared between people (issue 10, SECURITY.md).
"""
from __future__ import annotations

import os
import sys

import click

from .common import fail


def package_root() -> str:
    """The folder holding the installed ``caseapp`` package."""
    import caseapp

    return os.path.dirname(os.path.dirname(os.path.abspath(caseapp.__file__)))


# Remote address, time, method, path (no query), status, bytes, seconds taken.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'


def gunicorn_argv(host: str, port: int, workers: int, timeout: int) -> list[str]:
    # Only what is written here configures the server: no ./gunicorn.conf.py,
    # no GUNICORN_CMD_ARGS (see gunicorn_env), and gunicorn's working folder
    # (which it puts first on sys.path) is the installed package's, so a
    # `caseapp` folder or a config file where the command was typed is never run.
    return [
        sys.executable, "-I", "-m", "gunicorn",
        "--config", "python:caseapp.cli.gunicorn_settings",
        "--chdir", package_root(),
        # One server's control socket must not be taken over by another's.
        "--no-control-socket",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--timeout", str(timeout),
        "--name", "caseapp",
        # Access logs carry paths only: gunicorn's default line is the whole
        # request line (with the query string, where page marks travel) and
        # the Referer and User-Agent. %(U)s is the path without its query.
        "--access-logfile", "-",
        "--access-logformat", ACCESS_LOG_FORMAT,
        # Each worker imports and builds the app itself (no preload): its own
        # engine, its own key ring copy, no state from the master.
        "caseapp:create_app()",
    ]


def gunicorn_env() -> dict[str, str]:
    """The environment for gunicorn: the instance folder made absolute (the
    working folder changes), and gunicorn's own option variable dropped."""
    from caseapp import settings

    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CMD_ARGS"}
    env["CASEAPP_INSTANCE"] = settings.instance_path()
    return env


def check_app_starts() -> dict:
    """Build the app once here, so a bad setting or a missing key file is
    reported by the command instead of by every worker failing to boot; the
    app's settings are returned (the worker count and timeout come from them)."""
    from caseapp import create_app
    from caseapp.crypto.errors import KeyRingError
    from caseapp.extensions import db
    from caseapp.settings import ConfigError

    try:
        app = create_app()
    except (ConfigError, KeyRingError) as exc:
        fail(str(exc))
    with app.app_context():
        db.engine.dispose()
    return dict(app.config)


def refuse_per_process_limits(config: dict, workers: int) -> None:
    """Rate-limit counters kept in each process's memory would give each
    worker the whole allowance (login attempts times the worker count)."""
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "")
    if workers > 1 and storage.strip().lower().startswith("memory:"):
        fail(f"RATELIMIT_STORAGE_URI={storage} keeps each worker's own counters, so "
             f"{workers} workers would each grant the whole allowance: use caseapp-db:// "
             "(the default) or redis://..., or --workers 1")


@click.command("serve", help="Run the production server (gunicorn), one app per worker.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Worker processes (default: the SERVE_WORKERS setting, 2).")
@click.option("--timeout", default=None, type=click.IntRange(10, 600),
              help="Seconds before a silent worker is restarted (default: SERVE_TIMEOUT, 60).")
def serve(host, port, workers, timeout):
    config = check_app_starts()
    workers = workers or config["SERVE_WORKERS"]
    timeout = timeout or config["SERVE_TIMEOUT"]
    refuse_per_process_limits(config, workers)
    sys.stdout.flush()
    sys.stderr.flush()
    env = gunicorn_env()
    # gunicorn puts its starting folder first on sys.path before it reads any
    # option: start it where the installed package is.
    os.chdir(package_root())
    os.execve(sys.executable, gunicorn_argv(host, port, workers, timeout), env)
