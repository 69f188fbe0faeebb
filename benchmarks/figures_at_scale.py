"""What do /figures and the report cost once a province holds 100,000 cases?

Makes a throw-away instance (keys, a temp dir, migrations) on SQLite, or on the
PostgreSQL database given with ``--database-url`` (its ``public`` schema is
dropped and made again: give it a database of its own), and fills it with a
province, 5 districts and 44 communes (20 of them marked as schools), the
staff, and N cases spread over the last two years with realistic stages,
risks, channels, genders, age bands, deadlines met and missed, assignments,
support actions, closures, harm categories, platforms, referrals and
awareness sessions.

The units and the people go through the real services. The case rows are
inserted in bulk with SQLAlchemy Core (``caseapp demo-data`` does ~9 ms per
case, 15 minutes for 100,000), but sealed exactly as the ORM would seal them:
each case row carries the access MAC of :mod:`caseapp.crypto.row_integrity`
(version 1) and its "row.sealed" anchor entry in the audit chain, so the
lists behind the numbers (``queries.fetch_cases``, which re-checks every row)
list them like cases the app wrote. A sample is checked after seeding.

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
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BATCH = 5000
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')

CHANNELS = ("hotline_111", "phone", "walk_in", "online_report", "school", "commune",
            "police", "hotline_app", "email", "other")
CHANNEL_W = (30, 15, 12, 12, 10, 8, 5, 4, 2, 2)
HARMS = ("cyberbullying", "grooming", "sextortion", "fraud", "privacy_exposure",
         "harmful_content", "compulsive_use", "csam", "self_harm", "live_abuse", "trafficking",
         "other")
HARM_W = (30, 12, 8, 12, 10, 8, 8, 3, 3, 1, 1, 4)
PLATFORMS = ("facebook", "tiktok", "zalo", "youtube", "game", "other")
PLATFORM_W = (35, 25, 20, 8, 10, 2)
BANDS = ("0-5", "6-10", "11-15", "16-17", "unknown")
BAND_W = (4, 22, 52, 18, 4)
AGENCIES = ("police", "cybercrime_police", "social_work_centre", "health_facility", "school",
            "legal_aid", "commune_committee", "womens_union", "health_social_dept")
ACTIONS = ("counselling", "psychological", "online_safety", "family", "education", "legal",
           "medical", "other")
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

def _hours(rng, low, high):
    return timedelta(hours=rng.uniform(low, high))


def _days(rng, low, high):
    return timedelta(days=rng.uniform(low, high))


def make_case(rng, now, refs, unit, district_of, officer_of, counselor_of,  # noqa: C901
              supervisor_of):
    """One case's row and its link rows, as its history up to ``now`` left it.
    Working days are approximated by 7 calendar days per 5 (the benchmark
    times reading, not the deadline calendar)."""
    received = now - timedelta(days=rng.uniform(0, 730))
    case_id = str(uuid.uuid4())
    while True:
        reference = "HS-" + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(8))
        if reference not in refs:
            refs.add(reference)
            break
    district = district_of[unit.id]
    lead = officer_of[unit.id]
    recorder = counselor_of[district.id] if rng.random() < 0.6 else lead
    supervisor = supervisor_of[district.id]
    danger = rng.random() < 0.1
    help_requested = rng.random() < 0.9
    band = rng.choices(BANDS, BAND_W)[0]
    if band == "16-17" and received < now - timedelta(days=540) and rng.random() < 0.15:
        band = "15-17"  # never re-banded
    row = {
        "id": case_id, "reference": reference, "unit_id": unit.id, "recorded_by_id": recorder,
        "lead_officer_id": None, "received_at": received,
        "channel_code": rng.choices(CHANNELS, CHANNEL_W)[0],
        "requested_by_code": rng.choices(("child", "relative", "community", "agency"),
                                         (35, 45, 10, 10))[0],
        "help_requested": help_requested, "immediate_danger": danger, "risk_level": None,
        "age_band": band, "gender_code": rng.choices(("female", "male", "unknown", "other"),
                                                     (54, 42, 3, 1))[0],
        "child_group": rng.choices(("abused", "at_risk", "special_circumstances"),
                                   (65, 30, 5))[0],
        "consent_recorded_at": received, "consent_recorded_by_id": recorder,
        "created_at": received + _hours(rng, 0.05, 2),
        "first_assigned_at": None, "support_started_at": None, "closed_at": None,
        "purged_at": None, "restricted_at": None, "data_key_id": None,
        "emergency_due_at": None, "emergency_done_at": None,
        "assessment_due_at": None, "assessed_at": None,
        "needs_assessment_due_at": None, "needs_assessed_at": None,
        "plan_draft_due_at": None, "plan_drafted_at": None,
        "plan_approval_due_at": None, "plan_approved_at": None,
        "decision_due_at": None, "decision_recorded_at": None,
        "next_follow_up_at": None, "next_deadline_at": None,
        "closure_reason_code": None, "review_harm_level": None, "review_access_level": None,
        "review_obstacles_level": None, "review_self_protection_level": None,
        "review_recovery_level": None, "closure_requested_at": None,
        "closure_requested_by_id": None, "closure_approved_at": None,
        "closure_approved_by_id": None, "closure_returned_at": None,
        "closure_returned_by_id": None, "version_id": 1, "access_version": 1,
    }
    consent = rng.random() < 0.8
    row["child_consent"] = "given" if consent else rng.choice(("not_asked", "refused"))
    row["guardian_consent"] = "given" if consent or rng.random() < 0.5 else "not_asked"
    row["legal_ground"] = None if row["child_consent"] == row["guardian_consent"] == "given" \
        else ("emergency" if danger else "receive_report")
    events = [received]
    actions, referrals = [], []

    def happened(moment):
        return moment is not None and moment <= now

    stage = "intake"
    assigned = received + _hours(rng, 0.2, 30) if rng.random() > 0.01 else None
    if danger:
        row["emergency_due_at"] = received + timedelta(hours=12)
        done = received + _hours(rng, 0.5, 12.8)
        if happened(done):
            row["emergency_done_at"] = done
            actions.append(("emergency", done))
    row["assessment_due_at"] = received + timedelta(hours=72)
    closure = None  # (reason, closed_at)
    if happened(assigned):
        row["first_assigned_at"], row["lead_officer_id"] = assigned, lead
        stage = "assessment"
        events.append(assigned)
        assessed = received + _hours(rng, 4, 78) if rng.random() > 0.01 else None
        if happened(assessed):
            row["assessed_at"] = assessed
            row["risk_level"] = rng.choices(("high", "medium", "low"), (20, 45, 35))[0]
            events.append(assessed)
            row["needs_assessment_due_at"] = assessed + timedelta(days=7)
            early = rng.random()
            if early < 0.07 or (not help_requested and early < 0.5):
                reason = "unfounded" if early < 0.05 else rng.choice(
                    ("declined", "no_contact", "duplicate", "transferred"))
                closure = (reason, assessed + _days(rng, 1, 12))
            else:
                first_help = assessed + _hours(rng, 1, 72)
                if rng.random() > 0.03 and happened(first_help):  # 3%: no help recorded yet
                    row["support_started_at"] = first_help
                    actions.append((rng.choice(ACTIONS), first_help))
                    events.append(first_help)
                needs = assessed + _days(rng, 1, 7.4)
                if happened(needs):
                    row["needs_assessed_at"] = needs
                    events.append(needs)
                    row["plan_draft_due_at"] = needs + timedelta(days=7)
                    row["plan_approval_due_at"] = needs + timedelta(days=9.8)
                    drafted = needs + _days(rng, 0.5, 7.4)
                    if happened(drafted):
                        row["plan_drafted_at"] = drafted
                        events.append(drafted)
                        approved = drafted + _days(rng, 0.1, 2.2)
                        if happened(approved) and rng.random() > 0.02:
                            row["plan_approved_at"] = approved
                            events.append(approved)
                            stage = "support"
                            if band != "16-17":
                                row["decision_due_at"] = approved + timedelta(days=2.8)
                                decided = approved + _days(rng, 0.2, 4)
                                if happened(decided):
                                    row["decision_recorded_at"] = decided
                            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                                moment = approved + _days(rng, 1, 60)
                                if happened(moment):
                                    actions.append((rng.choice(ACTIONS), moment))
                            if rng.random() < 0.12:
                                sent = approved + _days(rng, 1, 20)
                                if happened(sent):
                                    referrals.append((rng.choice(AGENCIES), sent))
                                    stage = "referral"
                            if rng.random() > 0.04:  # 4% stay open long
                                closure = (rng.choices(
                                    ("resolved", "referred_completed", "other", "declined"),
                                    (75, 15, 5, 5))[0], approved + _days(rng, 15, 150))
    if closure is not None and happened(closure[1]):
        reason, closed = closure
        row.update(closure_reason_code=reason, closed_at=closed, closure_approved_at=closed,
                   closure_requested_at=closed - _days(rng, 0.1, 3),
                   closure_requested_by_id=lead, closure_approved_by_id=supervisor)
        if reason in ("resolved", "referred_completed"):
            row.update(review_harm_level=rng.choice(("low", "medium")),
                       review_access_level="low", review_obstacles_level="low",
                       review_self_protection_level=rng.choice(("high", "medium")),
                       review_recovery_level=rng.choice(("high", "medium")))
        stage = "closure"
        events.append(closed)
    elif closure is not None and happened(closure[1] - timedelta(days=3)) and rng.random() < 0.5:
        row.update(closure_requested_at=closure[1] - timedelta(days=3),
                   closure_requested_by_id=lead)
    row["stage"] = stage
    row["stage_entered_at"] = row["updated_at"] = max(events)
    if stage != "closure":
        pending = [row[due] for due, done in (
            ("emergency_due_at", "emergency_done_at"), ("assessment_due_at", "assessed_at"),
            ("needs_assessment_due_at", "needs_assessed_at"),
            ("plan_draft_due_at", "plan_drafted_at"),
            ("plan_approval_due_at", "plan_approved_at"),
            ("decision_due_at", "decision_recorded_at")) if row[due] and not row[done]]
        row["next_deadline_at"] = min(pending) if pending else None
        if stage in ("support", "referral"):
            row["next_follow_up_at"] = now + _days(rng, 1, 30)
    harms = set(rng.choices(HARMS, HARM_W, k=rng.choice((1, 1, 2))))
    platforms = set(rng.choices(PLATFORMS, PLATFORM_W, k=rng.choice((1, 1, 2))))
    return row, harms, platforms, actions, referrals, lead


def seed(app, province, districts, communes, people, count: int, seed_value: int) -> dict:
    """Insert ``count`` cases and their rows in batches, each case sealed and
    anchored as the ORM would; awareness sessions too. Returns row counts."""
    from sqlalchemy import inspect

    import audit
    from caseapp import clock
    from caseapp.awareness.models import AwarenessSession
    from caseapp.cases.models import (
        Case,
        Referral,
        SupportAction,
        case_harm_categories,
        case_platforms,
    )
    from caseapp.crypto import row_integrity
    from caseapp.extensions import db

    rng = random.Random(seed_value)
    now = clock.now()
    mapper = inspect(Case)
    mac_key = app.extensions["caseapp_keys"].audit_mac_key
    district_of = {d.id: d for d in districts} | {c.id: c.parent for c in communes}
    officer_of = {c.id: people[f"cb.x{i}"].id for i, c in enumerate(communes, 1)}
    officer_of |= {d.id: people[f"cb.h{i}"].id for i, d in enumerate(districts, 1)}
    counselor_of = {d.id: people[f"tvv.h{i}"].id for i, d in enumerate(districts, 1)}
    supervisor_of = {d.id: people[f"gs.h{i}"].id for i, d in enumerate(districts, 1)}
    units = communes + districts
    weights = [9] * len(communes) + [4] * len(districts)  # most reports come through communes
    refs: set[str] = set()
    counts = Counter()
    fields = ("id", "access_version", *Case.__access_fields__)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(audit.writer._PG_LOCK)
    head_seq, head_mac = audit.writer._read_head(connection)
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        cases, harms, platforms, actions, referrals, anchors = [], [], [], [], [], []
        for _ in range(size):
            unit = rng.choices(units, weights)[0]
            row, h, p, acts, refs_, lead = make_case(rng, now, refs, unit, district_of,
                                                     officer_of, counselor_of, supervisor_of)
            # The row MAC the before_insert event would write (version 1) ...
            row["access_mac"] = row_integrity._compute_for(
                Case, mapper, {name: row[name] for name in fields})
            cases.append(row)
            # ... and its "row.sealed" anchor, the next link of the chain.
            head_seq += 1
            entry = {"seq": head_seq, "occurred_at": now,
                     "actor_type": "system", "actor_id": None, "actor_role": None,
                     "session_hash": None, "client_addr": None,
                     "action": row_integrity.ANCHOR_ACTION, "object_type": "cases",
                     "object_id": row_integrity.anchor_id("cases", row["id"]),
                     "outcome": "ok", "request_id": None, "unit_path": None,
                     "details": audit.writer.canonical_details({"version": 1}),
                     "prev_mac": head_mac}
            entry["mac"] = head_mac = audit.compute_mac(mac_key, head_mac, entry)
            anchors.append(entry)
            harms += [{"case_id": row["id"], "harm_category_code": c} for c in h]
            platforms += [{"case_id": row["id"], "platform_code": c} for c in p]
            actions += [{"id": str(uuid.uuid4()), "case_id": row["id"], "kind": kind,
                         "performed_at": at, "recorded_by_id": lead, "recorded_at": at}
                        for kind, at in acts]
            for agency, sent in refs_:
                status = rng.choices(("sent", "accepted", "completed", "declined"),
                                     (20, 40, 35, 5))[0]
                referrals.append({
                    "id": str(uuid.uuid4()), "case_id": row["id"], "agency_code": agency,
                    "status": status, "sharing_basis": "consent", "sent_at": sent,
                    "accepted_at": sent + timedelta(days=2) if status in (
                        "accepted", "completed") else None,
                    "declined_at": sent + timedelta(days=2) if status == "declined" else None,
                    "completed_at": sent + timedelta(days=20) if status == "completed" else None,
                    "created_by_id": lead, "updated_at": sent})
        connection.execute(Case.__table__.insert(), cases)
        connection.execute(audit.audit_entries.insert(), anchors)
        connection.execute(case_harm_categories.insert(), harms)
        connection.execute(case_platforms.insert(), platforms)
        if actions:
            connection.execute(SupportAction.__table__.insert(), actions)
        if referrals:
            connection.execute(Referral.__table__.insert(), referrals)
        counts.update(cases=len(cases), harm_rows=len(harms), platform_rows=len(platforms),
                      support_actions=len(actions), referrals=len(referrals),
                      anchor_entries=len(anchors))
        done += size
        db.session.commit()
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(audit.writer._PG_LOCK)
        head_seq, head_mac = audit.writer._read_head(connection)
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
            from caseapp.reports import charts
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
    from caseapp.crypto import KeyRing
    from caseapp.extensions import db
    from caseapp.reports.period import local_today, parse

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
