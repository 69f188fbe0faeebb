"""What the 100% figure and the programme's report need to know about a case,
as a snapshot written into the case's audit entries.

Every entry about a change to a case carries ``facts``: the case's codes,
times and deadlines as they stand after the change (codes and times only,
never child data). The report computed from the database names the signed
checkpoint it was computed at; ``caseapp report --verify`` rebuilds the same
numbers from the newest snapshot of each case in the log up to that
checkpoint, so a report edited afterwards, or computed from a log rewritten
since, fails.

Times are microseconds since the Unix epoch (UTC), exact (a step done half a
second late is late in both computations), and compact enough that a snapshot
stays well inside the audit entry's 2 KB.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .deadlines import TRACKED
from .models import Case

VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(value: datetime | None) -> int | None:
    if value is None:
        return None
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + timedelta(microseconds=value)


@dataclass
class CaseFacts:
    """One case as the figures see it (built from the database or from the log)."""

    reference: str
    unit_path: str
    help_requested: bool
    age_band: str
    channel: str
    requested_by: str
    gender: str
    risk: str | None
    stage: str
    immediate_danger: bool
    received_at: datetime
    first_assigned_at: datetime | None
    assessed_at: datetime | None
    first_support_at: datetime | None  # the first support action, by when it was done
    closed_at: datetime | None
    closure_reason: str | None
    closure_approved_at: datetime | None
    lead_officer_id: str | None
    harm_categories: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    # step -> (due, done), the deadlines of :data:`deadlines.TRACKED`
    deadlines: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    # "agency:status" of each referral
    referrals: list[str] = field(default_factory=list)


# The snapshot is a flat list (audit details hold scalars and lists of them, and
# a list needs no escaping): these fields in this order, then each tracked
# step's due and done time.
FIELDS = ("v", "help", "band", "ch", "rb", "g", "risk", "stage", "danger", "rcv", "asg", "ass",
          "sup", "clo", "why", "ok", "lead", "harm", "pf", "ref")
STEPS = tuple(step for step, _, _ in TRACKED)


def snapshot(case: Case) -> list:
    """The case's facts as stored in its audit entry's details (``facts``)."""
    first_support = min((a.performed_at for a in case.support_actions), default=None)
    values = [
        VERSION, bool(case.help_requested), case.age_band, case.channel_code,
        case.requested_by_code, case.gender_code, case.risk_level, case.stage,
        bool(case.immediate_danger), micros(case.received_at), micros(case.first_assigned_at),
        micros(case.assessed_at), micros(first_support), micros(case.closed_at),
        case.closure_reason_code, micros(case.closure_approved_at), case.lead_officer_id,
        "|".join(sorted(case.harm_category_codes)), "|".join(sorted(case.platform_codes)),
        "|".join(sorted(f"{r.agency_code}:{r.status}" for r in case.referrals)),
    ]
    for _, due, done in TRACKED:
        values += [micros(getattr(case, due)), micros(getattr(case, done))]
    return values


def _split(text: str | None) -> list[str]:
    return [part for part in (text or "").split("|") if part]


def parse(reference: str, unit_path: str, values) -> CaseFacts | None:
    """A snapshot read back from the log (None if it is not one of ours)."""
    if not isinstance(values, list) or len(values) != len(FIELDS) + 2 * len(STEPS) \
            or values[0] != VERSION:
        return None
    doc = dict(zip(FIELDS, values, strict=False))
    times = values[len(FIELDS):]
    return CaseFacts(
        reference=reference, unit_path=unit_path, help_requested=bool(doc["help"]),
        age_band=doc["band"], channel=doc["ch"], requested_by=doc["rb"], gender=doc["g"],
        risk=doc["risk"], stage=doc["stage"], immediate_danger=bool(doc["danger"]),
        received_at=from_micros(doc["rcv"]), first_assigned_at=from_micros(doc["asg"]),
        assessed_at=from_micros(doc["ass"]), first_support_at=from_micros(doc["sup"]),
        closed_at=from_micros(doc["clo"]), closure_reason=doc["why"],
        closure_approved_at=from_micros(doc["ok"]), lead_officer_id=doc["lead"],
        harm_categories=_split(doc["harm"]), platforms=_split(doc["pf"]),
        deadlines={step: (from_micros(times[2 * i]), from_micros(times[2 * i + 1]))
                   for i, step in enumerate(STEPS)},
        referrals=_split(doc["ref"]))
