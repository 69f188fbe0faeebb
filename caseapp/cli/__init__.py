"""The `caseapp` command: a Flask command group plus caseapp's own commands.

Commands that prepare an instance (``quickstart``, ``keys init``) run before
the app can start, so they build the app themselves once keys exist.
"""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from caseapp import create_app


def _create_app():
    return create_app()


def register(app) -> None:
    from . import audit_cmd, cases, notifications, reports, units, users

    cases.register(app)

    for group in (units.units, users.users, audit_cmd.audit, reports.report,
                  notifications.notifications):
        if group.name not in app.cli.commands:
            app.cli.add_command(group)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             set_debug_flag=False, load_dotenv=False)
def main():
    """caseapp: confidential case management for children harmed online."""


def _add_setup_commands() -> None:
    from . import keys, quickstart, serve

    main.add_command(quickstart.quickstart)
    main.add_command(keys.keys)
    # Not an app command: Flask pushes an application context around those,
    # and serving must not start inside one (see serve.py).
    main.add_command(serve.serve)


_add_setup_commands()
