from __future__ import annotations

import os
import sys

import click

from caseapp import settings

from .common import Progress, fail, make_private_dir


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
    """Write a new key file; refused (exit 1) when one exists: overwriting it would
    make every case unreadable."""
    if not init_keys() and not os.environ.get("CASEAPP_KEYS"):
        sys.exit(1)


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
            if row.version is None:
                click.echo(f"no version\t{row.wrapped_count} data keys\tunreadable")
                continue
            flags = [f for f, on in (("current", row.current), ("retired", row.retired)) if on]
            click.echo(f"version {row.version}\t{row.wrapped_count} data keys\t{' '.join(flags)}")


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=int)
@click.option("--resume", is_flag=True, help="Only re-wrap; do not add a new version.")
def rotate(batch_size, resume):
    from caseapp import create_app
    from caseapp.auditing.writer import record
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

        shown = Progress("re-wrapping data keys")
        count = rotate_data_keys(db.engine, ring, batch_size=batch_size, progress=shown.update)
        shown.finish()
        record("keys.rotate_done", actor="system",
               details={"version": ring.current_version, "rewrapped": count})
        db.session.commit()
        click.echo(f"done: {count} data keys re-wrapped to version {ring.current_version}")


@keys.command("retire")
@click.argument("version", type=int)
def retire(version):
    """Drop a key-encryption key version once no data key uses it."""
    from caseapp import create_app
    from caseapp.auditing.writer import record
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
@click.option("--yes", is_flag=True, help="Seal the rows listed (without it, only list them).")
def seal_rows(yes):
    """Give rows written before row MACs existed their MAC (once, after upgrading).

    Refused on an instance made with row MACs (every row it wrote is sealed;
    a row without a MAC there was written by hand) and after a first run.
    Each row is listed, and only rows whose creation the audit log records
    are sealed.
    """
    from caseapp import create_app
    from caseapp.auditing import reads
    from caseapp.auditing.writer import record
    from caseapp.crypto.row_integrity import seal_rows as seal
    from caseapp.crypto.row_integrity import sealed_models, unsealed_rows
    from caseapp.extensions import db

    app = create_app()
    with app.app_context():
        if reads.instance_has_row_macs():
            fail("this instance was made with row MACs: a row without one was written by hand "
                 "in the database. Do not seal it; find out who wrote it.")
        if reads.count_entries("keys.seal_rows"):
            fail("rows were sealed before (the audit log says so): a row without a MAC now was "
                 "written by hand in the database.")
        found = unsealed_rows(db.session, sealed_models())
        accepted, refused = [], []
        for table, rows in found.items():
            for row in rows:
                (accepted if reads.creation_recorded(table, row) else refused).append((table, row))
        for table, row in refused:
            click.echo(f"refused (its creation is not in the audit log): {table} "
                       f"{reads.row_label(row)}", err=True)
        for table, row in accepted:
            click.echo(f"{'sealing' if yes else 'would seal'}: {table} {reads.row_label(row)}")
        if not yes:
            click.echo(f"{len(accepted)} rows to seal; run again with --yes to seal them")
            db.session.rollback()
            return
        count = seal(db.session, [row for _table, row in accepted])
        record("keys.seal_rows", actor="system",
               details={"sealed": count, "refused": len(refused)})
        db.session.commit()
        click.echo(f"{count} rows sealed, {len(refused)} refused")
