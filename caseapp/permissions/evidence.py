"""Who may add, see and download a case's evidence, and the grants that open it.

* The number of attachments is metadata: everyone who sees the case sees it.
* Their names and descriptions are child data, listed to whoever may see the
  case's child data (:func:`cases.can_view_child_data`); the files themselves
  are copies that leave the app, downloaded only by the people working on the
  case (:func:`cases.can_copy_child_data`: not through break-glass, not while
  restricted); every download is audited as "case.attachment_download".
* Adding evidence, or the record of where abuse material is held, is a change:
  the people working on the case (:func:`cases.can_change_child_data`), never
  through break-glass, and not while the case's processing is restricted.
"""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from caseapp.auditing.writer import record
from caseapp.crypto.grants import Grant, issue_grant

from . import cases as rules


def _restricted_message():
    return _l("The child or their family asked to restrict the use of this case's data: "
              "nothing can be added until the restriction is lifted.")


# --- named rules -------------------------------------------------------------------------------

def can_see_evidence_count(user, case) -> bool:
    return rules.can_view_case(user, case)


def can_download_evidence(user, case) -> bool:
    """A copy of a file leaves the app: the people working on the case only
    (break-glass shows the list, not the files)."""
    return rules.can_copy_child_data(user, case)


def can_add_evidence(user, case) -> bool:
    """Upload a file, or record where abuse material is held: case work, so
    only while the case is open."""
    return rules.can_work_on_case(user, case)


def require_download(user, case) -> None:
    """Refuse (403, audited as a denial) a user who may not open the case's files."""
    rules.require(can_download_evidence(user, case), user, case, action="attachment_download",
                  message=_l("You cannot open this case's evidence."))


# --- grants ------------------------------------------------------------------------------------

def _refuse_change(user, case, action: str):
    on_case = rules.is_assignee(user, case) or rules.is_intake_recorder(user, case)
    message = None
    if on_case and case.is_restricted:
        message = _restricted_message()
    elif on_case and not rules.is_open_for_work(case):
        message = rules.closed_case_message()
    return rules.deny(user, case, action=action, message=message)


def grant_evidence_upload(user, case) -> Grant:
    """Open the case's key to seal a new attachment; the upload writes its own entry."""
    if not can_add_evidence(user, case):
        raise _refuse_change(user, case, "attachment_upload")
    return issue_grant("case.attachment_upload", user.id, case.id)


def grant_evidence_custody(user, case) -> Grant:
    """Open the case's key to record where abuse material is held (the change audits itself)."""
    if not can_add_evidence(user, case):
        raise _refuse_change(user, case, "evidence_custody")
    return issue_grant("case.evidence_custody", user.id, case.id)


def grant_attachment_download(user, case, attachment) -> Grant:
    """Open a case's key to hand out one attachment: checked, then audited as
    "case.attachment_download" (the attachment's id, how and through which route;
    never its name or content)."""
    details = rules.view_basis(user, case) if can_download_evidence(user, case) else None
    if details is None or attachment.case_id != case.id:
        raise rules.deny(user, case, action="attachment_download",
                         message=_l("You cannot open this case's evidence."))
    details["attachment_id"] = attachment.id
    if has_request_context():
        # The endpoint's name, never the URL.
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.attachment_download", actor=user, object_type="case",
           object_id=case.reference, unit_path=case.unit.path, details=details)
    return issue_grant("case.attachment_download", user.id, case.id)
