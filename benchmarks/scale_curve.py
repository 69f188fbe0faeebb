"""The scale curve: what the screens and the long commands cost as cases pile up.

One instance grows through the sizes (default 10,000, 100,000 and 1,000,000
cases) with ``caseapp demo-data``, run as an operator runs it. At each size,
logged in through the test client as the demo officer with the most open
cases and as the demo supervisor of the root unit, after a warm-up, best of
``--repeat``:

  my cases     GET /cases (the officer's first page, overdue first)
  case page    GET /cases/<reference> (an open case of the officer's first page)
  intake       POST /api/v1/cases (a synthetic report, as the intake screen's API)
  supervision  GET /supervision (the supervisor of the root unit)
  audit verify verification.verify_log(), what ``caseapp audit verify`` runs
  keys rotate  a new key version and every data key re-wrapped, what
               ``caseapp keys rotate`` runs

each beside its bare baseline, measured in the same run:

  a page: the very SELECT statements the request ran, replayed on a raw
      DB-API connection, every row fetched -- the least the database must do
      for that screen; for the case page plus unlocking the case and reading
      every sealed field (the decryption the page needs);
  intake: its reads replayed the same way, and one case row written (rolled
      back);
  supervision, a second time: only the page's count(...) statements replayed
      -- the SQL that computes the numbers the page shows;
  the least request: GET /api/v1/me as the supervisor (who is logged in: the
      session, the account, nothing else), beside its own SQL -- the floor
      every page stands on (session, login, audit entry, the framework),
      against which "supervision vs its counts" can be read;
  audit verify: the same entries read in the same pages plus one chained
      HMAC-SHA256 per entry;
  keys rotate: every wrapped data key read, unwrapped and wrapped again in
      memory, nothing written.

Printed per size: milliseconds, the ratio to the baseline, and each screen's
growth against the first size (target: an officer's and a supervisor's pages
at 1,000,000 within 1.5x of 10,000; supervision within 3x of its SQL; the case
page within 3x of its SQL plus decryption).

    python benchmarks/scale_curve.py                                  # SQLite
    python benchmarks/scale_curve.py --sizes 1000,10000 --repeat 3    # a quick look
    python benchmarks/scale_curve.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:55432/bench_scale     # schema dropped first
    python benchmarks/scale_curve.py --instance DIR --screens-only --screens "my cases"
                              # the pages of an instance seeded before, as it is

The instance lives in a temporary folder unless ``--instance`` names one (then
a later run can grow it further: sizes already reached are not seeded again).
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from figures_at_scale import enrol, isolated_client_class  # noqa: E402

SECRET = "scale-curve-benchmark-" + "s" * 40
PASSWORD_RE = re.compile(r"password \(shown once\): (\S+)")
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


# --- the instance, as an operator makes it ----------------------------------------------------

def environment(instance: str, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEAPP_")}
    env.update(CASEAPP_INSTANCE=instance, CASEAPP_SECRET_KEY=SECRET,
               # the benchmark records far more reports an hour than a person may
               CASEAPP_INTAKE_LIMIT_PER_HOUR="1000000", CASEAPP_INTAKE_LIMIT_PER_DAY="1000000",
               # The deadline scan is a timer's job in production (README); a
               # worker's own scan after a request would land, a slice at a
               # time, in whichever screen is measured first.
               CASEAPP_NOTIFY_SCAN_MINUTES="0")
    if database_url:
        env["CASEAPP_DATABASE_URL"] = database_url
    return env


def caseapp(env: dict, *args: str) -> str:
    command = [str(Path(sys.executable).with_name("caseapp")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"caseapp {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def drop_schema(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def case_count(app) -> int:
    from sqlalchemy import func, select

    from caseapp.cases.models import Case
    from caseapp.extensions import db

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
        return count


def grow(env: dict, app, size: int, password: str | None) -> tuple[str | None, float]:
    """Seed with ``caseapp demo-data`` until ``size`` cases; (demo password, seconds)."""
    have = case_count(app)
    if have >= size:
        return password, 0.0
    t0 = time.perf_counter()
    out = caseapp(env, "demo-data", "--cases", str(size - have), "--seed", str(size))
    seconds = time.perf_counter() - t0
    match = PASSWORD_RE.search(out)
    with app.app_context():
        from sqlalchemy import text

        from caseapp.extensions import db
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    return (match.group(1) if match else password), seconds


# --- logging in --------------------------------------------------------------------------------

def people(app) -> tuple[str, str]:
    """The demo officer with the most open cases, and the demo supervisor."""
    from sqlalchemy import func, select

    from caseapp.accounts.models import User
    from caseapp.cases.models import Case
    from caseapp.extensions import db

    with app.app_context():
        officer = db.session.execute(
            select(User.username).join(Case, Case.lead_officer_id == User.id)
            .where(User.username.like("demo.cb%"), Case.stage != "closure")
            .group_by(User.username).order_by(func.count().desc()).limit(1)).scalar_one()
        db.session.remove()
    return officer, "demo.gs"


def log_in(app, username: str, password: str, secrets: dict):
    import pyotp

    from caseapp import clock
    from caseapp.accounts import service as accounts
    from caseapp.extensions import db

    with app.app_context():
        if username not in secrets:
            secrets[username] = enrol(accounts.find_user(username))
        db.session.remove()
    client = app.test_client()
    # the session cookie is Secure (production settings): talk HTTPS, as a browser would
    client.environ_base["wsgi.url_scheme"] = "https"
    client.environ_base["HTTP_REFERER"] = "https://localhost/"  # the CSRF check's same-origin
    token = csrf(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": password})
    assert response.status_code == 302, f"login of {username}: {response.status_code}"
    totp = pyotp.TOTP(secrets[username])
    # a fresh step for each login: a code is accepted once
    step = totp.timecode(clock.now())
    for offset in (0, 1, -1):
        response = client.post("/login/code", data={
            "csrf_token": csrf(client, "/login/code"),
            "code": totp.generate_otp(step + offset)})
        if response.status_code == 302 and "/login" not in response.headers["Location"]:
            return client
    raise SystemExit(f"the second factor of {username} was refused")


def csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) \
        or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


# --- timing and the bare replay -----------------------------------------------------------------

class Recorder:
    """The SQL statements the engine runs while ``on``."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.on, self.statements = False, []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany):
        if self.on and not statement.lstrip().upper().startswith(CONTROL):
            self.statements.append((statement, parameters, executemany))

    def record(self, fn):
        self.statements, self.on = [], True
        try:
            result = fn()
        finally:
            self.on = False
        return result, list(self.statements)


