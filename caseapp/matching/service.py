"""Duplicate and repeat-offender flags found at intake through blind indexes.

At intake (:func:`flag_matches`, called by
:func:`caseapp.cases.service.record_intake` inside its savepoint) the new
case's blind indexes are compared **in SQL** with those stored on other
cases. No other case is loaded for its sealed fields, no other data key is
unwrapped: a match is found from integers alone and stored as a
:class:`~caseapp.CaseMatch` (two case ids and a kind).

What counts as a match
----------------------
``child``
    The same ``child_phone_index`` or the same ``child_dob_family_index``
    (date of birth + family name) as another case.
``offender``
    An offender account of the new case whose ``handle_index`` equals one
    stored on another case. A handle is written in many forms ("@abc",
    "https://www.facebook.com/Abc/", "fb.com/abc"): besides its stored index,
    the new case's own handles (readable here: the intake just sealed them
    under the new case's key) are also indexed as the platform's profile link
    ("facebook.com/abc" for "@abc" on Facebook, or on a report that names
    Facebook) and, for a profile link, as the bare name ("abc", matched only
    against accounts of that platform or of no stated platform). Only the new
    case's values are computed; the other cases' stored indexes are compared
    as they are.

The reporter's phone is **not used**, neither as a child match nor on its
own. Reporters are very often teachers, school counsellors, relatives of
several children or hotline relays who report many different children: a
shared reporter phone says nothing about the child, would flag unrelated
children as "possibly the same", and would tell the next intake that this
person has reported before -- a fact about a whistle-blower that no one at
intake needs. (Its index cannot be compared with the child's phone either:
each kind has its own derived key, by design.)

A purged case never matches as the same child (its indexes are cleared at
purge and it is excluded in the query too), nor does the case itself. An
offender account of a case deleted at the child's or guardian's request
(:mod:`caseapp.data_rights`) still matches: its handle index describes
the offender, not the child, and is kept, so that a deletion cannot wipe a
repeat-offender warning. Retention purges clear it like every other index. At most
:data:`MAX_MATCHES_PER_KIND` matches per kind are stored, newest report first,
so a crowded index value cannot flood a case with matches.

Likely, not certain
-------------------
Blind indexes are truncated (16 bits by default; see
:mod:`caseapp.crypto.blind_index`) so that an index value alone does not
identify a child: every value is shared by several records. A match is
therefore "possibly the same child", with false positives by design, and the
screens say so. A supervisor checks each one and links or dismisses it.

Who sees what (see :mod:`caseapp.permissions.matching`)
-------------------------------------------------------
* The person at intake and the officers on the case see only that a match
  found at this case's intake exists (child and/or offender), that a
  supervisor checks it, and the names of the supervisors of the case's unit
  to ask. (An open match is not shown to the earlier case's officers: it is
  unverified, and their supervisor is the one who decides.) No reference, no count, no
  unit of the other case. For linked cases they see "linked to N other
  case(s)", nothing more.
* A supervisor of the case sees each match: kind, status, when it was found,
  and the other case's unit and reference **only when that case is inside
  their own subtree too**. For a case outside it they see "a case in a unit
  outside yours" and the names of the supervisors over both units, who can
  decide. A reference is random and is not child data, but it names a case of
  a unit this supervisor has no say over and could not open anyway
  (``load_case`` answers 404); a unit's name can be a school's, which says
  where a child studies. The people who can judge the pair are named.
* The earlier case learns it was matched ("case.matched_by_intake" on it,
  match ids only) and its unit's supervisors are notified: a report is also
  a question ("is this child, this offender known?"), so each answer is on
  record where the child is, and intakes are rate-limited per user
  (INTAKE_RATE_LIMIT).
* Only a supervisor of both cases links or dismisses a match. Linking records
  a decision and shows the two references on both pages (to supervisors who
  may see both); it grants no access: each page is still loaded through
  ``load_case`` and child data opened only through ``can_view_child_data``.
  Nothing here decrypts anything of either case for display.

Audit and notifications
-----------------------
"case.match_found" is written once on the NEW case, with counts per kind and
the match ids: never another case's reference (supervisors of only one of
the two units read that unit's log), never an index value. Deciding writes
"case.match_linked" / "case.match_dismissed" on both cases (match id, kind,
previous status). The supervisors of the new case's unit (the nearest unit
upwards that has any) and, for a match across units, the supervisors over
both units are notified ("match_found", the new case's reference) so matches
do not sit unseen.

Looking for matches must never lose a report: if it fails, its savepoint is
rolled back, a warning without data is logged, and the intake is recorded
without flags.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.auditing.writer import record
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.cases.guards import atomic
from caseapp.cases.models import Case, OffenderAccount
from caseapp.crypto import CryptoError, blind_index, current_keyring
from caseapp.crypto.blind_index import DEFAULT_BITS, normalise_handle
from caseapp.extensions import db
from caseapp.notifications.service import notify
from caseapp.permissions import cases as rules
from caseapp.permissions import matching as match_rules
from caseapp.units.models import Unit

from .models import CaseMatch

log = logging.getLogger(__name__)

MAX_MATCHES_PER_KIND = 20
MATCH_ID_LENGTH = 36


KINDS = ("child", "offender")


ALREADY = {"linked": _l("These cases are already linked."),
           "dismissed": _l("This match is already dismissed.")}


# Profile-link hosts (as normalise_handle leaves them) of the platforms in
# the reference data, and the one link form each platform's bare names get.
PLATFORM_HOSTS = {"facebook.com": "facebook", "fb.com": "facebook", "tiktok.com": "tiktok",
                  "youtube.com": "youtube", "zalo.me": "zalo"}


PROFILE_HOSTS = {"facebook": "facebook.com", "tiktok": "tiktok.com", "youtube": "youtube.com",
                 "zalo": "zalo.me"}


def _handle_index(value: str) -> int | None:
    try:
        return blind_index("offender_handle", value, current_keyring().blind_index_key,
                           bits=current_app.config.get("BLIND_INDEX_BITS", DEFAULT_BITS))
    except (ValueError, TypeError):
        return None


def _handle_forms(handle: str, platforms: Iterable[str]) -> tuple[set[str], set[tuple[str, str]]]:
    """Other spellings of one handle: (profile links, {(bare name, platform)})."""
    try:
        value = normalise_handle(handle)
    except (ValueError, TypeError):
        return set(), set()
    links: set[str] = set()
    bare: set[tuple[str, str]] = set()
    host, _, path = value.partition("/")
    platform = PLATFORM_HOSTS.get(host) if path else None
    if platform is not None:
        links.add(f"{PROFILE_HOSTS[platform]}/{path}")
        if "/" not in path and "?" not in path:
            bare.add((path, platform))
    elif "/" not in value and "?" not in value and ":" not in value:
        links.update(f"{PROFILE_HOSTS[p]}/{value}" for p in platforms if p in PROFILE_HOSTS)
    return links, bare


def _offender_clause(case: Case):
    """WHERE clause on OffenderAccount for the new case's handles, or None."""
    stored = {a.handle_index for a in case.offender_accounts if a.handle_index is not None}
    links: set[int] = set()
    bare: set[tuple[int, str]] = set()
    for account in case.offender_accounts:
        try:
            handle = account.handle  # the new case's own value, sealed a moment ago
        except CryptoError:
            continue  # key not in this scope: the stored index is used alone
        if not handle:
            continue
        platforms = [account.platform_code] if account.platform_code else case.platform_codes
        link_forms, bare_forms = _handle_forms(handle, platforms)
        links.update(i for i in map(_handle_index, link_forms) if i is not None)
        for name, platform in bare_forms:
            index = _handle_index(name)
            if index is not None:
                bare.add((index, platform))
    clauses = []
    if stored | links:
        clauses.append(OffenderAccount.handle_index.in_(sorted(stored | links)))
    for index, platform in sorted(bare):
        clauses.append(and_(OffenderAccount.handle_index == index,
                            or_(OffenderAccount.platform_code.is_(None),
                                OffenderAccount.platform_code == platform)))
    return or_(*clauses) if clauses else None


