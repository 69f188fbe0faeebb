"""What do /figures and the report cost once a province holds 100,000 cases?

Makes a throw-away instance (keys, a temp dir, migrations) on SQLite, or on the
PostgreSQL database given with ``--database-url`` (its ``public`` schema is
dropped and made again: give it a database of its own), and fills it with a
province, 5 districts and 44 communes (20 of them marked as schools), the
staff, and N cases spread over the last two years with realistic stages,
risks, channels, genders, age bands, deadlines met and missed, assignments,
support actions, closures, harm categories, platforms, referrals and
awareness sessions.

The units and the people go through the real services. The cases are
written by the bulk writer of ``caseapp demo-data``
(:mod:`caseapp.cli.demo_bulk`: SQLAlchemy Core, stored exactly as the app
stores them): each case has its own data key and sealed child data, its
access MAC of :mod:`caseapp.crypto.row_integrity` (version 1), its "row.sealed"
anchor and "case.create" entries in the audit chain, so the lists behind the
numbers (``queries.fetch_cases``, which re-checks every row) list them like
cases the app wrote. A sample is checked after seeding.

Then, for a supervisor of the province (the whole tree) and of one district,
and for the current half-year and the current year, best of ``--repeat``
after a warm-up:

  (a) the bare aggregate: one hand-written SQL statement (text()) giving the
      core numbers (requests, unfounded, handled by group; due and met per
      deadline) -- the least a database must do; the baseline;
  (b) ``figures.compute`` + ``figures.awareness`` (what the report computes);
  (c) ``dashboard.build`` (the numbers and the lists behind them, charts), and
      a full ``GET /figures`` through the test client, logged in with TOTP;
  (d) ``service.make`` + ``export.render(..., "xlsx")`` (the report download).

Each as seconds and as a ratio to (a), with the SQL statements each ran; then
the peak Python memory (tracemalloc, a run of its own) of (c) and (d).

    python benchmarks/figures_at_scale.py                      # SQLite, 100,000 cases
    python benchmarks/figures_at_scale.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:55432/bench_figures
    python benchmarks/figures_at_scale.py --profile            # + cProfile of (c)
"""
from __future__ import annotations

import argparse
import contextvars
import cProfile
import gc
import io
import os
import pstats
import random
import re
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench-figures-correct-horse-battery-staple-42"
BATCH = 5000
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')

AUDIENCES = ("children", "parents", "teachers", "union_members")
SCHOOL_TYPES = ("primary", "lower_secondary", "upper_secondary", "vocational", "other")


SLOW = 3.0  # seconds: a part whose warm-up takes longer is timed best of 2


def best_of(fn, repeat: int):
    """Warm-up, then the best of ``repeat`` runs (of 2 when the warm-up took more
    than SLOW seconds): (seconds, result, statements run, runs)."""
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 > SLOW:
        repeat = min(repeat, 2)
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        before = STATEMENTS[0]
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        statements = STATEMENTS[0] - before
    return min(times), result, statements, repeat


STATEMENTS = [0]


