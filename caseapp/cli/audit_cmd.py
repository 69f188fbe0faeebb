"""`caseapp audit verify` and `caseapp audit checkpoint`.

Both read on the app's session (one transaction for the whole walk), record
what they did in the log, and commit once at the end.
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

import audit as audit_lib
from caseapp.auditing.writer import record
from caseapp.auditlog import checkpoints as periodic
from caseapp.auditlog import verification
from caseapp.extensions import db

from .common import Progress


@click.group("audit", help="The append-only audit log.")
def audit():
    pass


@audit.command("verify", help="Check every entry, every checkpoint copy and that the log is "
                              "whole; exit 1 naming the first broken entry.")
@with_appcontext
def verify():
    shown = [Progress("checking entries")]

    def rows_update(done: int, total: int) -> None:
        # The second phase: the sealed rows (cases, accounts...) against the log.
        if shown[-1].label != "checking sealed rows":
            shown[-1].finish()
            shown.append(Progress("checking sealed rows", total))
        shown[-1].update(done, total)

    report = verification.verify_log(progress=shown[0].update, rows_progress=rows_update)
    shown[-1].finish()
    db.session.rollback()
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    details = {"count": report.count, "head_seq": report.head_seq,
               "checkpoints": report.checkpoints}
    if report.ok:
        record("audit.verify", actor="system", details=details)
        db.session.commit()
        click.echo(f"ok: {report.count} entries, head seq {report.head_seq or 0} "
                   f"mac {report.head_mac or audit_lib.GENESIS_MAC}, "
                   f"{report.checkpoints} checkpoints")
        return
    details["first_bad_seq"] = report.first_bad_seq
    record("audit.verify", outcome="failed", actor="system", details=details)
    db.session.commit()
    where = (f"at entry {report.first_bad_seq}" if report.first_bad_seq is not None
             else "(not in one entry)")
    click.echo(f"BROKEN {where}: {report.problem}", err=True)
    click.echo(f"intact: {report.count} entries before it", err=True)
    sys.exit(1)


@audit.command("checkpoint", help="Sign the head of the log now and append it to the "
                                  "checkpoint file (and print it).")
@with_appcontext
def checkpoint():
    cp = periodic.write_checkpoint(force=True)
    db.session.rollback()
    click.echo(f"checkpoint seq={cp['seq']} head={cp['head_mac']} at={cp['at']} sig={cp['sig']}")
