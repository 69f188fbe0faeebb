"""`caseapp backup --out FILE` and `caseapp restore FILE`.

A backup is the database only. The keys stay in the instance's key file and
are backed up apart (README: Backup and restore): every child's data in the
database is sealed under data keys that only the key file unwraps, so a
backup file alone reveals no child data.

Why it is built this way:

* Online and consistent: SQLite's backup API copies a snapshot page by page
  while the app goes on serving (WAL readers never block it); PostgreSQL's
  ``pg_dump`` reads one snapshot in one transaction.
* The backup records itself: its "backup.create" entry is written before the
  copy starts, so the copy holds it and its audit chain verifies as it is.
* A restore never loses the database it replaces: the current database is
  first backed up next to the instance (``backups/before-restore-*``).
* A restore refuses a file that is not a caseapp database of this instance
  (its log's first entry names other keys), before anything is changed.
* A restored log is older than the checkpoint file: checkpoints past the
  restored head would read as a cut-off tail. Those are moved to a
  ``.superseded-<time>`` file beside it, and the restore itself is the next
  entry of the restored chain, naming the head it went back to and the head
  it replaced, so the gap is on the record, not hidden.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from glob import glob

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import audit as audit_lib
from caseapp import clock
from caseapp.auditing.writer import GENESIS_ACTION, key_fingerprint, record
from caseapp.auditlog.checkpoints import checkpoint_path, mirror_paths
from caseapp.extensions import db

from .common import fail, make_private_dir

# Pages copied per step of SQLite's backup: small enough that writers of the
# running app wait at most a few milliseconds between steps.
_PAGES_PER_STEP = 1024


class BackupError(Exception):
    pass


# -- progress ---------------------------------------------------------------

class _Progress:
    """A bar with count and time left on a terminal; a line every few seconds
    otherwise (logs of cron jobs and CI)."""

    def __init__(self, label: str):
        self.label = label
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        final = total and done >= total
        if not final and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        elapsed = now - self.started
        left = elapsed / done * (total - done) if done and total else 0
        text = f"{self.label}: {done:,}/{total:,} pages, {elapsed:.0f} s, about {left:.0f} s left"
        if self.tty:
            click.echo("\r" + text.ljust(72), nl=bool(final), err=True)
        else:
            click.echo(text, err=True)


# -- the database in use ------------------------------------------------------

def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path() -> str | None:
    url = _url()
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("this instance's SQLite database is in memory: nothing to back up")
    return url.database


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database (the password in the
    environment, never on a command line other users can list)."""
    url = _url()
    env = dict(os.environ)
    for name, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                        ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[name] = str(value)
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} was not found: install PostgreSQL's client tools "
                      "(Debian: apt-get install postgresql-client)")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- backing up ------------------------------------------------------------

def _copy_sqlite(source_path: str, out: str, label: str) -> None:
    progress = _Progress(label)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target, pages=_PAGES_PER_STEP,
                      progress=lambda _status, remaining, total: progress(total - remaining, total))
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy does not pass SQLite's integrity check: {ok}")
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        target.close()
        source.close()


