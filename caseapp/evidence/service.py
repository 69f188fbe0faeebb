"""Evidence: encrypted attachments, and where abuse material is held instead.

An attachment is a photo or screenshot (PNG, JPEG, GIF, WebP), a PDF or a
plain-text file. Its type is found by reading its content, never from its
name or the browser's claim; anything else (a web page, an SVG, a script, an
archive, a program) is refused whatever it is called, and so is text that
calls itself an image or a PDF (a disguise, not evidence). Its bytes, name,
description and SHA-256 are sealed under the case's key; its detected type
and size are metadata. Evidence is kept: there is no delete.

Sexual abuse material of a child is never uploaded. On a case of one of the
:data:`ABUSE_MATERIAL_CATEGORIES` an upload is refused (and the attempt
audited) with a message that says what to do instead; every upload anywhere
needs the uploader to confirm that the file shows no sexual abuse of a child.
What the case records instead is where the material is held and which police
unit has it (unit, officer, reference), sealed like every other field.

Services take the acting user explicitly, check permission through
:mod:`caseapp.permissions.evidence`, write their change and one audit entry
atomically and flush; the request commits.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import defer
from werkzeug.exceptions import NotFound

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.cases import reference_data
from caseapp.cases.errors import CaseError
from caseapp.cases.guards import SHORT_TEXT, atomic, clean_text, ensure_version, ensure_visible
from caseapp.cases.models import Case
from caseapp.crypto import unlock
from caseapp.extensions import db
from caseapp.permissions import cases as case_rules
from caseapp.permissions import evidence as rules

from .models import ATTACHMENT_MEDIA_TYPES, Attachment
from .sniffing import (
    EXTENSIONS,
    active_text,
    claims_binary,
    clean_filename,
    decode_text,
    pad,
    padded_size,
    pdf_problem,
    sniff,
    unpad,
)

DESCRIPTION_MAX_LENGTH = 1000
CUSTODY_LOCATION_MAX_LENGTH = 1000
ATTACHMENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class AttachmentNotFound(NotFound):
    """No such attachment on this case (or a malformed id): a 404, never logged with the id."""


def abuse_material_case(case: Case) -> bool:
    """A case whose material must never be uploaded."""
    return any(reference_data.is_abuse_material(h) for h in case.harm_categories)


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


@dataclass(frozen=True)
class UploadData:
    """One file as received: its bytes (at most ATTACHMENT_MAX_BYTES + 1 read),
    the name and type the browser gave (only to catch disguises), an optional
    description and the uploader's confirmation."""

    content: bytes
    filename: str = ""
    declared_type: str = ""
    description: str = ""
    confirmed_no_abuse: bool = False


def refusal_message():
    return _l("Sexual abuse material of a child is never uploaded, copied or forwarded, not "
              "even as evidence: keeping or sending it is a crime and harms the child again. "
              "Hand it (or the device that holds it) to the police, and record below where "
              "the material is held and which police unit has it (unit, officer, reference). "
              "Nothing was uploaded.")


def confirmation_message():
    return _l("Confirm that this file does not show sexual abuse of a child. If it does, do "
              "not upload it: hand it to the police and record where it is held and which "
              "police unit has it.")


def _unaccepted_message():
    return _l("This kind of file cannot be kept as evidence. Accepted: photos and screenshots "
              "(PNG, JPEG, GIF, WebP), PDF documents and plain text. The file's content was "
              "checked, not its name. Nothing was saved.")


