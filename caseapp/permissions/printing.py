"""Printing a case's forms (Decree 56/2017, Mẫu 01 to 06): the check, the
audit entry and the grant that opens the case's data key for the printout.

A printout is a copy of the child's data on paper, so it is allowed to the
people working on the case (:func:`caseapp.permissions.cases.
can_copy_child_data`, never re-implemented here: not through break-glass,
which is read-only on screen, nor while restricted), and every print is
recorded as "case.print" (the "who has seen this child" panel lists it).
The entry holds the form code, how the user came to see the child's data
and the route's endpoint: never child data.
"""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from caseapp.auditing.writer import record
from caseapp.crypto.grants import Grant, issue_grant

from . import cases as rules

FORM_CODES = ("01", "02", "03", "04", "05", "06")


def can_print_case(user, case) -> bool:
    """The user may print ``case``'s forms: a printout is a copy that leaves the
    app, for the people working on the case (not through break-glass)."""
    return rules.can_copy_child_data(user, case)


def check_case_print(user, case) -> None:
    """Raise (an audited denial) unless ``user`` may print ``case``'s forms."""
    if not can_print_case(user, case):
        raise rules.deny(user, case, action="print",
                         message=_l("You cannot print this child's forms."))


def grant_case_print(user, case, form_code: str, *, family_copy: bool = False) -> Grant:
    """Open ``case``'s child data for one printout of form ``form_code``.

    Checked (a refusal is audited as a denial), then audited as "case.print"
    with the case reference as object id; returns the grant to unlock with.
    """
    if form_code not in FORM_CODES:
        raise ValueError("unknown form code")
    check_case_print(user, case)
    basis = rules.view_basis(user, case)
    if basis is None:
        raise rules.deny(user, case, action="print",
                         message=_l("You cannot print this child's forms."))
    details = {"form": form_code, **basis}
    if family_copy:
        details["copy"] = "family"
    if has_request_context():
        # The endpoint's name, never the URL (a query string can carry anything).
        details["route"] = (request.endpoint or "unknown")[:64]
    record("case.print", actor=user, object_type="case", object_id=case.reference,
           unit_path=case.unit.path, details=details)
    return issue_grant("case.print", user.id, case.id)
