"""`caseapp tokens issue|list|revoke`: partner API tokens from the host."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from caseapp import clock
from caseapp.partners import service
from caseapp.partners.models import SCOPES
from caseapp.permissions.partners import SYSTEM

from .common import commit_or_fail, fail


@click.group(help="Partner API tokens (a partner's system files reports into one unit).")
def tokens():
    pass


@tokens.command("issue")
@click.option("--unit", "unit_code", required=True, help="Code of the unit the token files into.")
@click.option("--scope", "scopes", required=True, multiple=True, type=click.Choice(SCOPES),
              help="What the token may do (repeat for several).")
@click.option("--name", "partner_name", required=True,
              help="The partner's name; its tokens in one unit share the cases they filed.")
@click.option("--days", required=True, type=int,
              help="Days until the token expires (at most PARTNER_TOKEN_MAX_DAYS).")
@with_appcontext
def issue(unit_code, scopes, partner_name, days):
    """Issue a token; its secret is printed once, alone on the last line."""
    token, secret = commit_or_fail(lambda: service.issue_token(
        SYSTEM, service.NewToken(partner_name, unit_code, tuple(scopes), days)))
    click.echo(f"issued token {token.id} for {token.partner_name} ({token.unit.code}, "
               f"{' '.join(token.scope_list)}), expires {token.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo("the secret below is shown only now: give it to the partner over a safe channel",
               err=True)
    click.echo(secret)


@tokens.command("list")
@with_appcontext
def list_tokens():
    now = clock.now()
    for token in service.all_tokens():
        state = ("revoked" if token.revoked_at else "expired" if token.expires_at <= now
                 else "active")
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(f"{token.id}\t{token.secret_hint}…\t{token.partner_name}\t{token.unit.code}\t"
                   f"{','.join(token.scope_list)}\t{token.expires_at:%Y-%m-%d}\t{used}\t{state}")


@tokens.command("revoke")
@click.argument("token_id")
@with_appcontext
def revoke(token_id):
    token = service.find_token(token_id)
    if token is None:
        fail(f"no token with id {token_id}")
    if commit_or_fail(lambda: service.revoke_token(SYSTEM, token)):
        click.echo(f"revoked token {token.id}: calls with it are refused from now on")
    else:
        click.echo(f"token {token.id} was revoked already")