def _check_content(data: UploadData) -> str:
    """The detected media type, or CaseError saying what is wrong with the file."""
    content = data.content or b""
    if not content:
        if not (data.filename or "").strip():
            raise CaseError(_l("Choose a file to upload."), field="file")
        raise CaseError(_l("The file is empty. Nothing was saved."), field="file")
    limit = max_bytes()
    if len(content) > limit:
        raise CaseError(_l("The file is too large: at most %(mb)s MB. Nothing was saved. "
                           "Send a smaller photo or split the document.",
                           mb=format_decimal(round(limit / (1024 * 1024), 1))), field="file")
    media_type = sniff(content)
    if media_type is None:
        text = decode_text(content)
        if text is not None and active_text(text):
            raise CaseError(_l("This file is a web page, an SVG drawing or a script, which "
                               "cannot be kept as evidence whatever its name. Take a "
                               "screenshot (PNG or JPEG) or save it as a PDF instead. Nothing "
                               "was saved."), field="file")
        raise CaseError(_unaccepted_message(), field="file")
    if media_type == "text/plain" and claims_binary(data.filename or "", data.declared_type):
        raise CaseError(_l("This file is named or labelled as an image or a PDF, but its "
                           "content is not. Nothing was saved: check that you chose the right "
                           "file."), field="file")
    if media_type not in ATTACHMENT_MEDIA_TYPES:  # pragma: no cover - sniff returns these only
        raise CaseError(_unaccepted_message(), field="file")
    if media_type == "application/pdf":
        problem = pdf_problem(content)
        if problem == "active":
            raise CaseError(_l("This PDF contains scripts, actions or embedded files that run "
                               "when it is opened, which could tell its sender that it was "
                               "read. Print it to a new PDF or take screenshots instead. "
                               "Nothing was saved."), field="file")
        if problem == "too_complex":
            raise CaseError(_l("This PDF is too complex to check. Print it to a new PDF or "
                               "take screenshots instead. Nothing was saved."), field="file")
        if problem is not None:
            raise CaseError(_l("This PDF is damaged or protected by a password and cannot be "
                               "checked. Save it again as a PDF without a password, or take "
                               "screenshots. Nothing was saved."), field="file")
    return media_type


def upload(actor, case: Case, data: UploadData) -> Attachment:
    """Attach one file to ``case``: refused on abuse-material cases, without the
    confirmation, or when its content is not an accepted type.

    Audited as "case.attachment_upload" with the attachment's id, detected type
    and size only (never its name, description or content).
    """
    ensure_visible(actor, case, "attachment_upload")
    case_rules.require_open_for_work(actor, case, action="attachment_upload")
    grant = rules.grant_evidence_upload(actor, case)  # refuses (audited) anyone not on the case
    if abuse_material_case(case):
        # The attempt is recorded (who, which case) without anything about the file.
        record("case.attachment_refused", outcome="denied", actor=actor, object_type="case",
               object_id=case.reference, unit_path=case.unit.path,
               details={"reason": "abuse_material_category"})
        raise CaseError(refusal_message(), field="file")
    if data.confirmed_no_abuse is not True:
        raise CaseError(confirmation_message(), field="confirm_no_abuse")
    media_type = _check_content(data)
    description = clean_text(data.description, "description",
                             max_length=DESCRIPTION_MAX_LENGTH)
    filename = clean_filename(data.filename)
    content = bytes(data.content)
    digest = hashlib.sha256(content).hexdigest()
    unlock(case, grant=grant)
    existing = attachments_of(case)
    if len(existing) >= int(current_app.config.get("ATTACHMENT_MAX_PER_CASE", 30)):
        raise CaseError(_l("This case already holds %(n)d files, the most it may. Put several "
                           "screenshots into one PDF, or ask your supervisor. Nothing was "
                           "saved.", n=len(existing)), field="file")
    for position, earlier in enumerate(existing, 1):
        if earlier.sha256 == digest:
            raise CaseError(_l("This file is already attached to this case (evidence %(n)d). "
                               "Nothing was saved.", n=position), field="file")
    with atomic():
        attachment = Attachment(case_id=case.id, case=case, uploaded_by_id=actor.id,
                                uploaded_at=clock.now(), media_type=media_type,
                                size_bytes=padded_size(len(content)))
        attachment.filename = filename or None
        attachment.description = description or None
        attachment.sha256 = digest
        attachment.content = pad(content)
        db.session.add(attachment)
        db.session.flush()
        record("case.attachment_upload", actor=actor, object_type="case",
               object_id=case.reference, unit_path=case.unit.path,
               details={"attachment_id": attachment.id, "media_type": media_type,
                        "size_bytes": attachment.size_bytes})
    return attachment