def peak_memory(fn) -> float:
    """Peak Python allocations (MiB) of one run of ``fn``."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --- the instance ----------------------------------------------------------------------------

def isolated_client_class():
    """A test client that runs each request in a fresh context, as a server would
    (the benchmark holds an app context of its own; see tests/conftest.py)."""
    from flask.globals import _cv_app
    from flask.testing import FlaskClient

    class IsolatedClient(FlaskClient):
        def open(self, *args, **kwargs):
            def run():
                _cv_app.set(None)
                return FlaskClient.open(self, *args, **kwargs)
            return contextvars.copy_context().run(run)

    return IsolatedClient


def build_units_and_people():
    """A province, 5 districts, 44 communes (20 of them schools); a supervisor of
    the province and of each district, an officer per commune and district, a
    counselor per district. Through the real services (audited, sealed)."""
    from caseapp.accounts import service as accounts
    from caseapp.admin import service as admin_service
    from caseapp.extensions import db

    province = admin_service.create_unit("system", "TINH", "Tỉnh đoàn (benchmark)")
    districts, communes = [], []
    for d in range(1, 6):
        districts.append(admin_service.create_unit("system", f"H{d}", f"Huyện đoàn số {d}",
                                                   "TINH"))
    for i in range(44):
        district = districts[i % 5]
        communes.append(admin_service.create_unit(
            "system", f"{district.code}.X{i + 1:02d}", f"Đoàn xã số {i + 1}", district.code))
    for i, unit in enumerate(communes[:20]):
        admin_service.set_school_type("system", unit, SCHOOL_TYPES[i % len(SCHOOL_TYPES)])
    db.session.flush()

    def person(username, role, unit):
        return admin_service.create_user(accounts.SYSTEM, admin_service.NewUser(
            username, role, unit.code, PASSWORD, display_name=f"Bench {username}"))

    people = {"province": person("gs.tinh", "supervisor", province)}
    for d, district in enumerate(districts, 1):
        people[f"gs.h{d}"] = person(f"gs.h{d}", "supervisor", district)
        people[f"cb.h{d}"] = person(f"cb.h{d}", "officer", district)
        people[f"tvv.h{d}"] = person(f"tvv.h{d}", "counselor", district)
    for i, unit in enumerate(communes, 1):
        people[f"cb.x{i}"] = person(f"cb.x{i:02d}", "officer", unit)
    db.session.commit()
    return province, districts, communes, people


# --- the cases -------------------------------------------------------------------------------

def seed(app, province, districts, communes, people, count: int, seed_value: int) -> dict:
    """Insert ``count`` cases and their rows in batches, each case sealed and
    anchored as the ORM would; awareness sessions too. Returns row counts."""
    from caseapp import clock
    from caseapp.awareness.models import AwarenessSession
    from caseapp.cli import demo_bulk
    from caseapp.extensions import db

    rng = random.Random(seed_value)
    now = clock.now()
    district_of = {d.id: d for d in districts} | {c.id: c.parent for c in communes}
    officer_of = {c.id: people[f"cb.x{i}"].id for i, c in enumerate(communes, 1)}
    officer_of |= {d.id: people[f"cb.h{i}"].id for i, d in enumerate(districts, 1)}
    counselor_of = {d.id: people[f"tvv.h{i}"].id for i, d in enumerate(districts, 1)}
    supervisor_of = {d.id: people[f"gs.h{i}"].id for i, d in enumerate(districts, 1)}
    units = communes + districts
    weights = [9] * len(communes) + [4] * len(districts)  # most reports come through communes
    writer = demo_bulk.BulkWriter(app, {u.id: (u.name, u.path) for u in [province, *units]},
                                  {u.id: u.role for u in people.values()})
    refs: set[str] = set()
    counts = Counter()
    db.session.commit()
    done = 0
    while done < count:
        made = []
        for _ in range(min(BATCH, count - done)):
            unit = rng.choices(units, weights)[0]
            district = district_of[unit.id]
            lead = officer_of[unit.id]
            recorder = counselor_of[district.id] if rng.random() < 0.6 else lead
            case = demo_bulk.make_case(rng, now, refs, unit.id, lead, recorder,
                                       supervisor_of[district.id])
            case.child = demo_bulk.child_data(rng, case, unit.name)
            made.append(case)
        counts.update(writer.write(db.session.connection(), rng, made))
        db.session.commit()
        done += len(made)
    connection = db.session.connection()
    # Awareness sessions: a few per unit and month for two years; most schools
    # hold one in the current school year.
    sessions = []
    recorder = {u.id: officer_of[u.id] for u in units}
    today = now.date()
    for unit in units:
        per_year = 12 if unit.school_type else 6
        for _ in range(per_year * 2):
            held = today - timedelta(days=rng.randrange(730))
            audience = ",".join(sorted(set(rng.choices(AUDIENCES, k=rng.choice((1, 2, 3))))))
            sessions.append({"id": str(uuid.uuid4()), "unit_id": unit.id, "held_on": held,
                             "audience": audience, "attendees": rng.randint(15, 400),
                             "topic": "An toàn trên mạng cho trẻ em",
                             "recorded_by_id": recorder[unit.id],
                             "recorded_at": datetime.combine(held, datetime.min.time(), UTC),
                             "updated_at": datetime.combine(held, datetime.min.time(), UTC),
                             "version": 1})
    connection.execute(AwarenessSession.__table__.insert(), sessions)
    counts["awareness_sessions"] = len(sessions)
    db.session.commit()
    return counts


def check_sample(supervisor, sample: int = 200) -> None:
    """The seeded rows are what the app would have written: the row checks agree."""
    from sqlalchemy import func

    from caseapp.cases import queries
    from caseapp.cases.models import Case
    from caseapp.extensions import db

    query = queries.visible_cases(supervisor).order_by(func.random()).limit(sample)
    listed = queries.fetch_cases(supervisor, query)
    assert len(listed) == sample, f"only {len(listed)} of {sample} seeded cases pass the row checks"
    db.session.expire_all()
    assert db.session.scalar(queries.visible_cases(supervisor).with_only_columns(
        func.count(Case.id))) > 0


# --- (a) the bare aggregate ------------------------------------------------------------------

BARE_SQL = """
SELECT g,
       COUNT(*) AS requests,
       SUM(unfounded) AS unfounded,
       SUM(CASE WHEN unfounded = 0 AND first_assigned_at <= :as_of AND assessed_at <= :as_of
                 AND EXISTS (SELECT 1 FROM case_support_actions s
                             WHERE s.case_id = k.id AND s.performed_at <= :as_of)
                THEN 1 ELSE 0 END) AS handled,
       {steps}