def _child_clause(case: Case):
    clauses = []
    if case.child_phone_index is not None:
        clauses.append(Case.child_phone_index == case.child_phone_index)
    if case.child_dob_family_index is not None:
        clauses.append(Case.child_dob_family_index == case.child_dob_family_index)
    return or_(*clauses) if clauses else None


def _candidates(case: Case, kind: str) -> list[str]:
    """Ids of other cases matching ``case`` for ``kind`` (unpurged ones for a child):
    newest first, capped."""
    if kind == "child":
        clause = _child_clause(case)
    else:
        accounts = _offender_clause(case)
        clause = None if accounts is None else Case.id.in_(
            select(OffenderAccount.case_id).where(accounts))
    if clause is None:
        return []
    if kind == "child":
        # A purged child is gone and a restricted one is not processed; an offender
        # named in a case deleted at the child's request is still a known offender
        # (its handle index is kept, see the module docs).
        clause = and_(clause, Case.purged_at.is_(None), Case.restricted_at.is_(None))
    return list(db.session.scalars(
        select(Case.id).where(clause, Case.id != case.id)
        .order_by(Case.received_at.desc(), Case.created_at.desc(), Case.id)
        .limit(MAX_MATCHES_PER_KIND)))


def flag_matches(case: Case, actor=None) -> list[CaseMatch]:
    """Record the likely matches of the new ``case`` (see the module docs). Returns them.

    Called by :func:`caseapp.cases.service.record_intake` inside its
    savepoint, after the case and its offender accounts are flushed. Audits
    "case.match_found" on the new case and notifies its supervisors when
    anything is found. ``actor`` defaults to the person who recorded the case.
    """
    if case.is_purged or case.id is None:
        return []
    try:
        with atomic():
            return _flag(case, actor if actor is not None else case.recorded_by)
    except (SQLAlchemyError, CryptoError, ValueError, TypeError) as exc:
        # Never lose a report over its duplicate check; no value in the log.
        log.warning("duplicate check failed for a new case (%s)", type(exc).__name__)
        return []