def attachments_of(case: Case) -> list[Attachment]:
    """The case's attachments, oldest first (their position is their number), without
    loading their bytes."""
    if case.id is None:
        return []
    return list(db.session.scalars(
        select(Attachment).where(Attachment.case_id == case.id)
        .options(defer(Attachment.content.column_attr))
        .order_by(Attachment.uploaded_at, Attachment.id)))


def attachment_count(case: Case) -> int:
    """How many files the case holds (the case page's line), counted in SQL."""
    if case.id is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Attachment)
                             .where(Attachment.case_id == case.id)) or 0


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    number: int
    content: bytes
    media_type: str
    download_name: str


def download_name(case: Case, number: int, media_type: str) -> str:
    """What the downloaded file is called: the case reference and the evidence
    number, never the uploaded name (it may name the child, and a browser keeps
    it in its downloads list; proxies may log it)."""
    return f"{case.reference}-evidence-{number}.{EXTENSIONS.get(media_type, 'bin')}"


def download(actor, case: Case, attachment_id: str) -> Download:
    """One attachment's bytes for ``actor``: checked and audited
    ("case.attachment_download") by :mod:`caseapp.permissions.evidence`.

    Raises CaseNotFound (case outside scope), PermissionDenied (metadata
    only; audited) or AttachmentNotFound (no such attachment on this case).
    """
    ensure_visible(actor, case, "attachment_download")
    rules.require_download(actor, case)
    attachment_id = attachment_id if isinstance(attachment_id, str) else ""
    if not ATTACHMENT_ID.match(attachment_id):
        raise AttachmentNotFound()
    listed = attachments_of(case)
    number, attachment = next(((n, a) for n, a in enumerate(listed, 1)
                               if a.id == attachment_id), (0, None))
    if attachment is None:
        raise AttachmentNotFound()
    unlock(case, grant=rules.grant_attachment_download(actor, case, attachment))
    content = unpad(attachment.content) if attachment.content else b""
    return Download(attachment=attachment, number=number, content=content,
                    media_type=attachment.media_type,
                    download_name=download_name(case, number, attachment.media_type))


@dataclass(frozen=True)
class CustodyData:
    location: str = ""
    police_unit: str = ""
    police_officer: str = ""
    police_reference: str = ""


CUSTODY_FIELDS = {"location": "evidence_location", "police_unit": "evidence_police_unit",
                  "police_officer": "evidence_police_officer",
                  "police_reference": "evidence_police_reference"}


def record_custody(actor, case: Case, data: CustodyData, *,
                   expected_version: int | None = None) -> list[str]:
    """Record where abuse material is held and which police unit has it.

    Sealed on the case; audited as "case.evidence_custody" with the names of
    the fields that changed, never their values. Returns those names.
    """
    ensure_visible(actor, case, "evidence_custody")
    case_rules.require_open_for_work(actor, case, action="evidence_custody")
    grant = rules.grant_evidence_custody(actor, case)
    ensure_version(case, expected_version)
    values = {
        "location": clean_text(data.location, "location", required=True,
                               max_length=CUSTODY_LOCATION_MAX_LENGTH,
                               message=_l("Say where the material is held (for example: "
                                          "handed to the police with the child's phone).")),
        "police_unit": clean_text(data.police_unit, "police_unit", max_length=SHORT_TEXT),
        "police_officer": clean_text(data.police_officer, "police_officer",
                                     max_length=SHORT_TEXT),
        "police_reference": clean_text(data.police_reference, "police_reference",
                                       max_length=SHORT_TEXT),
    }
    unlock(case, grant=grant)
    changed = [name for name, column in CUSTODY_FIELDS.items()
               if (getattr(case, column) or "") != values[name]]
    with atomic():
        for name in changed:
            setattr(case, CUSTODY_FIELDS[name], values[name] or None)
        if changed:
            case.updated_at = clock.now()
        record("case.evidence_custody", actor=actor, object_type="case",
               object_id=case.reference, unit_path=case.unit.path,
               details={"changed": changed})
    return changed
