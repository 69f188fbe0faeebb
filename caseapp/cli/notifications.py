"""``caseapp notifications scan|digest``: deadline notices and the e-mail digest,
for a timer (without one, the app scans by itself after requests)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .common import fail


@click.group("notifications", help="Deadline notices and the e-mail digest (for cron).")
def notifications():
    pass


@notifications.command("scan", help="Notify deadlines falling due soon and missed, and data "
                                    "requests due (each once). Run it from a timer every "
                                    "NOTIFY_SCAN_MINUTES: while it runs, the app's workers do "
                                    "not scan after requests.")
@with_appcontext
def scan():
    from caseapp.notifications import events

    click.echo(f"made {events.scan_and_record()} notification(s)")


@notifications.command("digest", help="E-mail each person who asked for a digest their unread "
                                      "notifications (kinds and case references only).")
@with_appcontext
def digest():
    from caseapp.notifications import digest as digests

    try:
        result = digests.send_digests()
    except (RuntimeError, OSError) as error:
        fail(f"no digest sent: {error}")
    click.echo(f"sent {result.sent} digest(s); {result.skipped} person(s) had nothing new")
