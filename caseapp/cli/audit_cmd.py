"""`caseapp audit verify` and `caseapp audit checkpoint`.

Both read on the app's session (one transaction for the whole walk), record
what they did in the log, and commit once at the end.
"""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

import audit as audit_lib
from caseapp.audit_trail import record
from caseapp.auditlog import checkpoints as periodic
from caseapp.extensions import db


def checkpoint_path() -> str:
    return periodic.checkpoint_path()


@click.group("audit", help="The append-only audit log.")
def audit():
    pass


def _read_checkpoints(path: str) -> list[dict]:
    if not os.path.exists(path):
        # A new instance has none yet. Say so: without checkpoints a cut-off
        # tail cannot be told from a short log.
        click.echo(f"note: no checkpoint file at {path}; a cut-off tail cannot be detected "
                   "until `caseapp audit checkpoint` (or the app) writes one", err=True)
        return []
    return list(audit_lib.read_checkpoints(path))


def _recorded_checkpoints() -> int:
    entries = audit_lib.audit_entries
    return db.session.execute(
        select(func.count()).select_from(entries)
        .where(entries.c.action == "audit.checkpoint", entries.c.outcome == "ok")).scalar_one()


@audit.command("verify", help="Check every entry and checkpoint; exit 1 naming the first "
                              "broken entry.")
@with_appcontext
def verify():
    keys = current_app.extensions["caseapp_keys"]
    path = checkpoint_path()
    try:
        checkpoints = _read_checkpoints(path)
    except (OSError, ValueError) as exc:
        result = audit_lib.VerifyResult(False, 0, None, None, None,
                                        f"The checkpoint file cannot be read: {exc}")
        checkpoints = []
    else:
        result = audit_lib.verify_chain(db.session.connection(), keys.audit_mac_key,
                                        checkpoints=checkpoints, public_key=keys.audit_verify_key)
        recorded = _recorded_checkpoints()
        if result.ok and recorded > len(checkpoints):
            result = audit_lib.VerifyResult(
                False, result.count, result.head_seq, result.head_mac, None,
                f"the log records {recorded} checkpoints but the checkpoint file holds "
                f"{len(checkpoints)}: checkpoints were removed")
    db.session.rollback()

    details = {"count": result.count, "head_seq": result.head_seq,
               "checkpoints": len(checkpoints)}
    if result.ok:
        record("audit.verify", actor="system", details=details)
        db.session.commit()
        click.echo(f"ok: {result.count} entries, head seq {result.head_seq or 0} "
                   f"mac {result.head_mac or audit_lib.GENESIS_MAC}, "
                   f"{len(checkpoints)} checkpoints")
        return
    details["first_bad_seq"] = result.first_bad_seq
    record("audit.verify", outcome="failed", actor="system", details=details)
    db.session.commit()
    where = (f"at entry {result.first_bad_seq}" if result.first_bad_seq is not None
             else "(not in one entry)")
    click.echo(f"BROKEN {where}: {result.problem}", err=True)
    click.echo(f"intact: {result.count} entries before it", err=True)
    sys.exit(1)


@audit.command("checkpoint", help="Sign the head of the log now and append it to the "
                                  "checkpoint file (and print it).")
@with_appcontext
def checkpoint():
    cp = periodic.write_checkpoint(force=True)
    db.session.rollback()
    click.echo(f"checkpoint seq={cp['seq']} head={cp['head_mac']} at={cp['at']} sig={cp['sig']}")
