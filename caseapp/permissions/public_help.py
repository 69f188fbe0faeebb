"""Who may read a request for help that came through the public form, and the
grant that lets the form seal a message under its case's key.

* A request is *public* when its recorder is a ``public:<UNIT>`` service account
  (the username is under the account's MAC and the recorder under the case's:
  a channel code changed by hand in the database makes nothing public).
* Until someone leads it, nobody is "on" a public request: no counselor
  recorded it at a desk. So that it is not read by nobody, it is open for
  triage to the counselors of its unit and the supervisors over it (their
  usual scope), each reading audited as every case view is ("via":
  "public_triage"). Reading only: triage changes nothing on the case.
* Once a lead officer is named (or the case is closed or shredded) the usual
  rules of :mod:`.cases` apply alone.

This module imports nothing of :mod:`.cases` (which asks it): the checks of an
active account and of a unit's subtree are written here again, as small as
they are there.
"""
from __future__ import annotations

from caseapp.auditing.integrity import intact
from caseapp.crypto.grants import Grant, issue_grant

from . import PermissionDenied

PUBLIC_SERVICE_KIND = "public"
PUBLIC_CHANNEL = "online_form"
TRIAGE_ROLES = ("counselor", "supervisor")
MESSAGE_COLUMNS = frozenset({"public_help_messages.text"})


def is_public_recorder(user) -> bool:
    """A ``public:<UNIT>`` service account (genuine)."""
    return bool(user is not None and getattr(user, "is_service", False)
                and user.username.startswith(PUBLIC_SERVICE_KIND + ":") and intact(user))


def is_public_request(case) -> bool:
    return is_public_recorder(case.recorded_by)


def awaiting_triage(case) -> bool:
    """A public request nobody leads yet, still open."""
    return case.lead_officer_id is None and not case.is_closed and not case.is_purged \
        and intact(case) and is_public_request(case)


def _active_staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.is_enabled and not user.awaiting_confirmation
                and user.role in TRIAGE_ROLES and intact(user))


def is_triage_reader(user, case) -> bool:
    """A counselor of the request's own unit, or a supervisor over it, while it
    awaits triage."""
    if not _active_staff(user) or not awaiting_triage(case):
        return False
    if user.role == "counselor":
        return user.unit_id == case.unit_id
    return bool(user.unit is not None and case.unit is not None and user.unit.path
                and case.unit.path.startswith(user.unit.path)
                and intact(user.unit) and intact(case.unit))


def grant_public_message(recorder, case) -> Grant:
    """Seal one message under ``case``'s key for the form's service account of
    the case's unit: the message column only, never a reading of the case."""
    if not (is_public_recorder(recorder) and recorder.unit_id == case.unit_id
            and is_public_request(case) and not case.is_purged):
        raise PermissionDenied()
    return issue_grant("public_help.message", recorder.id, case.id, columns=MESSAGE_COLUMNS)
