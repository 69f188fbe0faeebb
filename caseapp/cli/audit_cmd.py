from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

import audit as audit_lib
from caseapp.audit_trail import record
from caseapp.extensions import db


def checkpoint_path() -> str:
    return os.path.join(current_app.instance_path, "audit-checkpoints.jsonl")


@click.group("audit", help="The append-only audit log.")
def audit():
    pass


@audit.command("verify")
@with_appcontext
def verify():
    keys = current_app.extensions["caseapp_keys"]
    path = checkpoint_path()
    checkpoints = list(audit_lib.read_checkpoints(path)) if os.path.exists(path) else []
    with db.engine.connect() as connection:
        result = audit_lib.verify_chain(connection, keys.audit_mac_key, checkpoints=checkpoints,
                                        public_key=keys.audit_signing_key.public_key())
    if result.ok:
        click.echo(f"ok: {result.count} entries, head seq {result.head_seq} mac {result.head_mac}, "
                   f"{len(checkpoints)} checkpoints")
        record("audit.verify", actor="system", details={"count": result.count})
        db.session.commit()
        return
    click.echo(f"BROKEN at entry {result.first_bad_seq}: {result.problem}", err=True)
    sys.exit(2)


@audit.command("checkpoint")
@with_appcontext
def checkpoint():
    keys = current_app.extensions["caseapp_keys"]
    record("audit.checkpoint", actor="system")
    db.session.commit()
    with db.engine.connect() as connection:
        cp = audit_lib.make_checkpoint(connection, keys.audit_signing_key)
    audit_lib.append_checkpoint_file(checkpoint_path(), cp)
    click.echo(f"checkpoint seq={cp['seq']} head={cp['head_mac']} at={cp['at']} sig={cp['sig']}")
