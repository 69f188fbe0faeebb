from __future__ import annotations

import os
import secrets

import click

from caseapp import settings
from caseapp.admin import service as admin_service

from .common import make_private_dir
from .keys import init_keys

DEMO_UNIT = ("HUYEN", "Huyện đoàn (đơn vị mẫu)")


def _write_secret_key(instance: str) -> None:
    path = os.path.join(instance, "secret_key")
    if os.path.exists(path) or os.environ.get("CASEAPP_SECRET_KEY"):
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))


def _restrict_database_files(app) -> None:
    """The SQLite file and its WAL hold encrypted data and the audit log: owner only."""
    from caseapp.extensions import db

    if db.engine.dialect.name != "sqlite":
        return
    path = db.engine.url.database
    for name in (path, path + "-wal", path + "-shm"):
        if name and os.path.exists(name):
            os.chmod(name, 0o600)


# Letters and digits that sit in the same place and look alike on every common
# keyboard (QWERTY, QWERTZ, AZERTY, Vietnamese Telex/VNI input turned on): no
# accents, no a/q/w/z/y/m (moved on AZERTY/QWERTZ), no 0/o, 1/l/i look-alikes.
TEMPORARY_ALPHABET = "bcdefghjknprstuvx23456789"


def temporary_password(groups: int = 5, size: int = 4) -> str:
    """A random password for one first login (the admin replaces it at once):
    5 groups of 4 from 25 symbols, about 93 bits, read aloud or copied easily.
    Each character from `secrets`, the operating system's generator."""
    return "-".join("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(size))
                    for _ in range(groups))


def _make_admin(system) -> str:
    """The first admin, with a temporary password (changed at the first login)."""
    for _attempt in range(20):
        password = temporary_password()
        try:
            admin_service.create_user(system, admin_service.NewUser(
                "admin", "admin", DEMO_UNIT[0], password, "Quản trị viên",
                temporary_password=True))
        except admin_service.AccountError as exc:
            # Astronomically rare (a random run that reads as a sequence): draw again.
            if exc.field != "password":
                raise
            continue
        return password
    raise click.ClickException("could not draw an acceptable admin password")


@click.command(help="Make the instance (keys, SQLite database, one unit, an admin) and serve it.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the instance and exit.")
def quickstart(port, no_serve):
    from flask_migrate import upgrade

    from caseapp import MIGRATIONS_DIR, create_app
    from caseapp.accounts import service as accounts
    from caseapp.extensions import db
    from caseapp.units import service as units

    instance = settings.instance_path()
    make_private_dir(instance)
    click.echo(f"instance folder: {instance}")
    _write_secret_key(instance)
    keys_created = init_keys(quiet=True)

    env = os.environ.get("CASEAPP_ENV", "development")
    app = create_app(env=env)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        _restrict_database_files(app)
        if keys_created:
            # The log's first entry: the creation of this instance's keys.
            from caseapp.auditing.writer import ensure_genesis

            ensure_genesis()
            db.session.commit()
        if units.by_code(DEMO_UNIT[0]) is None and not units.tree():
            admin_service.create_unit("system", *DEMO_UNIT)
            password = _make_admin(accounts.SYSTEM)
            db.session.commit()
            click.echo("admin account: admin")
            click.echo(f"admin password (shown once, write it down): {password}")
            click.echo("at the first login you replace this password with your own")
            if app.config["REQUIRE_TOTP"]:
                click.echo("and set up an authenticator app "
                           "(CASEAPP_REQUIRE_TOTP=false turns this off for a local demo)")
        else:
            click.echo("the instance already has units and users; nothing created")
    if no_serve:
        return
    click.echo(f"serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    # Werkzeug's server directly: Flask ignores app.run() inside its own CLI.
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", port, app, use_reloader=False, use_debugger=False, threaded=True)
