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
* A restore refuses a file that `caseapp backup` did not write, or that was
  changed since: each backup's SHA-256 is signed with the key ring's audit
  key into ``<instance>/backups.jsonl``. Someone who can write the database
  and the backups, but has no key file, cannot make a trimmed log restorable
  (it would otherwise hide the entries cut from its tail). ``--force``
  restores an unsigned file anyway, and the log says so.
* A restored log is older than the checkpoint file: checkpoints past the
  restored head would read as a cut-off tail. Those are moved to a
  ``.superseded-<time>`` file beside it (and come back from there when a
  later backup is restored and its log reaches them again), and the restore
  itself is the next entry of the restored chain, naming the head it went
  back to and the head it replaced, so the gap is on the record, not hidden.
* Every file written here is private (mode 0600) from its first byte.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from glob import escape as glob_escape
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

from .common import Progress, fail, make_private_dir

# Pages copied per step of SQLite's backup: small enough that writers of the
# running app wait at most a few milliseconds between steps.
_PAGES_PER_STEP = 1024


REGISTER = "backups.jsonl"


class BackupError(Exception):
    pass


@contextmanager
def _private_files():
    """Files created inside are 0600 (folders 0700) from the start."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _write_private(path: str, lines: list[str]) -> None:
    with _private_files():
        temporary = path + ".tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(temporary, path)


# -- the signed register of backups -------------------------------------------

def _register_message(sha256: str, at: str) -> bytes:
    return f"caseapp-backup\x00{sha256}\x00{at}".encode()


def _register_path() -> str:
    return os.path.join(current_app.instance_path, REGISTER)


def _sign_backup(sha256: str) -> None:
    keys = current_app.extensions["caseapp_keys"]
    at = clock.now().isoformat()
    line = json.dumps({"sha256": sha256, "at": at,
                       "sig": keys.audit_signing_key.sign(_register_message(sha256, at)).hex()})
    with _private_files(), open(_register_path(), "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _signed_by_us(sha256: str) -> bool:
    """Whether the register holds a line for this file's hash signed with our key."""
    keys = current_app.extensions["caseapp_keys"]
    try:
        with open(_register_path(), encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return False
    for line in lines:
        try:
            entry = json.loads(line)
            if entry.get("sha256") != sha256:
                continue
            keys.audit_verify_key.verify(bytes.fromhex(entry["sig"]),
                                         _register_message(sha256, entry["at"]))
            return True
        except Exception:  # noqa: BLE001 - a bad line is simply not a signature
            continue
    return False


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
    progress = Progress(f"{label} (pages)")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target, pages=_PAGES_PER_STEP,
                      progress=lambda _status, remaining, total: progress.update(
                          total - remaining, total))
        progress.finish()
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
    try:
        with _private_files():
            sqlite_path = _sqlite_path()
            if sqlite_path:
                _copy_sqlite(sqlite_path, partial, "backup")
            else:
                _dump_postgresql(partial)
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    except BaseException:
        for leftover in (partial, partial + "-journal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        raise
    digest = _sha256(out)
    _sign_backup(digest)
    return {"file": out, "bytes": os.path.getsize(out), "sha256": digest}


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


def _macs(seqs: set[int]) -> dict[int, str]:
    entries = audit_lib.audit_entries
    if not seqs:
        return {}
    return dict(db.session.execute(select(entries.c.seq, entries.c.mac)
                                   .where(entries.c.seq.in_(sorted(seqs)))).all())


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def _align_checkpoints(head: int) -> int:
    """Keep the checkpoints the restored log reaches (from the file and from
    earlier ``.superseded-*`` files), set the others aside; returns how many
    were set aside."""
    moved = 0
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    for path in [checkpoint_path(), *mirror_paths()]:
        current = _read_lines(path)
        earlier = [line for p in sorted(glob(glob_escape(path) + ".superseded-*"))
                   for line in _read_lines(p)]
        parsed: dict[str, dict] = {}
        for line in current + earlier:
            try:
                checkpoint = json.loads(line)
            except ValueError:
                continue
            if isinstance(checkpoint, dict) and isinstance(checkpoint.get("seq"), int):
                parsed[line] = checkpoint
        if not parsed:
            continue
        macs = _macs({c["seq"] for c in parsed.values() if c["seq"] <= head})
        keep = sorted((c["seq"], line) for line, c in parsed.items()
                      if c["seq"] == 0 or (c["seq"] <= head
                                           and macs.get(c["seq"]) == c.get("head_mac")))
        kept = {line for _seq, line in keep}
        later = [line for line in current if line not in kept]
        try:
            if later:
                superseded = f"{path}.superseded-{stamp}"
                _write_private(superseded, [line + "\n" for line in
                                            _read_lines(superseded) + later])
            _write_private(path, [line + "\n" for _seq, line in keep])
            moved += len(later)
        except OSError as exc:
            click.echo(f"note: the checkpoint copy {path} could not be rewritten ({exc}); "
                       "`caseapp audit verify` will report a cut-off tail until its "
                       f"checkpoints after entry {head} are moved aside", err=True)
    return moved


def _save_current(sqlite_path: str | None, folder: str) -> str:
    """The database about to be replaced, kept in ``folder``."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    if sqlite_path:
        before = os.path.join(folder, f"before-restore-{stamp}.db")
        _copy_sqlite(sqlite_path, before, "saving the current database")
    else:
        before = os.path.join(folder, f"before-restore-{stamp}.dump")
        _dump_postgresql(before)
    os.chmod(before, 0o600)
    return before


def _put_back(path: str, sqlite_path: str | None) -> None:
    if sqlite_path:
        progress = Progress("restore (pages)")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(sqlite_path, timeout=30)
        try:
            source.backup(target, pages=_PAGES_PER_STEP,
                          progress=lambda _s, remaining, total: progress.update(
                              total - remaining, total))
            progress.finish()
        finally:
            target.close()
            source.close()
        return
    click.echo("pg_restore: replacing the database ...", err=True)
    done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                           "--no-privileges", "--single-transaction",
                           f"--dbname={_pg_env()['PGDATABASE']}", path],
                          env=_pg_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError("pg_restore failed, the database is as it was: "
                          + (done.stderr.strip().splitlines() or ["?"])[-1])


def _destroyed_keys() -> set[str]:
    """The data keys destroyed in the database now (a child's data deleted, a
    case purged, a second factor reset): a restore must not bring them back."""
    from caseapp.crypto.fields import owner_classes

    found: set[str] = set()
    for cls in owner_classes().values():
        found.update(db.session.scalars(select(cls.data_key_id).where(
            cls.data_key_id.is_not(None),
            (cls.data_key_destroyed_at.is_not(None)) | (cls.data_key_wrapped.is_(None)))))
    db.session.rollback()
    return found


def _shred_again(key_ids: set[str]) -> int:
    """Destroy again, in the restored database, the keys destroyed since the
    backup was made; how many were live in it. The caller commits."""
    from caseapp.crypto.fields import owner_classes
    from caseapp.crypto.shredding import destroy_owner_key

    again = 0
    for cls in owner_classes().values():
        live = db.session.scalars(select(cls).where(
            cls.data_key_id.in_(key_ids), cls.data_key_wrapped.is_not(None))).all() \
            if key_ids else []
        for owner in live:
            destroy_owner_key(db.session, owner)
            again += 1
    return again


def restore_backup(path: str, *, force: bool = False) -> dict:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise BackupError(f"{path} does not exist")
    sqlite_path = _sqlite_path()
    _check_belongs_here(path, sqlite_path)
    digest = _sha256(path)
    signed = _signed_by_us(digest)
    if not signed and not force:
        raise BackupError(f"{path} is not a backup `caseapp backup` made on this instance, or "
                          f"it was changed since (its SHA-256 is not in {REGISTER} signed with "
                          "this instance's keys): a changed backup could hide audit entries. "
                          "--force restores it anyway, and the log records that it was forced")
    replaced = db.session.execute(
        select(func.max(audit_lib.audit_entries.c.seq))).scalar() or 0
    destroyed = _destroyed_keys()
    db.engine.dispose()
    safety_dir = os.path.join(current_app.instance_path, "backups")
    make_private_dir(safety_dir)
    with _private_files():
        before = _save_current(sqlite_path, safety_dir)
    _put_back(path, sqlite_path)
    head = db.session.execute(select(func.max(audit_lib.audit_entries.c.seq))).scalar() or 0
    moved = _align_checkpoints(head)
    # Data deleted after the backup was made stays deleted: its keys are
    # destroyed again in the restored database (the case rows come back, their
    # child data does not).
    shredded = _shred_again(destroyed)
    record("backup.restore", actor="system",
           details={"restored_head": head, "replaced_head": replaced,
                    "checkpoints_set_aside": moved, "sha256": digest,
                    "signed": signed, "keys_destroyed_again": shredded})
    db.session.commit()
    if shredded:
        from caseapp.crypto.shredding import sqlite_scrub

        db.session.remove()
        sqlite_scrub(db.engine)
    return {"restored_head": head, "replaced_head": replaced, "saved": before,
            "checkpoints_set_aside": moved, "shredded_again": shredded}


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
@click.option("--force", is_flag=True,
              help="Restore a file this instance did not sign as its backup (recorded).")
@with_appcontext
def restore(file: str, yes: bool, force: bool) -> None:
    if not yes:
        click.confirm(f"Replace this instance's database with {file}? Everything recorded "
                      "since that backup will be set aside", abort=True)
    try:
        done = restore_backup(file, force=force)
    except BackupError as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo(f"restored: the log goes back to entry {done['restored_head']} (it was at "
               f"{done['replaced_head']}); the database it replaced is saved as "
               f"{done['saved']}; {done['checkpoints_set_aside']} later checkpoints set aside; "
               f"{done['shredded_again']} data keys destroyed since the backup destroyed again")
