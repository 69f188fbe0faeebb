"""The `caseapp` command: a Flask command group plus caseapp's own commands.

Commands that prepare an instance (``quickstart``, ``keys init``) run before
the app can start, so they build the app themselves once keys exist.
"""
from __future__ import annotations

import click
from flask.cli import FlaskGroup, NoAppException

from caseapp import create_app


class NoInstance(NoAppException):
    """The app cannot start here: one line (Flask lists the commands anyway and
    prints this once; a command stops with it, exit 1, without a usage text)."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def _create_app():
    """The app, or one clear line saying what is missing or wrong (never a
    traceback: a newcomer types `caseapp --help` before anything else)."""
    import os

    from caseapp.crypto.errors import KeyRingError
    from caseapp.settings import ConfigError, instance_path

    folder = instance_path()
    try:
        return create_app()
    except ConfigError as error:
        if not os.path.isdir(folder):
            raise NoInstance(f"no instance in {folder}: run `caseapp quickstart` to make one "
                             f"there, or set CASEAPP_INSTANCE to an instance folder") from None
        problems = "; ".join(line.strip(" -") for line in str(error).splitlines()[1:]
                             if line.strip()) or str(error)
        raise NoInstance(f"the settings cannot be used: {problems} (fix it in "
                         f"{os.path.join(folder, 'config.py')} or the CASEAPP_ environment "
                         f"variable of the same name)") from None
    except KeyRingError as error:
        raise NoInstance(f"no usable instance in {folder}: {error}") from None


def register(app) -> None:
    from . import audit_cmd, cases, notifications, reports, tokens, units, users

    cases.register(app)

    for group in (units.units, users.users, audit_cmd.audit, reports.report,
                  notifications.notifications, tokens.tokens):
        if group.name not in app.cli.commands:
            app.cli.add_command(group)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             set_debug_flag=False, load_dotenv=False)
def main():
    """caseapp: confidential case management for children harmed online."""


def _add_setup_commands() -> None:
    from flask_migrate.cli import db as migrate_db

    from . import (
        audit_cmd,
        backup,
        cases,
        keys,
        notifications,
        quickstart,
        reports,
        serve,
        tokens,
        units,
        users,
    )

    main.add_command(quickstart.quickstart)
    main.add_command(keys.keys)
    # Not an app command: Flask pushes an application context around those,
    # and serving must not start inside one (see serve.py).
    main.add_command(serve.serve)
    # The app's commands, listed by `caseapp --help` even where no instance is
    # ready yet (they build the app when they run, and say what is missing).
    for command in (units.units, users.users, audit_cmd.audit, reports.report,
                    notifications.notifications, cases.retention, cases.demo_data,
                    cases.cases_group, backup.backup, backup.restore, tokens.tokens,
                    migrate_db):
        main.add_command(command)


_add_setup_commands()