def replay(engine, statements) -> int:
    """Run the reads among ``statements`` on a raw DB-API connection and fetch
    every row. (The writes a request makes -- its audit entry, the session's
    last-seen time -- cannot be replayed: the log is append-only.)"""
    raw = engine.raw_connection()
    rows = 0
    try:
        cursor = raw.cursor()
        for statement, parameters, many in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
            if cursor.description is not None:
                rows += len(cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return rows


# What a measurement reads: the wall clock, or with --clock cpu this process's
# CPU time (the screens' SQLite work runs in it), which a machine shared with
# other work starves less than the wall clock (not for PostgreSQL: its server
# works in other processes).
CLOCK = time.perf_counter


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return min(times)


def page(client, path: str, expect: int = 200):
    def run():
        response = client.get(path)
        assert response.status_code == expect, f"GET {path}: {response.status_code}"
        return response
    return run


# --- the measurements -------------------------------------------------------------------

SCREENS = ("my cases", "case page", "supervision")
EVERYTHING = ("my cases", "case page", "intake", "supervision", "supervision vs its counts",
              "the least request",
              "audit verify", "keys rotate")


def measure(app, officer, supervisor, repeat: int, only: tuple[str, ...] = EVERYTHING) -> dict:
    from caseapp.extensions import db

    results = {}
    with app.app_context():
        engine = db.engine
        recorder = Recorder(engine)

        def screen(name, fn, extra=None, numbers_only=False):
            if name not in only:
                return
            _, statements = recorder.record(fn)
            if numbers_only:  # the page's aggregates alone: the SQL giving its numbers
                statements = [s for s in statements if "count(" in s[0].lower()]
            t_screen = best_of(fn, repeat)

            def bare():
                replay(engine, statements)
                if extra:
                    extra()
            t_bare = best_of(bare, repeat)
            results[name] = (t_screen, t_bare, len(statements))

        screen("my cases", page(officer, "/cases"))
        reference = open_case_of(officer)
        screen("case page", page(officer, f"/cases/{reference}"),
               extra=lambda: unlock_and_read(app, reference))
        token = officer.get("/api/v1/me").json["csrf_token"]
        unit = officer.get("/api/v1/me").json.get("unit")
        counter = iter(range(10**9))

        def intake():
            response = officer.post("/api/v1/cases", json=intake_body(unit, next(counter)),
                                    headers={"X-CSRFToken": token})
            assert response.status_code == 201, response.get_data(as_text=True)[:300]
        if "intake" in only:
            screen("intake", intake, extra=lambda: write_case_row(engine))
        screen("supervision", page(supervisor, "/supervision"))
        screen("supervision vs its counts", page(supervisor, "/supervision"), numbers_only=True)
        screen("the least request", page(supervisor, "/api/v1/me"))
        if "audit verify" in only:
            results["audit verify"] = (best_of(lambda: verify(app), 1),
                                       best_of(lambda: bare_verify(app), 1), 0)
        if "keys rotate" in only:
            results["keys rotate"] = (best_of(lambda: rotate(app), 1),
                                      best_of(lambda: bare_rotate(app), 1), 0)
        db.session.remove()
    return results


def open_case_of(client) -> str:
    html = client.get("/cases").get_data(as_text=True)
    found = re.findall(r'href="/cases/(HS-[A-Z0-9-]+)(?:\?[^"]*)?"', html)
    assert found, "the officer's first page lists no case"
    return found[0]


def unlock_and_read(app, reference: str) -> None:
    """Load the case, unlock it with the officer's own grant path, read every sealed field."""
    from sqlalchemy import select

    from caseapp.cases.models import Case
    from caseapp.crypto import grants, key_scope, sealed_fields, unlock
    from caseapp.extensions import db

    grants.allow_issuer(__name__)  # stands in for caseapp.permissions, as crypto_fields.py does
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    with key_scope():
        unlock(case, grant=grants.issue_grant("case.view", "benchmark", case.id))
        for column in sealed_fields(Case):
            getattr(case, column)
    db.session.rollback()


def write_case_row(engine) -> None:
    """One case row written (a copy of the newest, with a new id and reference), rolled
    back: with the intake's reads, the least the database must do for a report."""
    from sqlalchemy import insert, select

    from caseapp.cases.models import Case
    from caseapp.database import new_id

    table = Case.__table__
    with engine.connect() as connection:
        row = connection.execute(select(table).order_by(table.c.received_at.desc())
                                 .limit(1)).mappings().one()
        fresh = {c.name: None if c.foreign_keys else new_id()[:len(str(row[c.name]))]
                 for c in table.columns
                 if (c.unique or c.primary_key) and row[c.name] is not None}
        connection.execute(insert(table).values({**row, **fresh}))
        connection.rollback()


def intake_body(unit: str | None, n: int) -> dict:
    from caseapp import clock
    return {
        "unit": unit, "received_at": clock.now().isoformat(), "channel": "online_report",
        "help_requested": True, "requested_by": "child", "harm_categories": ["cyberbullying"],
        "platforms": ["tiktok"], "immediate_danger": False,
        "narrative": "Tin nhắn đe doạ từ một tài khoản lạ (dữ liệu tổng hợp, benchmark).",
        "child": {"full_name": f"Trẻ Tổng Hợp {n}", "date_of_birth": "2012-03-04",
                  "gender": "female"},
        "reporter": {"name": "Người báo tổng hợp", "relation": "mẹ", "phone": "0900 000 000"},
        "consent": {"child": True, "guardian": True, "legal_ground": None},
    }


def verify(app) -> None:
    from caseapp.auditlog import verification
    from caseapp.extensions import db

    report = verification.verify_log()
    db.session.rollback()
    assert report.ok, report.problem


def bare_verify(app) -> None:
    """The same pages of entries read, one chained HMAC per entry."""
    from flask import current_app

    from audit.verify import iter_pages
    from caseapp.extensions import db

    key = current_app.extensions["caseapp_keys"].audit_mac_key
    digest, sha256, mac = hmac.digest, hashlib.sha256, bytes(32)
    for rows in iter_pages(db.session.connection()):
        for row in rows:
            mac = digest(key, mac + row[-1].encode(), sha256)
    db.session.rollback()


def rotate(app) -> None:
    from flask import current_app

    from caseapp.cli.keys import keyfile_path
    from caseapp.crypto import current_keyring
    from caseapp.crypto.keyring import write_keyfile
    from caseapp.crypto.rotation import add_kek_version, rotate_data_keys
    from caseapp.extensions import db

    # As `caseapp keys rotate` does: the new version saved before any key is
    # re-wrapped to it, or the next size's commands could not open the keys.
    ring = add_kek_version(current_keyring())
    write_keyfile(keyfile_path(), ring)
    current_app.extensions["caseapp_keys"] = ring
    rotate_data_keys(db.engine, ring)


def bare_rotate(app) -> None:
    """Every live wrapped key of every owner table read, unwrapped and wrapped again."""
    from sqlalchemy import select

    from caseapp.crypto import current_keyring
    from caseapp.crypto.rotation import _live, _owner_tables
    from caseapp.extensions import db

    ring = current_keyring()
    connection = db.session.connection()
    for t in _owner_tables(connection):
        rows = connection.execute(select(t.c.data_key_id, t.c.data_key_version,
                                         t.c.data_key_wrapped).where(_live(t)))
        for key_id, version, wrapped in rows:
            ring.wrap(ring.unwrap(wrapped, data_key_id=key_id, version=version),
                      data_key_id=key_id)
    db.session.rollback()


# --- printing ---------------------------------------------------------------------------------

def print_table(dialect: str, sizes: list[int], rows: dict[int, dict], seeding: dict) -> None:
    names = list(next(iter(rows.values())))
    first = sizes[0]
    print(f"\n{dialect}: ms (ratio to its bare baseline; growth against {first:,} cases)"
          f"{'; CPU time of this process' if CLOCK is time.process_time else ''}\n")
    print("| screen | " + " | ".join(f"{s:,} cases" for s in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name in names:
        cells = []
        for size in sizes:
            t, bare, _ = rows[size][name]
            growth = t / rows[first][name][0]
            cells.append(f"{t * 1000:,.1f} ms ({t / bare:.2f}x; {growth:.2f}x)")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| bare baselines | " + " | ".join(
        ", ".join(f"{n}: {rows[s][n][1] * 1000:,.1f} ms" for n in names) for s in sizes) + " |")
    print("| seeding (demo-data) | " + " | ".join(
        f"{seeding[s][0]:,.0f} s for {seeding[s][1]:,} cases" for s in sizes) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None,
                        help="postgresql+psycopg://... of a database whose name starts with "
                             "'bench' (its public schema is dropped first)")
    parser.add_argument("--instance", default=None,
                        help="keep the instance in this folder (grown further on a later run)")
    parser.add_argument("--screens-only", action="store_true",
                        help="time the pages (my cases, case page, supervision) of the "
                             "--instance as it is: no seeding, no intake, audit verify or "
                             "keys rotate; its size is its number of cases")
    parser.add_argument("--screens", default=None,
                        help="comma-separated measurements to run (default: all; with "
                             f"--screens-only: {', '.join(SCREENS)})")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="what to time: elapsed time, or this process's CPU time "
                             "(SQLite only; steadier on a machine shared with other work)")
    args = parser.parse_args()
    if args.clock == "cpu":
        if args.database_url:
            parser.error("--clock cpu times SQLite only (PostgreSQL works in other processes)")
        global CLOCK
        CLOCK = time.process_time
    sizes = sorted(int(s) for s in args.sizes.split(","))
    only = tuple(n.strip() for n in args.screens.split(",")) if args.screens else (
        SCREENS if args.screens_only else EVERYTHING)
    if set(only) - set(EVERYTHING):
        parser.error(f"--screens: choose among {', '.join(EVERYTHING)}")
    if args.screens_only and not args.instance:
        parser.error("--screens-only measures an --instance seeded before")

    from sqlalchemy.engine import make_url

    if args.database_url and not (make_url(args.database_url).database or "").startswith("bench"):
        parser.error("the PostgreSQL database's name must start with 'bench' (it is emptied)")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        instance = args.instance or tmp
        os.makedirs(instance, mode=0o700, exist_ok=True)
        env = environment(instance, args.database_url)
        if not os.path.exists(os.path.join(instance, "keys.json")):
            if args.database_url:
                drop_schema(args.database_url)
            caseapp(env, "quickstart", "--no-serve")
        os.environ.update(env)
        from caseapp import create_app

        app = create_app()
        app.test_client_class = isolated_client_class()
        # The demo staff's password and second factors, kept with an --instance so
        # that a later run can log in again (synthetic accounts, mode 0600).
        saved = os.path.join(instance, "scale-curve-logins.json")
        kept = json.loads(Path(saved).read_text()) if os.path.exists(saved) else {}
        password, secrets = kept.get("password"), kept.get("secrets", {})
        rows, seeding = {}, {}
        if args.screens_only:
            sizes = [case_count(app)]
        for size in sizes:
            before = case_count(app)
            password, seconds = (password, 0.0) if args.screens_only else \
                grow(env, app, size, password)
            seeding[size] = (seconds, size - before)
            print(f"{size:,} cases: seeded {size - before:,} in {seconds:,.1f} s",
                  file=sys.stderr, flush=True)
            if password is None:
                raise SystemExit("the demo staff's password is unknown: use a new --instance")
            officer_name, supervisor_name = people(app)
            officer = log_in(app, officer_name, password, secrets)
            supervisor = log_in(app, supervisor_name, password, secrets)
            descriptor = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump({"password": password, "secrets": secrets}, out)
            rows[size] = measure(app, officer, supervisor, args.repeat, only)
            # Each size as soon as it is measured: a long run stopped later keeps it.
            print(f"{size:,} cases: " + "; ".join(
                f"{name} {t * 1000:,.1f} ms ({t / bare:.2f}x its baseline"
                + (f"; {n} statements)" if n else ")")
                for name, (t, bare, n) in rows[size].items()), file=sys.stderr, flush=True)
        with app.app_context():
            from caseapp.extensions import db
            dialect = db.engine.dialect.name
        print_table(dialect, sizes, rows, seeding)
    return 0


if __name__ == "__main__":
    sys.exit(main())
