from __future__ import annotations

import os

import click

from caseapp import settings

from .common import fail, make_private_dir


@click.group(help="Key-encryption keys, blind-index and audit keys.")
def keys():
    pass


def keyfile_path() -> str:
    return os.path.join(settings.instance_path(), "keys.json")


def init_keys(quiet: bool = False) -> bool:
    """Write a new key file unless one exists (or keys come from CASEAPP_KEYS)."""
    from caseapp.crypto.keyring import KeyRing, write_keyfile

    if os.environ.get("CASEAPP_KEYS"):
        if not quiet:
            click.echo("keys come from CASEAPP_KEYS; no key file written")
        return False
    path = keyfile_path()
    if os.path.exists(path):
        if not quiet:
            click.echo(f"key file already exists: {path}")
        return False
    make_private_dir(os.path.dirname(path))
    write_keyfile(path, KeyRing.generate())
    click.echo(f"wrote key file {path} (mode 0600). Back it up apart from the database: "
               "without it no case can be read.")
    return True


@keys.command("init")
def init():
    init_keys()


@keys.command("status")
def status():
    from caseapp import create_app
    from caseapp.crypto import current_keyring
    from caseapp.crypto.rotation import key_status
    from caseapp.extensions import db

    app = create_app()
    with app.app_context():
        ring = current_keyring()
        for row in key_status(db.session, ring):
            flags = [f for f, on in (("current", row.current), ("retired", row.retired)) if on]
            click.echo(f"version {row.version}\t{row.wrapped_count} data keys\t{' '.join(flags)}")


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=int)
@click.option("--resume", is_flag=True, help="Only re-wrap; do not add a new version.")
def rotate(batch_size, resume):
    from caseapp import create_app
    from caseapp.audit_trail import record
    from caseapp.crypto import current_keyring
    from caseapp.crypto.keyring import write_keyfile
    from caseapp.crypto.rotation import add_kek_version, rotate_data_keys
    from caseapp.extensions import db

    app = create_app()
    with app.app_context():
        ring = current_keyring()
        if not resume:
            if os.environ.get("CASEAPP_KEYS"):
                fail("keys come from CASEAPP_KEYS: add the new version there, then run "
                     "`caseapp keys rotate --resume`")
            ring = add_kek_version(ring)
            write_keyfile(keyfile_path(), ring)
            app.extensions["caseapp_keys"] = ring
            record("keys.rotate_start", actor="system",
                   details={"new_version": ring.current_version})
            db.session.commit()
            click.echo(f"version {ring.current_version} is now current")

        def progress(done: int, total: int) -> None:
            click.echo(f"re-wrapped {done}/{total}")

        count = rotate_data_keys(db.engine, ring, batch_size=batch_size, progress=progress)
        record("keys.rotate_done", actor="system",
               details={"version": ring.current_version, "rewrapped": count})
        db.session.commit()
        click.echo(f"done: {count} data keys re-wrapped to version {ring.current_version}")


@keys.command("retire")
@click.argument("version", type=int)
def retire(version):
    """Drop a key-encryption key version once no data key uses it."""
    from caseapp import create_app
    from caseapp.audit_trail import record
    from caseapp.crypto import RetireRefused, current_keyring
    from caseapp.crypto.keyring import write_keyfile
    from caseapp.crypto.rotation import retire_version
    from caseapp.extensions import db

    if os.environ.get("CASEAPP_KEYS"):
        fail("keys come from CASEAPP_KEYS: remove the version there and restart")
    app = create_app()
    with app.app_context():
        try:
            ring = retire_version(current_keyring(), db.session, version)
        except RetireRefused as exc:
            fail(str(exc))
        write_keyfile(keyfile_path(), ring)
        record("keys.retire", actor="system", details={"version": version})
        db.session.commit()
        click.echo(f"version {version} retired; backups whose data keys it wrapped are now "
                   "unreadable")


@keys.command("seal-rows")
@click.option("--again", is_flag=True,
              help="Run even though the log shows it ran before (check the rows first).")
def seal_rows(again):
    """Give rows written before row MACs existed their MAC (once, after upgrading)."""
    from caseapp import create_app
    from caseapp.audit_trail import record
    from caseapp.crypto.row_integrity import seal_unsealed_rows, sealed_models
    from caseapp.extensions import db

    app = create_app()
    with app.app_context():
        if not again and _ran_before("keys.seal_rows"):
            fail("rows were sealed before (the audit log says so): a row without a MAC now was "
                 "written by hand in the database. Look at it, then use --again if it is genuine.")
        counts = seal_unsealed_rows(db.session, sealed_models())
        record("keys.seal_rows", actor="system", details=counts)
        db.session.commit()
        for table, count in counts.items():
            click.echo(f"{table}: {count} rows sealed")


def _ran_before(action: str) -> bool:
    from sqlalchemy import func, select

    import audit
    from caseapp.extensions import db

    entries = audit.audit_entries
    return bool(db.session.scalar(select(func.count()).select_from(entries)
                                  .where(entries.c.action == action)))
