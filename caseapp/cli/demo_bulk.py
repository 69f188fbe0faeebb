"""Synthetic cases in bulk: ``caseapp demo-data`` for large counts, and the
benchmarks that need a province full of cases.

The services write a case in ~90 statements (5-30 cases a second). Here a
batch of cases is made in memory -- in worker processes when there are
several (:class:`BatchSource`), each batch from its own seed -- and inserted
by the one writer with the driver's bulk path (``executemany`` on SQLite,
``COPY`` on PostgreSQL; values bound by the columns' own SQLAlchemy types),
yet stored exactly as the app stores them:

* each case gets its own data key, wrapped under the current KEK version on
  the case row (:func:`caseapp.crypto.aead.new_data_key_bytes`, the key
  ring's ``wrap``); the child's name, date of birth or age, address, school,
  phone, the guardian, the reporter, the narrative... are sealed by the
  model's own :class:`~caseapp.crypto.Sealed` descriptors
  (``seal_for_row``: same header, same associated data), and so is the one
  person recorded around the child (the mother) with the case's key;
* the blind indexes (child's phone; date of birth with the family name) by
  :func:`caseapp.crypto.blind_index` with the instance's key and bits;
* the row's access MAC of :mod:`caseapp.crypto.row_integrity` (version 1)
  and, per case, its "row.sealed" anchor and its "case.create" entry (the
  case's facts as written, :func:`caseapp.cases.facts.snapshot`), chained in
  memory from the head of the log with :func:`audit.compute_mac` and inserted
  under the writer's lock (PostgreSQL's advisory lock; SQLite's
  ``BEGIN IMMEDIATE``), so ``caseapp audit verify`` passes and the lists
  (``queries.fetch_cases``) show the cases like any other.

What the services do and this does not: the matching of likely earlier cases
and offenders at intake (hooks), notes, plans, assessments' and decisions'
sealed records, the audit entries of each later step (one "case.create" says
how each case stands as written). A case's history is in its timestamps and
deadlines: stages, deadlines met and missed, assignments, support actions,
referrals and closures, spread over the last two years.
"""
from __future__ import annotations

import random
import uuid
from collections import Counter, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "HS-"
REFERENCE_LENGTH = 8

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
BAND_AGES = {"0-5": (2, 5), "6-10": (6, 10), "11-15": (11, 15), "16-17": (16, 17),
             "15-17": (15, 17)}
AGENCIES = ("police", "cybercrime_police", "social_work_centre", "health_facility", "school",
            "legal_aid", "commune_committee", "womens_union", "health_social_dept")
ACTIONS = ("counselling", "psychological", "online_safety", "family", "education", "legal",
           "medical", "other")
#: How far back the cases go (received over the last two years).
HISTORY_DAYS = 730


def _hours(rng, low, high):
    return timedelta(hours=rng.uniform(low, high))


def _days(rng, low, high):
    return timedelta(days=rng.uniform(low, high))


def new_reference(rng: random.Random) -> str:
    return REFERENCE_PREFIX + "".join(rng.choice(REFERENCE_ALPHABET)
                                      for _ in range(REFERENCE_LENGTH))


@dataclass
class MadeCase:
    """One case as its history up to ``now`` left it, before sealing."""

    row: dict
    harms: set
    platforms: set
    actions: list  # (kind, performed_at)
    referrals: list  # (agency, sent_at)
    lead: str
    band_age: int | None = None
    child: dict = field(default_factory=dict)