FROM (SELECT c.*,
             CASE WHEN c.age_band = '16-17' THEN 'minors'
                  WHEN c.age_band = '15-17' THEN 'unbanded' ELSE 'children' END AS g,
             CASE WHEN c.stage = 'closure' AND c.closure_reason_code = 'unfounded'
                       AND c.closure_approved_at <= :as_of THEN 1 ELSE 0 END AS unfounded
      FROM cases c
      WHERE c.unit_id IN (SELECT id FROM units WHERE path >= :lo AND path < :hi)
        AND c.received_at >= :start AND c.received_at < :end AND c.created_at <= :as_of
        AND c.help_requested = :yes) AS k
GROUP BY g
"""
STEP_SQL = """SUM(CASE WHEN {due} >= :start AND {due} < :end AND {due} <= :as_of
                 AND NOT ({done} IS NULL AND closed_at IS NOT NULL AND closed_at <= {due})
                 THEN 1 ELSE 0 END) AS {name}_due,
       SUM(CASE WHEN {due} >= :start AND {due} < :end AND {due} <= :as_of
                 AND {done} IS NOT NULL AND {done} <= {due} THEN 1 ELSE 0 END) AS {name}_met"""


def bare_statement():
    from sqlalchemy import Boolean, bindparam, text

    from caseapp.database import UTCDateTime
    from caseapp.reports.figures import STEP_COLUMNS

    steps = ",\n       ".join(STEP_SQL.format(name=name, due=due, done=done)
                              for name, (due, done) in STEP_COLUMNS.items())
    return text(BARE_SQL.format(steps=steps)).bindparams(
        bindparam("as_of", type_=UTCDateTime()), bindparam("start", type_=UTCDateTime()),
        bindparam("end", type_=UTCDateTime()), bindparam("yes", type_=Boolean()))


# The rest of the numbers, hand-written the same way: the breakdowns of the help
# requests in one GROUP BY, the link tables, the reports without a request for
# help, the awareness sessions. With BARE_SQL they give every key figures.compute
# and figures.awareness give (measure() checks they are equal).
_SCOPE = """c.unit_id IN (SELECT id FROM units WHERE path >= :lo AND path < :hi)
        AND c.received_at >= :start AND c.received_at < :end AND c.created_at <= :as_of"""
_HANDLED = """CASE WHEN NOT (c.stage = 'closure' AND c.closure_reason_code = 'unfounded'
                            AND c.closure_approved_at <= :as_of)
                   AND c.first_assigned_at <= :as_of AND c.assessed_at <= :as_of
                   AND EXISTS (SELECT 1 FROM case_support_actions s
                               WHERE s.case_id = c.id AND s.performed_at <= :as_of)
              THEN 1 ELSE 0 END"""
BARE_EXTRA = {
    "breakdowns": f"""SELECT c.stage, COALESCE(c.risk_level, 'none'), c.channel_code,
       c.gender_code, c.age_band, u.path, {{month}},
       CASE WHEN c.stage = 'closure' AND c.closure_reason_code IS NOT NULL
                 AND c.closure_approved_at <= :as_of THEN c.closure_reason_code END,
       COUNT(*), SUM({_HANDLED})