def _flag(case: Case, actor) -> list[CaseMatch]:
    existing = {(m.other_case_id, m.kind) for m in db.session.scalars(
        select(CaseMatch).where(CaseMatch.case_id == case.id))}
    now = clock.now()
    found: list[CaseMatch] = []
    for kind in KINDS:
        for other_id in _candidates(case, kind):
            if (other_id, kind) in existing:
                continue
            match = CaseMatch(case_id=case.id, other_case_id=other_id, kind=kind,
                              status="open", found_at=now)
            db.session.add(match)
            found.append(match)
    if not found:
        return []
    db.session.flush()
    counts = {kind: sum(1 for m in found if m.kind == kind) for kind in KINDS}
    record("case.match_found", actor=actor or "system", object_type="case",
           object_id=case.reference, unit_path=case.unit.path,
           details={**counts, "match_ids": [m.id for m in found]})
    others = db.session.scalars(select(Case).options(joinedload(Case.unit))
                                .where(Case.id.in_({m.other_case_id for m in found}))).all()
    # Each supervisor is told the reference of a case they supervise: the new case's
    # to its unit's supervisors and to those over both units, the earlier case's to
    # its own unit's (who must not learn a reference of a unit outside theirs).
    told: set[tuple[str, str]] = {(u.id, case.reference)
                                  for u in nearest_supervisors(case.unit.path)}
    kinds_of = {m.other_case_id: sorted({f.kind for f in found if f.other_case_id ==
                                         m.other_case_id}) for m in found}
    for other in others:
        shared = common_path(case.unit.path, other.unit.path)
        if shared != case.unit.path:
            told |= {(u.id, case.reference) for u in nearest_supervisors(shared)}
        # The earlier case learns it was matched: a report is also a question ("is this
        # child known?"), so the answer is on record where the child is, and that
        # unit's supervisors are told (an intake used as a lookup does not go unseen).
        # Recorded as the system: who reported it, from another unit, is in the new
        # case's own "case.match_found" entry (same match ids) for those who may know.
        record("case.matched_by_intake", actor="system", object_type="case",
               object_id=other.reference, unit_path=other.unit.path,
               details={"kinds": ",".join(kinds_of[other.id]),
                        "match_ids": [m.id for m in found if m.other_case_id == other.id]})
        told |= {(u.id, other.reference) for u in nearest_supervisors(other.unit.path)}
    actor_id = getattr(actor, "id", None)
    for reference in sorted({ref for _uid, ref in told}):
        notify([uid for uid, ref in told if ref == reference and uid != actor_id],
               "match_found", case_reference=reference, at=now)
    return found


def match_flags(case: Case) -> dict[str, bool]:
    """What the intake may be told: whether open matches of each kind exist (no more)."""
    kinds = set(db.session.scalars(select(CaseMatch.kind).distinct().where(
        CaseMatch.case_id == case.id, CaseMatch.status == "open")))
    return {"possible_duplicate": "child" in kinds, "repeat_offender": "offender" in kinds}


