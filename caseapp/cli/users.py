from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from caseapp.accounts import service
from caseapp.accounts.models import User
from caseapp.admin import service as admin_service
from caseapp.extensions import db
from caseapp.settings import ROLES

from .common import commit_or_fail, fail


@click.group(help="Manage user accounts.")
def users():
    pass


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            fail("no password on standard input")
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _get(username: str) -> User:
    user = service.find_user(username)
    if user is None:
        fail(f"no user named {username}")
    return user


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "unit_code", required=True, help="Code of the user's unit.")
@click.option("--name", "display_name", default="", help="The person's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--own-password", is_flag=True,
              help="The password is the account owner's own (they typed it): no change at the "
                   "first login. Without it, they choose a new one when they first log in.")
@with_appcontext
def create(username, role, unit_code, display_name, password_stdin, own_password):
    password = _read_password(password_stdin)
    user = commit_or_fail(lambda: admin_service.create_user(
        service.SYSTEM, admin_service.NewUser(username, role, unit_code, password, display_name,
                                              temporary_password=not own_password)))
    click.echo(f"created user {user.username} ({user.role}, {unit_code})")
    if user.must_change_password:
        click.echo("they choose their own password at the first login")


@users.command("list")
@with_appcontext
def list_users():
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "enabled" if user.is_enabled else "disabled"
        totp = "totp" if user.totp_enrolled else "no-totp"
        click.echo(f"{user.username}\t{user.role}\t{user.unit.code}\t{state}\t{totp}")


@users.command("disable")
@click.argument("username")
@with_appcontext
def disable(username):
    user = _get(username)
    commit_or_fail(lambda: admin_service.set_enabled(service.SYSTEM, user, False))
    click.echo(f"disabled {user.username}; their sessions have ended")


@users.command("enable")
@click.argument("username")
@with_appcontext
def enable(username):
    user = _get(username)
    commit_or_fail(lambda: admin_service.set_enabled(service.SYSTEM, user, True))
    click.echo(f"enabled {user.username}")


@users.command("unlock")
@click.argument("username")
@with_appcontext
def unlock(username):
    user = _get(username)
    commit_or_fail(lambda: admin_service.lift_lock(service.SYSTEM, user))
    click.echo(f"lifted the login lock of {user.username}")


@users.command("reset-totp")
@click.argument("username")
@with_appcontext
def reset_totp(username):
    user = _get(username)
    commit_or_fail(lambda: admin_service.reset_second_factor(service.SYSTEM, user))
    click.echo(f"reset the second factor of {user.username}")
