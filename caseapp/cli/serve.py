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


def gunicorn_argv(host: str, port: int, workers: int, timeout: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--timeout", str(timeout),
        "--name", "caseapp",
        # Access logs carry paths only; no query string or URL holds child data by design.
        "--access-logfile", "-",
        # Each worker imports and builds the app itself (no preload): its own
        # engine, its own key ring copy, no state from the master.
        "caseapp:create_app()",
    ]


def check_app_starts() -> None:
    """Build the app once here, so a bad setting or a missing key file is
    reported by the command instead of by every worker failing to boot."""
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


@click.command("serve", help="Run the production server (gunicorn), one app per worker.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(10, 600),
              help="Seconds before a silent worker is restarted.")
def serve(host, port, workers, timeout):
    check_app_starts()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, gunicorn_argv(host, port, workers, timeout))