def _dump_postgresql(out: str) -> None:
    click.echo("pg_dump: one snapshot of the database ...", err=True)
    done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner",
                           "--no-privileges", "--file", out], env=_pg_env(),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError("pg_dump failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])


def make_backup(out: str) -> dict:
    """Copy the database to ``out`` (mode 0600, written beside it, then moved
    into place); returns what was recorded."""
    out = os.path.abspath(out)
    if os.path.isdir(out):
        raise BackupError(f"{out} is a folder: give the backup file's name")
    folder = os.path.dirname(out)
    if not os.path.isdir(folder):
        raise BackupError(f"the folder {folder} does not exist")
    head = db.session.execute(select(func.max(audit_lib.audit_entries.c.seq))).scalar() or 0
    record("backup.create", actor="system", details={"log_head_before": head})
    db.session.commit()
    partial = out + ".partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        sqlite_path = _sqlite_path()
        if sqlite_path:
            os.unlink(partial)  # sqlite3 makes the file; its mode is set below
            _copy_sqlite(sqlite_path, partial, "backup")
            os.chmod(partial, 0o600)
        else:
            _dump_postgresql(partial)
        os.replace(partial, out)
    except BaseException:
        for leftover in (partial, partial + "-journal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        raise
    return {"file": out, "bytes": os.path.getsize(out), "sha256": _sha256(out)}


# -- restoring -------------------------------------------------------------

def _genesis_fingerprint_sqlite(path: str) -> str | None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened as a database: {exc}") from None
    try:
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is damaged (SQLite's integrity check fails)")
        row = connection.execute("SELECT action, details FROM audit_entries "
                                 "ORDER BY seq LIMIT 1").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a caseapp backup: {exc}") from None
    finally:
        connection.close()
    return _fingerprint_of(row)


def _genesis_fingerprint_pg(path: str) -> str | None:
    """The first log entry's key fingerprint, read from the dump itself
    (``pg_restore`` writes the table's rows as COPY text; the genesis entry
    is the first row written)."""
    listing = subprocess.run([_pg_tool("pg_restore"), "--list", path],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a PostgreSQL backup made by `caseapp backup`")
    process = subprocess.Popen([_pg_tool("pg_restore"), "--data-only", "--table=audit_entries",
                                "--file=-", path], stdout=subprocess.PIPE, text=True)
    columns: list[str] | None = None
    row = None
    try:
        for line in process.stdout:
            if columns is None:
                if line.startswith("COPY ") and "audit_entries" in line:
                    columns = [c.strip() for c in line[line.index("(") + 1:line.index(")")]
                               .split(",")]
                continue
            values = line.rstrip("\n").split("\t")
            entry = dict(zip(columns, values, strict=False))
            if entry.get("action") == GENESIS_ACTION or entry.get("seq") == "1":
                row = (entry.get("action"), entry.get("details", "").encode()
                       .decode("unicode_escape"))
            break
    finally:
        process.kill()
        process.wait()
    return _fingerprint_of(row)


def _fingerprint_of(row) -> str | None:
    if row is None or row[0] != GENESIS_ACTION:
        return None
    try:
        details = row[1] if isinstance(row[1], dict) else json.loads(row[1] or "{}")
    except ValueError:
        return None
    return details.get("key_fingerprint") if isinstance(details, dict) else None


def _check_belongs_here(path: str, sqlite_path: str | None) -> None:
    found = (_genesis_fingerprint_sqlite(path) if sqlite_path
             else _genesis_fingerprint_pg(path))
    ours = key_fingerprint(current_app.extensions["caseapp_keys"])
    if found is None:
        raise BackupError(f"{path} is not a caseapp backup (its audit log does not start "
                          "with the creation of an instance's keys)")
    if found != ours:
        raise BackupError(f"{path} is a backup of another instance (made with other keys): "
                          "restore it with that instance's key file")


def _set_checkpoints_aside(head: int) -> int:
    """Move checkpoints past the restored head to a ``.superseded-<time>`` file."""
    moved = 0
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    for path in [checkpoint_path(), *mirror_paths()]:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        keep, later = [], []
        for line in lines:
            try:
                seq = json.loads(line).get("seq")
            except ValueError:
                seq = None
            (later if isinstance(seq, int) and seq > head else keep).append(line)
        if not later:
            continue
        try:
            with open(f"{path}.superseded-{stamp}", "a", encoding="utf-8") as f:
                f.writelines(later)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.writelines(keep)
            os.replace(path + ".tmp", path)
            moved += len(later)
        except OSError as exc:
            click.echo(f"note: the checkpoint copy {path} could not be rewritten ({exc}); "
                       "`caseapp audit verify` will report a cut-off tail until its "
                       f"checkpoints after entry {head} are moved aside", err=True)
    return moved


def restore_backup(path: str) -> dict:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise BackupError(f"{path} does not exist")
    sqlite_path = _sqlite_path()
    _check_belongs_here(path, sqlite_path)
    replaced = db.session.execute(
        select(func.max(audit_lib.audit_entries.c.seq))).scalar() or 0
    db.session.rollback()
    db.engine.dispose()
    safety_dir = os.path.join(current_app.instance_path, "backups")
    make_private_dir(safety_dir)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    if sqlite_path:
        before = os.path.join(safety_dir, f"before-restore-{stamp}.db")
        _copy_sqlite(sqlite_path, before, "saving the current database")
        os.chmod(before, 0o600)
        progress = _Progress("restore")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(sqlite_path, timeout=30)
        try:
            source.backup(target, pages=_PAGES_PER_STEP,
                          progress=lambda _s, remaining, total: progress(total - remaining, total))
        finally:
            target.close()
            source.close()
    else:
        before = os.path.join(safety_dir, f"before-restore-{stamp}.dump")
        _dump_postgresql(before)
        os.chmod(before, 0o600)
        click.echo("pg_restore: replacing the database ...", err=True)
        done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                               "--no-privileges", "--single-transaction",
                               f"--dbname={_pg_env()['PGDATABASE']}", path],
                              env=_pg_env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError("pg_restore failed, the database is as it was: "
                              + (done.stderr.strip().splitlines() or ["?"])[-1])
    head = db.session.execute(select(func.max(audit_lib.audit_entries.c.seq))).scalar() or 0
    moved = _set_checkpoints_aside(head)
    record("backup.restore", actor="system",
           details={"restored_head": head, "replaced_head": replaced,
                    "checkpoints_set_aside": moved, "sha256": _sha256(path)})
    db.session.commit()
    return {"restored_head": head, "replaced_head": replaced, "saved": before,
            "checkpoints_set_aside": moved}


# -- the commands ------------------------------------------------------------

@click.command("backup", help="Copy the database to FILE while the app keeps serving "
                              "(the keys are backed up apart: README, Backup and restore).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The backup file to write (mode 0600).")
@with_appcontext
def backup(out: str) -> None:
    try:
        made = make_backup(out)
    except BackupError as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo(f"backup written: {made['file']} ({made['bytes']:,} bytes, "
               f"sha256 {made['sha256']})")


@click.command("restore", help="Replace the database with a backup of this instance "
                               "(stop `caseapp serve` first; the current database is saved "
                               "under <instance>/backups first).")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(file: str, yes: bool) -> None:
    if not yes:
        click.confirm(f"Replace this instance's database with {file}? Everything recorded "
                      "since that backup will be set aside", abort=True)
    try:
        done = restore_backup(file)
    except BackupError as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo(f"restored: the log goes back to entry {done['restored_head']} (it was at "
               f"{done['replaced_head']}); the database it replaced is saved as "
               f"{done['saved']}; {done['checkpoints_set_aside']} later checkpoints set aside")