def _paths_up(path: str) -> list[str]:
    """"/1/7/12/" -> ["/1/7/12/", "/1/7/", "/1/"]: the unit and every unit above it."""
    parts = [p for p in (path or "").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


def common_path(a: str, b: str) -> str:
    """The path of the lowest unit containing both units (their common ancestor)."""
    shared = []
    for x, y in zip([p for p in a.split("/") if p], [p for p in b.split("/") if p],
                    strict=False):
        if x != y:
            break
        shared.append(x)
    return "/" + "/".join(shared) + "/" if shared else "/"


def nearest_supervisors(path: str) -> list[User]:
    """The enabled supervisors of the unit ``path``, or of the nearest unit above
    it that has any (every one of them supervises that unit)."""
    candidates = _paths_up(path)
    if not candidates:
        return []
    rows = db.session.execute(
        select(User, Unit.path).join(Unit, User.unit_id == Unit.id)
        .where(User.role == "supervisor", User.is_enabled.is_(True), Unit.path.in_(candidates))
        .order_by(User.display_name, User.username)).all()
    for candidate in candidates:
        found = [user for user, unit_path in rows if unit_path == candidate]
        if found:
            return found
    return []


def names_of(users: Iterable[User]) -> str:
    return ", ".join(u.display_name or u.username for u in users)


def link_match(actor, match: CaseMatch) -> CaseMatch:
    """A supervisor of both cases confirms they concern the same child or offender."""
    return _decide(actor, match, "linked")


def dismiss_match(actor, match: CaseMatch) -> CaseMatch:
    """A supervisor of both cases finds the match a coincidence (or undoes a link)."""
    return _decide(actor, match, "dismissed")


def _decide(actor, match: CaseMatch, status: str) -> CaseMatch:
    case, other = match.case, match.other_case
    seen = case if rules.can_view_case(actor, case) else \
        other if rules.can_view_case(actor, other) else None
    action = "match_link" if status == "linked" else "match_dismiss"
    if seen is None:
        rules.record_denial(actor, case, action=action)
        raise CaseNotFound()
    rules.require(match_rules.can_decide_match(actor, match), actor, seen, action=action,
                  message=_l("Only a supervisor of both cases can decide on this match."))
    if match.status == status:
        raise CaseError(ALREADY[status])
    previous = match.status
    now = clock.now()
    with atomic():
        match.status = status
        match.decided_at = now
        match.decided_by_id = actor.id
        for each in (case, other):
            record(f"case.match_{status}", actor=actor, object_type="case",
                   object_id=each.reference, unit_path=each.unit.path,
                   details={"match_id": match.id, "kind": match.kind, "from": previous})
    return match


def matches_of(case: Case) -> list[CaseMatch]:
    """Every match ``case`` is part of (either side); a child match only while the
    other case is not purged."""
    rows = db.session.scalars(
        select(CaseMatch)
        .options(joinedload(CaseMatch.case).joinedload(Case.unit),
                 joinedload(CaseMatch.other_case).joinedload(Case.unit))
        .where(or_(CaseMatch.case_id == case.id, CaseMatch.other_case_id == case.id))
        .order_by(CaseMatch.found_at.desc(), CaseMatch.kind)).unique().all()
    return [m for m in rows if m.kind == "offender"
            or not (m.other_case if m.case_id == case.id else m.case).is_purged]


def match_counts(case: Case) -> list[tuple[str, str, bool, int]]:
    """(kind, status, found when ``case`` was recorded, count) of the matches
    that matches_of reads (the case page's line): the match rows' ids through
    their indexes, the other cases read only for a child match (purged ones
    left out), none at all when there is no match (the common case)."""
    rows = db.session.execute(
        select(CaseMatch.kind, CaseMatch.status, CaseMatch.case_id, CaseMatch.other_case_id)
        .where(or_(CaseMatch.case_id == case.id, CaseMatch.other_case_id == case.id))).all()
    others = {other for kind, _s, here, there in rows if kind == "child"
              for other in (there if here == case.id else here,)}
    purged = set(db.session.scalars(select(Case.id).where(
        Case.id.in_(others), Case.purged_at.is_not(None)))) if others else set()
    counts: dict[tuple[str, str, bool], int] = {}
    for kind, status, here, there in rows:
        if kind == "child" and (there if here == case.id else here) in purged:
            continue
        key = (kind, status, here == case.id)
        counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in counts.items()]


def load_match(case: Case, match_id: str) -> CaseMatch | None:
    """A match of ``case`` (either side) by id, or None."""
    match = db.session.get(CaseMatch, match_id) if len(match_id) == MATCH_ID_LENGTH else None
    if match is None or case.id not in (match.case_id, match.other_case_id):
        return None
    return match


def forget_child_matches(case: Case) -> None:
    """A shredded case keeps no "possibly the same child" link to a named child
    elsewhere (offender matches stay: they describe the offender)."""
    db.session.execute(delete(CaseMatch).where(
        CaseMatch.kind == "child",
        or_(CaseMatch.case_id == case.id, CaseMatch.other_case_id == case.id)))
