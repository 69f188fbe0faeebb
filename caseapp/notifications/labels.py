"""What each kind of notice says (the page and the e-mail digest)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "case_recorded_danger": _l("A child in immediate danger was reported: assign the case now."),
    "case_recorded": _l("A new report was recorded in your units: case"),
    "assigned_danger": _l("You were assigned a child in immediate danger: act now on case"),
    "assigned": _l("You were assigned to case"),
    "plan_waiting": _l("A support plan waits for your approval on case"),
    "plan_approved": _l("Your support plan was approved on case"),
    "plan_returned": _l("Your support plan was sent back on case"),
    "closure_waiting": _l("A closure request waits for your decision on case"),
    "closure_returned": _l("Your closure request was sent back on case"),
    "case_closed": _l("The case was closed:"),
    "deadline_soon": _l("A deadline falls due soon on case"),
    "deadline_missed": _l("A deadline was missed on case"),
    "follow_up_soon": _l("A follow-up you go on is due on the next working day or sooner, on "
                         "case"),
    "data_request_due": _l("A child's request about their data is due soon on case"),
    "takedown_overdue": _l("A request to take harmful content down has had no answer in "
                           "time on case"),
    "break_glass": _l("A supervisor used emergency access (break-glass) on case"),
    "data_request": _l("A child or guardian made a request about their data on case"),
    "restricted": _l("The child's details were restricted at the request of the child or "
                     "guardian on case"),
    "restriction_lifted": _l("The restriction was lifted on case"),
    "match_found": _l("A possible earlier case or a known offender account was found for case"),
    "account_change_request": _l("An account change waits for your confirmation."),
    "account_change_decided": _l("An account change you asked for was decided."),
    "account_changed": _l("An account in your unit was created or changed."),
}
URGENT = ["case_recorded_danger", "assigned_danger", "deadline_missed"]


def register_kind(kind: str, label, *, urgent: bool = False) -> None:
    """A feature above this layer adds the words of a kind of its own (``urgent``:
    listed first, as a child in danger)."""
    KIND_LABELS.setdefault(kind, label)
    if urgent and kind not in URGENT:
        URGENT.append(kind)
