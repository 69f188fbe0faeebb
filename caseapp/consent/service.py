"""Consent to share a case with each referral agency (Law 91/2025/QH15, Decree 13/2023).

Consent for processing is recorded at intake (the child's own when aged 7
or over, and the guardian's, or the legal ground used without it: see
:func:`caseapp.cases.service.record_intake`). Sharing with an agency needs
its own record here: the consent of the child (7+) and of the guardian *for
that agency*, or the legal ground used without it (an emergency, a legal
duty), with who recorded it and when. A referral on "consent" to an agency
without an active consent for it is refused (:func:`check_referral_basis`);
a referral on a legal ground records that ground here itself, so every
agency the case went to has its basis on file.

A consent can be withdrawn; that does not undo what was already sent, but no
new referral to that agency may rely on it.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case as case_when
from sqlalchemy import func, select

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.cases import reference_data
from caseapp.cases.errors import CaseError
from caseapp.cases.guards import LONG_TEXT, atomic, clean_text, ensure_visible
from caseapp.cases.models import Case
from caseapp.cases.service import child_age_now
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.permissions import cases as rules

from .models import SHARING_CONSENT_BASES, SharingConsent

CONSENT_AGE = 7


@dataclass(frozen=True)
class SharingConsentData:
    agency: str
    basis: str  # "consent" | "emergency" | "legal_duty"
    child: bool | None = None  # the child's own consent (needed from age 7)
    guardian: bool = False
    note: str = ""


def _audit(action: str, actor, case: Case, **details) -> None:
    record(action, actor=actor, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)


def active_consent(case: Case, agency: str) -> SharingConsent | None:
    """The newest unwithdrawn consent (basis "consent") to share ``case`` with ``agency``."""
    return db.session.scalar(
        select(SharingConsent)
        .where(SharingConsent.case_id == case.id, SharingConsent.agency_code == agency,
               SharingConsent.basis == "consent", SharingConsent.withdrawn_at.is_(None))
        .order_by(SharingConsent.recorded_at.desc()).limit(1))


def consents_of(case: Case) -> list[SharingConsent]:
    return list(db.session.scalars(select(SharingConsent)
                                   .where(SharingConsent.case_id == case.id)
                                   .order_by(SharingConsent.recorded_at.desc())))


def consent_counts(case: Case) -> tuple[int, int]:
    """(active, withdrawn) bases for sharing the case (the case page's line), in SQL."""
    withdrawn = SharingConsent.withdrawn_at.is_not(None)
    row = db.session.execute(
        select(func.count(), func.count(case_when((withdrawn, 1))))
        .where(SharingConsent.case_id == case.id)).one()
    return int(row[0]) - int(row[1]), int(row[1])


def record_sharing_consent(actor, case: Case, data: SharingConsentData) -> SharingConsent:
    """Record the consent (or legal ground) for sharing ``case`` with one agency."""
    ensure_visible(actor, case, "sharing_consent")
    rules.require_open_for_work(actor, case, action="sharing_consent")
    rules.require(rules.can_record_sharing_consent(actor, case), actor, case,
                  action="sharing_consent")
    if reference_data.get("agency", data.agency) is None:
        raise CaseError(_l("Choose the agency."), field="agency")
    if data.basis not in SHARING_CONSENT_BASES:
        raise CaseError(_l("Say on what basis the child's data is shared: consent or a legal "
                           "ground."), field="basis")
    note = clean_text(data.note, "note", max_length=LONG_TEXT)
    grant = rules.grant_case_change(actor, case, action="sharing_consent")
    unlock(case, grant=grant)
    child_consent: bool | None = None
    if data.basis == "consent":
        age = child_age_now(case)
        child_needed = age is None or age >= CONSENT_AGE
        if data.guardian is not True or (child_needed and data.child is not True):
            raise CaseError(_l("Sharing on consent needs the consent of the parent or guardian "
                               "and, when the child is aged 7 or over, of the child. Without "
                               "it, share only on a legal ground."), field="consent")
        child_consent = True if child_needed else None
    elif not note:
        raise CaseError(_l("Explain why the data is shared without consent."), field="note")
    now = clock.now()
    with atomic():
        row = SharingConsent(case_id=case.id, case=case, agency_code=data.agency,
                             basis=data.basis, consent_child=child_consent,
                             consent_guardian=data.basis == "consent",
                             recorded_by_id=actor.id, recorded_at=now)
        if note:
            row.note = note
        db.session.add(row)
        db.session.flush()
        _audit("case.sharing_consent", actor, case, consent_id=row.id, agency=data.agency,
               basis=data.basis)
    return row


def withdraw_sharing_consent(actor, case: Case, consent_id: str) -> SharingConsent:
    """The child or guardian took their consent back: no new referral may rely on it."""
    ensure_visible(actor, case, "withdraw_sharing_consent")
    rules.require(rules.can_withdraw_sharing_consent(actor, case), actor, case,
                  action="withdraw_sharing_consent")
    row = db.session.scalar(select(SharingConsent).where(SharingConsent.id == consent_id)
                            .with_for_update().execution_options(populate_existing=True)) \
        if consent_id and len(consent_id) <= 36 else None
    if row is None or row.case_id != case.id:
        raise CaseError(_l("Unknown consent."), field="consent")
    if row.withdrawn_at is not None:
        raise CaseError(_l("This consent was already withdrawn."), field="consent")
    now = clock.now()
    with atomic():
        row.withdrawn_at = now
        row.withdrawn_by_id = actor.id
        _audit("case.sharing_consent_withdrawn", actor, case, consent_id=row.id,
               agency=row.agency_code)
    return row


def check_referral_basis(case: Case, agency: str, basis: str) -> None:
    """A referral to ``agency`` on ``basis``: consent must be on file for that agency."""
    if basis == "consent" and active_consent(case, agency) is None:
        raise CaseError(_l("No consent to share this case with this agency is on file. Record "
                           "the consent of the child and guardian for this agency first, or "
                           "share on a legal ground (emergency, legal duty)."),
                        field="sharing_basis")


def record_referral_ground(actor, case: Case, agency: str, basis: str, now) -> None:
    """A referral on a legal ground puts that ground on file for the agency
    (inside the referral's savepoint; its audit entry covers it)."""
    if basis == "consent":
        return
    db.session.add(SharingConsent(case_id=case.id, case=case, agency_code=agency, basis=basis,
                                  consent_child=None, consent_guardian=False,
                                  recorded_by_id=actor.id, recorded_at=now))