FROM cases c JOIN units u ON u.id = c.unit_id
WHERE {_SCOPE} AND c.help_requested = :yes
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",
    "by_harm": f"""SELECT h.harm_category_code, COUNT(*) FROM cases c
JOIN case_harm_categories h ON h.case_id = c.id
WHERE {_SCOPE} AND c.help_requested = :yes GROUP BY 1""",
    "by_platform": f"""SELECT p.platform_code, COUNT(*) FROM cases c
JOIN case_platforms p ON p.case_id = c.id
WHERE {_SCOPE} AND c.help_requested = :yes GROUP BY 1""",
    "referrals": f"""SELECT r.agency_code, r.status, COUNT(*) FROM cases c
JOIN case_referrals r ON r.case_id = c.id
WHERE {_SCOPE} AND c.help_requested = :yes GROUP BY 1, 2""",
    "no_help": f"SELECT COUNT(*) FROM cases c WHERE {_SCOPE} AND c.help_requested = :no",
    "awareness": """SELECT COUNT(*), COALESCE(SUM(a.attendees), 0),
       SUM(CASE WHEN a.audience LIKE '%children%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.audience LIKE '%parents%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.audience LIKE '%teachers%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.audience LIKE '%union_members%' THEN 1 ELSE 0 END)
FROM awareness_sessions a JOIN units u ON u.id = a.unit_id
WHERE u.path >= :lo AND u.path < :hi AND a.held_on >= :first AND a.held_on <= :last""",
    "schools": """SELECT COUNT(*), SUM(CASE WHEN EXISTS (
           SELECT 1 FROM awareness_sessions a WHERE a.unit_id = u.id
           AND a.held_on >= :first AND a.held_on <= :last) THEN 1 ELSE 0 END)
FROM units u WHERE u.path >= :lo AND u.path < :hi AND u.school_type IS NOT NULL""",
}


