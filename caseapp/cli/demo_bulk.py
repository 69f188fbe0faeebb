"""Synthetic cases in bulk: ``caseapp demo-data`` for large counts, and the
benchmarks that need a province full of cases.

The services write a case in ~90 statements (5-30 cases a second). Here a
batch of cases is made in memory and inserted with a handful of
``executemany`` statements (SQLAlchemy Core), yet stored exactly as the app
stores them:

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
from collections import Counter
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


class BulkWriter:
    """Writes batches of :class:`MadeCase` with their keys, sealed fields, MACs
    and audit entries. Needs an app context (the instance's keys), no key
    scope: each case's key is made, used and dropped here."""

    def __init__(self, app, units_by_id: dict[int, tuple[str, str]],
                 users_by_id: dict[str, str]):
        """``units_by_id``: unit id -> (name, path); ``users_by_id``: user id -> role."""
        from sqlalchemy import inspect

        from caseapp.cases.models import Case, CasePerson
        from caseapp.crypto import current_keyring
        from caseapp.crypto.blind_index import DEFAULT_BITS

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

    def _lock_and_head(self, connection):
        from audit.writer import _PG_LOCK, _read_head

        if connection.dialect.name == "postgresql":
            connection.execute(_PG_LOCK)
        return _read_head(connection)

    def _free_references(self, connection, rng, made: list[MadeCase]) -> None:
        """References unique against the table too (a rerun, the same seed)."""
        from sqlalchemy import select

        from caseapp.cases.models import Case

        todo = {m.row["reference"]: m for m in made}
        while todo:
            taken = set()
            names = list(todo)
            for start in range(0, len(names), 900):
                taken |= set(connection.scalars(select(Case.reference).where(
                    Case.reference.in_(names[start:start + 900]))))
            todo = {}
            for m in made:
                if m.row["reference"] in taken:
                    m.row["reference"] = new_reference(rng)
                    todo[m.row["reference"]] = m

    def write(self, connection, rng: random.Random, made: list[MadeCase]) -> Counter:
        """Insert ``made`` in the caller's transaction; returns row counts."""
        import audit
        from audit.writer import canonical_details
        from caseapp import clock
        from caseapp.cases import facts
        from caseapp.cases.models import (
            Case,
            CasePerson,
            Referral,
            SupportAction,
            case_harm_categories,
            case_platforms,
        )
        from caseapp.crypto import aead, blind_index, row_integrity

        head_seq, head_mac = self._lock_and_head(connection)
        self._free_references(connection, rng, made)
        now = clock.now()
        access_fields = ("id", "access_version", *Case.__access_fields__)
        cases, people, harms, platforms, actions, referrals, entries = [], [], [], [], [], [], []
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
            row["access_mac"] = row_integrity._compute_for(
                Case, self.mapper, {name: row[name] for name in access_fields})
            cases.append(row)
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
            # The chain, as the single writer would extend it: the row's anchor
            # (before_insert), then the service's "case.create".
            _name, unit_path = self.units[row["unit_id"]]
            view = SimpleNamespace(
                **row, harm_category_codes=m.harms, platform_codes=m.platforms,
                support_actions=[SimpleNamespace(performed_at=a["performed_at"]) for a in acts],
                referrals=[SimpleNamespace(agency_code=r["agency_code"], status=r["status"])
                           for r in refs])
            for fields in (
                    {"actor_type": "system", "actor_id": None, "actor_role": None,
                     "action": row_integrity.ANCHOR_ACTION, "object_type": "cases",
                     "object_id": row_integrity.anchor_id("cases", case_id),
                     "unit_path": None, "details": canonical_details({"version": 1})},
                    {"actor_type": "user", "actor_id": row["recorded_by_id"],
                     "actor_role": self.users[row["recorded_by_id"]], "action": "case.create",
                     "object_type": "case", "object_id": row["reference"],
                     "unit_path": unit_path, "details": canonical_details(
                         {"stage": row["stage"], "bulk": True,
                          "facts": facts.snapshot(view)})}):
                head_seq += 1
                entry = {"seq": head_seq, "occurred_at": now, "session_hash": None,
                         "client_addr": None, "outcome": "ok", "request_id": None,
                         **fields, "prev_mac": head_mac}
                entry["mac"] = head_mac = audit.compute_mac(self.mac_key, head_mac, entry)
                entries.append(entry)
        connection.execute(Case.__table__.insert(), cases)
        connection.execute(CasePerson.__table__.insert(), people)
        connection.execute(audit.audit_entries.insert(), entries)
        connection.execute(case_harm_categories.insert(), harms)
        connection.execute(case_platforms.insert(), platforms)
        if actions:
            connection.execute(SupportAction.__table__.insert(), actions)
        if referrals:
            connection.execute(Referral.__table__.insert(), referrals)
        return Counter(cases=len(cases), people=len(people), harm_rows=len(harms),
                       platform_rows=len(platforms), support_actions=len(actions),
                       referrals=len(referrals), audit_entries=len(entries))