def make_case(rng, now, refs, unit_id, lead, recorder, supervisor):  # noqa: C901
    """One case's row and its link rows, as its history up to ``now`` left it:
    received in the last two years in unit ``unit_id``, recorded by
    ``recorder``, led by ``lead`` once assigned, closures approved by
    ``supervisor`` (user ids). Working days are approximated by 7 calendar
    days per 5. ``refs``: references already taken (the new one is added)."""
    received = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
    case_id = str(uuid.uuid4())
    while True:
        reference = new_reference(rng)
        if reference not in refs:
            refs.add(reference)
            break
    danger = rng.random() < 0.1
    help_requested = rng.random() < 0.9
    band = rng.choices(BANDS, BAND_W)[0]
    if band == "16-17" and received < now - timedelta(days=540) and rng.random() < 0.15:
        band = "15-17"  # never re-banded
    row = {
        "id": case_id, "reference": reference, "unit_id": unit_id, "recorded_by_id": recorder,
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
    return MadeCase(row, harms, platforms, actions, referrals, lead)


def child_data(rng: random.Random, made: MadeCase, unit_name: str) -> dict:
    """The synthetic child data of a case (sealed by :class:`BulkWriter`): a name
    from common names, a date of birth (or an estimated age) in its age band,
    random 0100 phone numbers (a prefix no longer allocated)."""
    from .cases import NARRATIVES, OCCUPATIONS, RELATIONS, _name, _phone

    row = made.row
    received: datetime = row["received_at"]
    gender = row["gender_code"]
    ages = BAND_AGES.get(row["age_band"])
    age = rng.randint(*ages) if ages else None
    dob: date | None = None
    if age is not None and rng.random() < 0.7:
        dob = received.date() - timedelta(days=age * 365 + 5 + rng.randrange(355))
    school = f"Trường {'THCS' if (age or 12) < 15 else 'THPT'} (mẫu) số {rng.randint(1, 9)}"
    first_harm = sorted(made.harms)[0]
    platform = sorted(made.platforms)[0]
    return {
        "child_full_name": _name(rng, gender),
        "child_date_of_birth": dob,
        "child_estimated_age": age if dob is None else None,
        "child_address": f"Tổ {rng.randint(1, 30)}, {unit_name}",
        "child_school": school,
        "child_class": f"{min(max((age or 12) - 5, 1), 12)}A{rng.randint(1, 5)}",
        "child_phone": _phone(rng) if rng.random() < 0.4 else None,
        "guardian_name": _name(rng, rng.choice(["female", "male"])),
        "guardian_contact": _phone(rng),
        "reporter_name": _name(rng, "female"),
        "reporter_relation": rng.choice(RELATIONS),
        "reporter_phone": _phone(rng),
        "narrative": NARRATIVES.get(first_harm, NARRATIVES["other"]),
        "incident_place": f"Mạng xã hội ({platform})",
        "safe_tonight": "no" if row["immediate_danger"] else "unknown",
        "_mother": (_name(rng, "female"), rng.randint(28, 50), rng.choice(OCCUPATIONS)),
    }


@dataclass
class BatchPlan:
    """Who and where the cases of a batch go (ids only; made once per run)."""

    now: datetime
    commune_ids: list[int]
    commune_names: dict[int, str]
    officers: list[str]  # the lead officer of each commune (same order)
    counselors: list[str]  # the recorder of each commune when a counselor records
    supervisor: str


def make_cases(rng: random.Random, plan: BatchPlan, size: int,
               refs: set[str] | None = None) -> list[MadeCase]:
    """``size`` cases of ``plan`` with their child data, drawn from ``rng``."""
    refs = set() if refs is None else refs
    made = []
    for _ in range(size):
        k = rng.randrange(len(plan.commune_ids))
        unit_id = plan.commune_ids[k]
        lead = plan.officers[k]
        recorder = plan.counselors[k] if rng.random() < 0.6 else lead
        case = make_case(rng, plan.now, refs, unit_id, lead, recorder, plan.supervisor)
        case.child = child_data(rng, case, plan.commune_names[unit_id])
        made.append(case)
    return made


@dataclass
class PreparedBatch:
    """A batch made, sealed and MAC'd, ready for the single writer: rows as
    DB-API parameter tuples (the column types' own bind processing done) and,
    per case, what its two audit entries need. Holds no key: picklable, so a
    worker process can make it."""

    rows: dict[str, tuple[tuple, list[tuple]]]  # table -> (column names, rows)
    references: list[str]
    access: list[dict]  # per case: the values under its row MAC (for a re-drawn reference)
    audit: list[tuple]  # per case: (anchor object id, recorder, reference, unit path, details)
    counts: Counter


def loaded_tables() -> list:
    """The tables a bulk run writes, parents before the rows that refer to them."""
    import audit
    from caseapp.cases.models import (
        Case,
        CasePerson,
        Referral,
        SupportAction,
        case_harm_categories,
        case_platforms,
    )

    return [Case.__table__, CasePerson.__table__, audit.audit_entries, case_harm_categories,
            case_platforms, SupportAction.__table__, Referral.__table__]


# --- the loaded tables' secondary indexes -----------------------------------------------------
# A B-tree grown one row at a time costs a random page write per row and index
# once it outgrows the cache; built once from the loaded rows it is a sort. A
# large run drops the non-unique indexes of the tables it loads and builds
# them again at the end; unique indexes, unique constraints and primary keys
# stay (a reference or an id stays unique if the app serves meanwhile).

#: PostgreSQL memory for each index build (SET LOCAL: that transaction only).
REBUILD_WORK_MEM = "256MB"


def deferrable_indexes() -> list:
    """The non-unique indexes of :func:`loaded_tables`, as the models declare them."""
    return [index for table in loaded_tables()
            for index in sorted(table.indexes, key=lambda i: i.name) if not index.unique]


def _present_index_names(connection) -> set[str]:
    from sqlalchemy import inspect

    inspector = inspect(connection)
    return {found["name"] for table in loaded_tables()
            for found in inspector.get_indexes(table.name)}


def missing_indexes(connection) -> list:
    """The :func:`deferrable_indexes` the database lacks (a run killed
    before it built them again)."""
    present = _present_index_names(connection)
    return [index for index in deferrable_indexes() if index.name not in present]


def _index_sql(connection, name: str) -> str:
    """The database's own statement for index ``name`` (restored exactly as it was)."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        return connection.scalar(text(
            "SELECT pg_get_indexdef(c.oid) FROM pg_class c WHERE c.relkind = 'i' "
            "AND c.relname = :name AND pg_table_is_visible(c.oid)"), {"name": name})
    return connection.scalar(text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": name})


def build_indexes(session, builds: list, progress) -> None:
    """Build each of ``builds`` (a SQL statement, or an :class:`~sqlalchemy.Index`
    of the models) in a transaction of its own, committed, counting them on
    ``progress``; then, on PostgreSQL, refresh the loaded tables' statistics."""
    from sqlalchemy import text

    progress.update(0)
    for done, build in enumerate(builds, 1):
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{REBUILD_WORK_MEM}'")
        if isinstance(build, str):
            connection.execute(text(build))
        else:
            build.create(connection, checkfirst=True)
        session.commit()
        progress.update(done)
    connection = session.connection()
    if builds and connection.dialect.name == "postgresql":
        # The planner's statistics of tables that grew at once (autovacuum
        # would get there later). SQLite's are left as the app keeps them (none).
        quote = connection.dialect.identifier_preparer.quote
        connection.exec_driver_sql(
            "ANALYZE " + ", ".join(quote(table.name) for table in loaded_tables()))
    session.commit()
    progress.finish()


@contextmanager
def indexes_deferred(session, progress_for):
    """Drop the loaded tables' non-unique indexes (each as the database
    holds it, remembered), run the block, and build them again whatever
    happens in it (an exception, Ctrl-C), each committed on its own with
    ``progress_for(n)`` counting them. A run killed outright leaves them
    dropped: the next run builds them first (:func:`missing_indexes`)."""
    from sqlalchemy import text

    connection = session.connection()
    present = _present_index_names(connection)
    quote = connection.dialect.identifier_preparer.quote
    dropped = []
    try:
        for index in deferrable_indexes():
            if index.name not in present:
                continue
            statement = _index_sql(session.connection(), index.name)
            session.connection().execute(text(f"DROP INDEX {quote(index.name)}"))
            session.commit()
            dropped.append(statement or index)
        yield len(dropped)
    finally:
        session.rollback()
        if dropped:
            build_indexes(session, dropped, progress_for(len(dropped)))


class BulkWriter:
    """Writes batches of :class:`MadeCase` with their keys, sealed fields, MACs
    and audit entries. Needs an app context (the instance's keys), no key
    scope: each case's key is made, used and dropped here.

    Two halves: :meth:`prepare` does all that does not depend on the audit
    chain or the database (keys, sealing, blind indexes, row MACs, the
    entries' details, the columns' bind processing) and may run in worker
    processes; :meth:`insert` takes the writer's lock, chains the entries
    from the head of the log and inserts everything with the driver's bulk
    path (``executemany`` on SQLite, ``COPY`` on PostgreSQL)."""

    def __init__(self, app, units_by_id: dict[int, tuple[str, str]],
                 users_by_id: dict[str, str]):
        """``units_by_id``: unit id -> (name, path); ``users_by_id``: user id -> role."""
        from sqlalchemy import inspect

        from caseapp.cases.models import Case, CasePerson
        from caseapp.crypto import current_keyring
        from caseapp.crypto.blind_index import DEFAULT_BITS
        from caseapp.extensions import db

        self.keyring = current_keyring()
        self.mac_key = app.extensions["caseapp_keys"].audit_mac_key
        self.index_key = self.keyring.blind_index_key
        self.bits = app.config.get("BLIND_INDEX_BITS", DEFAULT_BITS)
        self.mapper = inspect(Case)
        self.units, self.users = units_by_id, users_by_id
        self.case_fields = {name: getattr(Case, name) for name in (
            "child_full_name", "child_date_of_birth", "child_estimated_age", "child_address",
            "child_school", "child_class", "child_phone", "guardian_name", "guardian_contact",
            "reporter_name", "reporter_relation", "reporter_phone", "narrative",
            "incident_place", "safe_tonight")}
        self.person_fields = tuple(getattr(CasePerson, name)
                                   for name in ("full_name", "age", "occupation"))
        self.dialect = db.engine.dialect
        self.tables = {t.name: t for t in loaded_tables()}
        self._columns: dict[str, tuple] = {}

    # --- rows as the driver takes them ------------------------------------------------------

    def _layout(self, table_name: str, given) -> tuple:
        """(column names, bind processors) of a table for rows giving the
        columns ``given``: in the table's order; every column with a
        Python-side default must be given (what SQLAlchemy's insert would
        fill in is filled in here)."""
        found = self._columns.get((table_name, tuple(given)))
        if found is None:
            from sqlalchemy import LargeBinary

            table = self.tables[table_name]
            missing = [c.name for c in table.columns
                       if c.default is not None and c.name not in given]
            if missing:
                raise ValueError(f"bulk rows of {table_name} lack {missing}")
            names, processors = [], []
            for column in table.columns:
                if column.name not in given:
                    continue  # NULL or the server default, as a Core insert leaves it
                names.append(column.name)
                kind = column.type
                # bytes go to both drivers as they are (a memoryview would not pickle)
                processors.append(None if isinstance(kind, LargeBinary)
                                  else kind._cached_bind_processor(self.dialect))
            found = self._columns[(table_name, tuple(given))] = (tuple(names),
                                                                 tuple(processors))
        return found

    def _to_params(self, table_name: str, rows: list[dict]) -> tuple[tuple, list[tuple]]:
        """(column names, the rows as parameter tuples in that order)."""
        if not rows:
            return (), []
        names, processors = self._layout(table_name, tuple(rows[0]))
        pairs = tuple(zip(names, processors, strict=True))
        return names, [tuple(row[name] if process is None else process(row[name])
                             for name, process in pairs) for row in rows]

    # --- the part without the database ----------------------------------------------------

    def prepare(self, rng: random.Random, made: list[MadeCase]) -> PreparedBatch:
        """Keys, sealed fields, blind indexes, row MACs and the audit details of
        ``made`` (``rng``: the referrals' states)."""
        from audit.writer import canonical_details
        from caseapp.cases import facts
        from caseapp.cases.models import Case, CasePerson
        from caseapp.crypto import aead, blind_index, row_integrity

        access_fields = ("id", "access_version", *Case.__access_fields__)
        cases, people, harms, platforms, actions, referrals = [], [], [], [], [], []
        references, access, audit_rows = [], [], []
        for m in made:
            row, child = m.row, m.child
            case_id = row["id"]
            key_id = str(uuid.uuid4())
            dek = aead.new_data_key_bytes()
            version, wrapped = self.keyring.wrap(dek, data_key_id=key_id)
            key = aead.FieldKey(key_id, dek)
            row.update(data_key_id=key_id, data_key_wrapped=wrapped, data_key_version=version,
                       data_key_destroyed_at=None, reporter_anonymous=False)
            for name, sealed in self.case_fields.items():
                row[sealed.column_name] = sealed.seal_for_row(Case, key, child.get(name),
                                                              case_id)
            phone, dob = child.get("child_phone"), child.get("child_date_of_birth")
            row["child_phone_index"] = blind_index(
                "child_phone", phone, self.index_key, bits=self.bits) if phone else None
            row["child_dob_family_index"] = blind_index(
                "child_dob_family", (dob, child["child_full_name"].split()[0]),
                self.index_key, bits=self.bits) if dob else None
            protected = {name: row[name] for name in access_fields}
            row["access_mac"] = row_integrity._compute_for(Case, self.mapper, protected)
            cases.append(row)
            references.append(row["reference"])
            access.append(protected)
            person_id = str(uuid.uuid4())
            mother = child["_mother"]
            person = {"id": person_id, "case_id": case_id, "relation": "mother",
                      "position": 0, "recorded_by_id": row["recorded_by_id"],
                      "recorded_at": row["created_at"]}
            for sealed, value in zip(self.person_fields, mother, strict=True):
                person[sealed.column_name] = sealed.seal_for_row(
                    CasePerson, key, value, person_id, owner_id=case_id)
            people.append(person)
            harms += [{"case_id": case_id, "harm_category_code": c} for c in m.harms]
            platforms += [{"case_id": case_id, "platform_code": c} for c in m.platforms]
            acts = [{"id": str(uuid.uuid4()), "case_id": case_id, "kind": kind,
                     "performed_at": at, "recorded_by_id": m.lead, "recorded_at": at}
                    for kind, at in m.actions]
            actions += acts
            refs = []
            for agency, sent in m.referrals:
                status = rng.choices(("sent", "accepted", "completed", "declined"),
                                     (20, 40, 35, 5))[0]
                refs.append({
                    "id": str(uuid.uuid4()), "case_id": case_id, "agency_code": agency,
                    "status": status, "sharing_basis": "consent", "sent_at": sent,
                    "accepted_at": sent + timedelta(days=2) if status in (
                        "accepted", "completed") else None,
                    "declined_at": sent + timedelta(days=2) if status == "declined" else None,
                    "completed_at": sent + timedelta(days=20) if status == "completed" else None,
                    "created_by_id": m.lead, "updated_at": sent})
            referrals += refs
            _name, unit_path = self.units[row["unit_id"]]
            view = SimpleNamespace(
                **row, harm_category_codes=m.harms, platform_codes=m.platforms,
                support_actions=[SimpleNamespace(performed_at=a["performed_at"]) for a in acts],
                referrals=[SimpleNamespace(agency_code=r["agency_code"], status=r["status"])
                           for r in refs])
            audit_rows.append((
                row_integrity.anchor_id("cases", case_id), row["recorded_by_id"],
                unit_path, canonical_details({"stage": row["stage"], "bulk": True,
                                              "facts": facts.snapshot(view)})))
        rows = {"cases": cases, "case_people": people, "case_harm_categories": harms,
                "case_platforms": platforms, "case_support_actions": actions,
                "case_referrals": referrals}
        counts = Counter(cases=len(cases), people=len(people), harm_rows=len(harms),
                         platform_rows=len(platforms), support_actions=len(actions),
                         referrals=len(referrals), audit_entries=2 * len(cases))
        return PreparedBatch({name: self._to_params(name, listed)
                              for name, listed in rows.items()},
                             references, access, audit_rows, counts)

    # --- the single writer ------------------------------------------------------------------

    def _lock_and_head(self, connection):
        from audit.writer import _PG_LOCK, _read_head

        if connection.dialect.name == "postgresql":
            connection.execute(_PG_LOCK)
        return _read_head(connection)

    def _free_references(self, connection, rng, batch: PreparedBatch) -> None:
        """References unique against the table too (earlier batches, a rerun
        with the same seed): a taken one is drawn again and the row's MAC
        made again for it."""
        from sqlalchemy import select

        from caseapp.cases.models import Case
        from caseapp.crypto import row_integrity

        names, case_rows = batch.rows["cases"]
        _names, processors = self._layout("cases", names)
        at_reference, at_mac = names.index("reference"), names.index("access_mac")
        mine = set(batch.references)
        todo = dict.fromkeys(range(len(batch.references)))
        while todo:
            asked = [batch.references[i] for i in todo]
            taken = set()
            for start in range(0, len(asked), 900):
                taken |= set(connection.scalars(select(Case.reference).where(
                    Case.reference.in_(asked[start:start + 900]))))
            again = {}
            for i in todo:
                if batch.references[i] not in taken:
                    continue
                reference = new_reference(rng)
                while reference in mine:
                    reference = new_reference(rng)
                mine.add(reference)
                batch.references[i] = reference
                protected = batch.access[i]
                protected["reference"] = reference
                mac = row_integrity._compute_for(Case, self.mapper, protected)
                row = list(case_rows[i])
                for at, value in ((at_reference, reference), (at_mac, mac)):
                    row[at] = value if processors[at] is None else processors[at](value)
                case_rows[i] = tuple(row)
                again[i] = None
            todo = again

    def _chain(self, head_seq: int, head_mac: str, batch: PreparedBatch) -> list[dict]:
        """The batch's audit entries as the single writer extends the chain:
        per case the row's anchor (before_insert), then the service's
        "case.create"."""
        import audit
        from audit.writer import canonical_details
        from caseapp import clock
        from caseapp.crypto import row_integrity

        now = clock.now()
        anchor_details = canonical_details({"version": 1})
        entries = []
        for (anchor, recorder, unit_path, details), reference in zip(
                batch.audit, batch.references, strict=True):
            for fields in (
                    {"actor_type": "system", "actor_id": None, "actor_role": None,
                     "action": row_integrity.ANCHOR_ACTION, "object_type": "cases",
                     "object_id": anchor, "unit_path": None, "details": anchor_details},
                    {"actor_type": "user", "actor_id": recorder,
                     "actor_role": self.users[recorder], "action": "case.create",
                     "object_type": "case", "object_id": reference,
                     "unit_path": unit_path, "details": details}):
                head_seq += 1
                entry = {"seq": head_seq, "occurred_at": now, "session_hash": None,
                         "client_addr": None, "outcome": "ok", "request_id": None,
                         **fields, "prev_mac": head_mac}
                entry["mac"] = head_mac = audit.compute_mac(self.mac_key, head_mac, entry)
                entries.append(entry)
        return entries

    def _insert_rows(self, connection, table_name: str, names: tuple,
                     rows: list[tuple]) -> None:
        if not rows:
            return
        quote = self.dialect.identifier_preparer.quote
        columns = ", ".join(quote(name) for name in names)
        dbapi = connection.connection.driver_connection
        if self.dialect.name == "postgresql":
            with dbapi.cursor() as cursor, cursor.copy(
                    f"COPY {quote(table_name)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor = dbapi.cursor()
        try:
            cursor.executemany(f"INSERT INTO {quote(table_name)} ({columns}) VALUES "
                               f"({', '.join('?' * len(names))})", rows)
        finally:
            cursor.close()

    def insert(self, connection, rng: random.Random, batch: PreparedBatch) -> Counter:
        """Insert a prepared batch in the caller's transaction (``rng``: a
        reference drawn again when one is taken); returns row counts."""
        head_seq, head_mac = self._lock_and_head(connection)
        self._free_references(connection, rng, batch)
        entries = self._chain(head_seq, head_mac, batch)
        for name in self.tables:
            names, rows = self._to_params(name, entries) if name == "audit_entries" \
                else batch.rows[name]
            self._insert_rows(connection, name, names, rows)
        return batch.counts

    def write(self, connection, rng: random.Random, made: list[MadeCase]) -> Counter:
        """Prepare and insert ``made`` in the caller's transaction; returns row counts."""
        return self.insert(connection, rng, self.prepare(rng, made))


# --- the worker pool --------------------------------------------------------------------------

_WORKER: tuple[BulkWriter, BatchPlan] | None = None


def _start_worker() -> None:
    """In a forked worker: leave the parent's connections alone and let the
    parent alone handle Ctrl-C (the terminal sends it to the whole group)."""
    import signal

    from caseapp.extensions import db

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    db.engine.dispose(close=False)


def prepare_batch(seed: int, size: int) -> PreparedBatch:
    """Batch ``seed`` of the run: its cases drawn from ``random.Random(seed)``,
    prepared by the run's writer (in a worker or in the parent: same result)."""
    writer, plan = _WORKER
    rng = random.Random(seed)
    return writer.prepare(rng, make_cases(rng, plan, size))


def batch_seeds(rng: random.Random, count: int, batch: int):
    """(seed, size) of each batch of a run of ``count`` cases."""
    done = 0
    while done < count:
        size = min(batch, count - done)
        yield rng.getrandbits(64), size
        done += size


class BatchSource:
    """Prepared batches of a run, in order: made by ``workers`` forked
    processes a few batches ahead of the writer, or here when ``workers`` is
    0. Use as a context manager: leaving it stops the workers at once (the
    batches made ahead are dropped; nothing of them was written)."""

    def __init__(self, writer: BulkWriter, plan: BatchPlan, seeds, workers: int):
        self.seeds = iter(seeds)
        self.workers = workers
        self.pool = None
        self.pending = deque()
        global _WORKER
        _WORKER = (writer, plan)

    def __enter__(self):
        if self.workers > 0:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.workers, initializer=_start_worker)
        return self

    def __exit__(self, *_exc):
        global _WORKER
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
        self.pending.clear()
        _WORKER = None
        return False

    def next(self) -> tuple[int, PreparedBatch] | None:
        """(seed, batch) of the next batch, or None when the run is made."""
        if self.pool is None:
            spec = next(self.seeds, None)
            return None if spec is None else (spec[0], prepare_batch(*spec))
        while len(self.pending) < self.workers + 1:
            spec = next(self.seeds, None)
            if spec is None:
                break
            self.pending.append((spec[0], self.pool.apply_async(prepare_batch, spec)))
        if not self.pending:
            return None
        seed, result = self.pending.popleft()
        return seed, result.get()