def bare_extra_statements(dialect: str) -> dict:
    from sqlalchemy import Boolean, Date, bindparam, text

    from caseapp.database import UTCDateTime
    from caseapp.reports.figures import utc_offset

    hours = int(utc_offset().total_seconds() // 3600)
    month = (f"strftime('%Y-%m', c.received_at, '{hours:+d} hours')" if dialect == "sqlite"
             else f"to_char(c.received_at + INTERVAL '{hours} hours', 'YYYY-MM')")
    made = {}
    for name, sql in BARE_EXTRA.items():
        statement = text(sql.replace("{month}", month))
        binds = [bindparam(n, type_=t) for n, t in (
            ("as_of", UTCDateTime()), ("start", UTCDateTime()), ("end", UTCDateTime()),
            ("yes", Boolean()), ("no", Boolean()), ("first", Date()), ("last", Date()))
            if f":{n}" in sql]
        made[name] = statement.bindparams(*binds)
    return made


def bare_all(statement, extra: dict, unit_path: str, period, as_of) -> Counter:
    """Every number, by the hand-written statements."""
    from caseapp.extensions import db

    n = bare(statement, unit_path, period, as_of)
    upper = unit_path[:-1] + chr(ord(unit_path[-1]) + 1)
    params = {"as_of": as_of, "start": period.start, "end": period.end, "yes": True,
              "no": False, "lo": unit_path, "hi": upper, "first": period.first,
              "last": period.last}

    def run(name):
        wanted = {k: v for k, v in params.items() if f":{k}" in BARE_EXTRA[name]}
        return db.session.execute(extra[name], wanted).all()

    names = ("by_stage", "by_risk", "by_channel", "by_gender", "by_band", "by_unit")
    for *keys, month, closure, count, handled in run("breakdowns"):
        for name, key in zip(names, keys, strict=True):
            n[f"{name}.{key}"] += count
        n[f"month.{month}.requests"] += count
        n[f"month.{month}.handled"] += handled
        if closure is not None:
            n[f"closures.{closure}"] += count
    for name in ("by_harm", "by_platform"):
        for key, count in run(name):
            n[f"{name}.{key}"] += count
    for agency, status, count in run("referrals"):
        n[f"referrals.{agency}.{status}"] += count
    n["no_help.total"] += run("no_help")[0][0]
    sessions, attendees, *audiences = run("awareness")[0]
    n["awareness.sessions"] += sessions
    n["awareness.attendees"] += attendees
    for code, count in zip(("children", "parents", "teachers", "union_members"), audiences,
                           strict=True):
        n[f"awareness.audience.{code}"] += count or 0
    schools, covered = run("schools")[0]
    n["awareness.schools"] += schools
    n["awareness.schools_covered"] += covered or 0
    # (all_met.* needs each case's every deadline: left to figures.compute)
    return +n


def bare(statement, unit_path: str, period, as_of) -> Counter:
    from caseapp.extensions import db
    from caseapp.reports.figures import STEP_COLUMNS

    upper = unit_path[:-1] + chr(ord(unit_path[-1]) + 1)
    n = Counter()
    for row in db.session.execute(statement, {"as_of": as_of, "start": period.start,
                                              "end": period.end, "yes": True,
                                              "lo": unit_path, "hi": upper}).mappings():
        for g in (row["g"], "total"):
            n[f"requests.{g}"] += row["requests"]
            n[f"unfounded.{g}"] += row["unfounded"]
            n[f"handled.{g}"] += row["handled"]
        for step in STEP_COLUMNS:
            n[f"on_time.{step}.due"] += row[f"{step}_due"]
            n[f"on_time.{step}.met"] += row[f"{step}_met"]
    return +n


# --- logging in ------------------------------------------------------------------------------

def enrol(user) -> str:
    """Give ``user`` a second factor, as the first login would (tests/case_screens)."""
    import pyotp

    from caseapp import clock
    from caseapp.accounts import service as accounts
    from caseapp.crypto import key_scope
    from caseapp.extensions import db

    with key_scope():
        accounts.begin_totp_enrolment(user)
        secret = accounts.enrolment_secret(user)
        totp = pyotp.TOTP(secret)
        accounts.confirm_totp_enrolment(user, totp.generate_otp(totp.timecode(clock.now())))
        user.totp_last_step = None
        db.session.commit()
    return secret


def log_in(app, username: str, secret: str):
    import pyotp

    from caseapp import clock

    client = app.test_client()

    def token(path):
        html = client.get(path).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    response = client.post("/login", data={"csrf_token": token("/login"), "username": username,
                                           "password": PASSWORD})
    assert response.status_code == 302 and "/login/code" in response.headers["Location"], \
        response.status_code
    totp = pyotp.TOTP(secret)
    response = client.post("/login/code", data={
        "csrf_token": token("/login/code"),
        "code": totp.generate_otp(totp.timecode(clock.now()))}, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return client


# --- measuring and printing ----------------------------------------------------------------

HEADS = ("(a) bare SQL, every number", "(b) compute + awareness", "(c) dashboard.build",
         "(c) GET /figures", "(c') GET, charts drawn anew", "(d) report make + xlsx")


def measure(label, repeat, run_bare, run_figures, run_build, run_get, run_report) -> dict:
    a = best_of(run_bare, repeat)
    b = best_of(run_figures, repeat)
    compared = {k: v for k, v in b[1].items()
                if not k.startswith(("not_handled.", "all_met."))}
    assert compared == dict(a[1]), (
        f"the bare SQL disagrees with figures.compute: "
        f"{set(compared.items()) ^ set(a[1].items())}")
    c = best_of(run_build, repeat)
    board = c[1]
    lists = (len(board.not_handled), len(board.late), len(board.unfounded), len(board.no_help))
    g = best_of(run_get, repeat)
    cold = best_of(lambda: run_get(cold=True), repeat)
    d = best_of(run_report, repeat)
    return {"label": label, "requests": a[1]["requests.total"], "lists": lists,
            "page": g[1], "timings": [(t, q, runs) for t, _, q, runs in (a, b, c, g, cold, d)]}


def profile(engine, fn) -> str:
    """cProfile of one run of ``fn``, and the statements it ran, by text."""
    from sqlalchemy import event

    by_text: Counter = Counter()
    spent: Counter = Counter()
    started = {}

    def before(_conn, cursor, statement, *_args):
        started[id(cursor)] = time.perf_counter()

    def after(_conn, cursor, statement, *_args):
        key = " ".join(statement.split())[:150]
        by_text[key] += 1
        spent[key] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    try:
        profiler.runcall(fn)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    out.write("statements by text (count, seconds in the driver), top 12 by time:\n")
    for key, seconds in spent.most_common(12):
        out.write(f"  {by_text[key]:7d}  {seconds:8.3f} s  {key}\n")
    return out.getvalue()


def print_tables(args, dialect, results, memory, profiles, year_code) -> None:
    print(f"\n{args.cases:,} cases on {dialect}; best of {args.repeat} after a warm-up "
          f"(† best of 2: warm-up over {SLOW:.0f} s); seconds (ratio to (a)) "
          "[SQL statements per run]\n")
    print("| scope, period | R | listed: not yet / late / unfounded / no help | "
          + " | ".join(HEADS) + " |")
    print("|---|---|---|" + "---|" * len(HEADS))
    for r in results:
        base = r["timings"][0][0]
        cells = []
        for i, (t, q, runs) in enumerate(r["timings"]):
            mark = "†" if runs < args.repeat else ""
            cells.append(f"{t:.3f}{mark} [{q}]" if i == 0
                         else f"{t:.3f}{mark} (**{t / base:.1f}×**) [{q}]")
        print(f"| {r['label']} | {r['requests']:,} | "
              f"{' / '.join(f'{x:,}' for x in r['lists'])} | " + " | ".join(cells) + " |")
    print("\npeak Python memory (tracemalloc, one run each, MiB):\n")
    print("| scope, period | (c) dashboard.build | (c) GET /figures | (d) report make + xlsx |")
    print("|---|---|---|---|")
    for label, build_mb, get_mb, report_mb in memory:
        print(f"| {label} | {build_mb:.1f} | {get_mb:.1f} | {report_mb:.1f} |")
    print("\nGET /figures page size: " + ", ".join(
        f"{r['label']} {r['page'] / 1024:,.0f} KiB" for r in results))
    for what, text_ in profiles.items():
        print(f"\n--- profile: {what} (province, {year_code}) ---")
        print(text_)


# --- the run ---------------------------------------------------------------------------------

def prepare(app, cases: int, seed_value: int) -> list[tuple]:
    """Migrate, seed and check; enrol the two supervisors. Returns the scopes:
    (name, supervisor id, username, TOTP secret, unit id, unit code)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from caseapp import MIGRATIONS_DIR
    from caseapp.accounts.models import User
    from caseapp.auditing.writer import ensure_genesis
    from caseapp.extensions import db

    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(directory=MIGRATIONS_DIR)
    ensure_genesis()
    db.session.commit()
    t0 = time.perf_counter()
    province, districts, communes, people = build_units_and_people()
    t1 = time.perf_counter()
    counts = seed(app, province, districts, communes, people, cases, seed_value)
    db.session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    t2 = time.perf_counter()
    print(f"{engine.dialect.name}: {len(communes) + len(districts) + 1} units and "
          f"{len(people)} people through the services in {t1 - t0:.1f} s; seeded in "
          f"{t2 - t1:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    check_sample(db.session.get(User, people["province"].id))
    scopes = []
    for name, key, unit in (("province", "province", province),
                            ("district", "gs.h1", districts[0])):
        user = db.session.get(User, people[key].id)
        scopes.append((name, user.id, user.username, enrol(user), unit.id, unit.code))
    db.session.remove()
    return scopes


def runners(app, client, uid: str, unit_id: int, code: str, period, statement):
    """The five parts, each starting from a fresh session as a request would."""
    from sqlalchemy import select

    from caseapp import clock
    from caseapp.accounts.models import User
    from caseapp.crypto import key_scope
    from caseapp.extensions import db
    from caseapp.reports import dashboard, export, figures, service
    from caseapp.units.models import Unit

    def load():
        db.session.remove()  # SQLite: BEGIN IMMEDIATE; never leave a transaction open
        return db.session.get(User, uid), db.session.get(Unit, unit_id)

    extra = bare_extra_statements(db.engine.dialect.name)

    def run_bare():
        db.session.remove()
        path = db.session.scalar(select(Unit.path).where(Unit.id == unit_id))
        return bare_all(statement, extra, path, period, clock.now())

    def run_figures():
        _user, unit = load()
        as_of = clock.now()
        n = figures.compute(figures.Scope(unit=unit), period, as_of)
        n.update(figures.awareness(unit, period))
        return n

    def run_build():
        user, unit = load()
        with app.test_request_context("/figures"), key_scope():
            return dashboard.build(user, unit, period)

    def run_get(cold: bool = False):
        if cold:  # as the first view of these numbers: no chart drawn yet
            from caseapp.core import charts
            charts._bars.cache_clear()
            charts._line.cache_clear()
        db.session.remove()
        response = client.get(f"/figures?period={period.code}&unit={code}")
        assert response.status_code == 200, response.status_code
        return len(response.data)

    def run_report():
        user, unit = load()
        with app.test_request_context("/figures/report"), key_scope():
            report = service.make(user, unit, period, fmt="xlsx")
            return len(export.render(report, "xlsx"))

    return run_bare, run_figures, run_build, run_get, run_report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="postgresql+psycopg://... (its public schema is dropped and "
                             "made again); default: SQLite in the temp dir")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile (c) and (d) for the province and the year")
    args = parser.parse_args()

    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    from caseapp import create_app
    from caseapp.clock import local_today
    from caseapp.crypto import KeyRing
    from caseapp.extensions import db
    from caseapp.reports.period import parse

    if args.database_url and not (make_url(args.database_url).database or "").startswith("bench"):
        parser.error("the PostgreSQL database's name must start with 'bench' (its schema is "
                     "dropped)")
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        os.chmod(tmp, 0o700)
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "benchmark-" + "x" * 40,
                          "CASEAPP_KEYRING": KeyRing.generate(),
                          "SQLALCHEMY_DATABASE_URI": args.database_url
                          or f"sqlite:///{tmp}/bench.db"}, env="testing")
        app.test_client_class = isolated_client_class()
        app.extensions["caseapp_audit_started"] = True
        with app.app_context():
            engine = db.engine
            scopes = prepare(app, args.cases, args.seed)
            event.listen(engine, "before_cursor_execute",
                         lambda *_a: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1))
            periods = [parse(None), parse(str(local_today().year))]
            statement = bare_statement()
            results, memory, profiles = [], [], {}
            for scope_name, uid, username, secret, unit_id, code in scopes:
                db.session.remove()  # SQLite: the login needs the write lock
                client = log_in(app, username, secret)
                for period in periods:
                    parts = runners(app, client, uid, unit_id, code, period, statement)
                    label = f"{scope_name} {period.code}"
                    results.append(measure(label, args.repeat, *parts))
                    _bare, _figures, run_build, run_get, run_report = parts
                    memory.append((label, peak_memory(run_build), peak_memory(run_get),
                                   peak_memory(run_report)))
                    if args.profile and scope_name == "province" and period is periods[-1]:
                        profiles = {what: profile(engine, fn) for what, fn in (
                            ("dashboard.build", run_build), ("GET /figures", run_get),
                            ("report make+xlsx", run_report))}
                    print(f"  measured {label}", file=sys.stderr, flush=True)
            print_tables(args, engine.dialect.name, results, memory, profiles,
                         periods[-1].code)
            db.session.remove()
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
