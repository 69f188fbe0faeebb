"""The audit log in words: each recorded action as a sentence, its details as words.

The log stores codes ("case.transition", {"from": "referral", "to": "closure"});
people read "Chuyển giai đoạn: Chuyển gửi → Đã đóng". :data:`ACTIONS` names every
action the code records (a test scans the code and fails on one missing here);
each detail goes through the label table that already says it on the other
screens (stages, roles, reasons, agencies...). A key or value this table does
not know is shown as it is, escaped by the template: never hidden, never run.

The details hold no child data (the writer refuses it), so nothing here can
show any; a case's "facts" and internal ids are left to the CSV export.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.cases import reference_data
from caseapp.cases.forms import (
    ACTION_KIND_LABELS,
    LEVEL_LABELS,
    PERSON_RELATION_LABELS,
    REFERRAL_STATUS_LABELS,
    SHARING_BASIS_LABELS,
)
from caseapp.cases.workflow import STAGE_LABELS
from caseapp.data_rights.forms import (
    DATA_REQUEST_KIND_LABELS,
    DATA_REQUEST_STATUS_LABELS,
    DATA_REQUESTER_LABELS,
)
from caseapp.extensions import db
from caseapp.i18n import CHANGE_KIND_LABELS, ROLE_LABELS, format_day
from caseapp.matching.panel import KIND_LABELS as MATCH_KIND_LABELS
from caseapp.matching.panel import STATUS_LABELS as MATCH_STATUS_LABELS
from caseapp.takedown.forms import CHANNEL_LABELS as TAKEDOWN_CHANNEL_LABELS
from caseapp.takedown.forms import KIND_LABELS as TAKEDOWN_KIND_LABELS
from caseapp.takedown.forms import OUTCOME_LABELS as TAKEDOWN_OUTCOME_LABELS
from caseapp.takedown.forms import PLATFORM_LABELS as TAKEDOWN_PLATFORM_LABELS
from caseapp.units.labels import SCHOOL_LABELS

from .forms import OUTCOME_LABELS


@dataclass(frozen=True)
class Wording:
    """How one action reads: ``label`` (also the filter's choice); ``detail``, a
    sentence tail with %(key)s for details; ``kinds``, how this action's keys
    read when the same key means another thing elsewhere ("from" is a stage in
    a transition, a day in a search of the log)."""

    label: Any
    detail: Any = None
    kinds: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, Any] = field(default_factory=dict)  # key labels of this action's own


# A search of the log itself: its filters ("action" is the action searched for).
SEARCH_KINDS = {"from": "day", "to": "day", "action": "searched_action", "actor": "user"}
SEARCH_NAMES = {"action": _l("action"), "actor": _l("user")}

# --- every action the code records -------------------------------------------------------

# Actions the code no longer records, whose entries stay in existing logs and
# are still put in words: a filled honeypot was answered as sent and dropped
# until 2026-12-04 (now the form comes back: public_help.asked_again).
FORMERLY_RECORDED = frozenset({"public_help.dropped"})

ACTIONS: dict[str, Wording] = {
    "access.denied": Wording(_l("Access refused"), kinds={"reason": "reason"}),
    "account_change.requested": Wording(_l("Account change asked for"), "%(kind)s",
                                        {"kind": "change_kind"}),
    "account_change.confirmed": Wording(_l("Account change confirmed"), "%(kind)s",
                                        {"kind": "change_kind"}),
    "account_change.declined": Wording(_l("Account change declined"), "%(kind)s",
                                       {"kind": "change_kind"}),
    "account_change.cancelled": Wording(_l("Account change withdrawn"), "%(kind)s",
                                        {"kind": "change_kind"}),
    "account_change.denied": Wording(_l("Account change refused: not allowed to confirm it"),
                                     "%(kind)s", {"kind": "change_kind"}),
    "app.start": Wording(_l("The application started")),
    "audit.checkpoint": Wording(_l("Audit log checkpoint signed"), _l("at entry %(seq)s")),
    "audit.export": Wording(_l("Audit log exported"), kinds=SEARCH_KINDS, names=SEARCH_NAMES),
    "audit.verify": Wording(_l("Audit log checked"), _l("%(count)s entries")),
    "audit.view": Wording(_l("Audit log read"), kinds=SEARCH_KINDS, names=SEARCH_NAMES),
    "auth.login": Wording(_l("Log in")),
    "backup.create": Wording(_l("Database backed up"), _l("up to entry %(log_head_before)s")),
    "backup.restore": Wording(_l("Database restored from a backup"),
                              _l("back to entry %(restored_head)s (it was at %(replaced_head)s)")),
    "auth.logout": Wording(_l("Log out")),
    "auth.lockout": Wording(_l("Logging in locked after failed attempts"),
                            _l("%(failures)s failed attempts")),
    "auth.password_change": Wording(_l("Own password changed")),
    "auth.recovery_code": Wording(_l("Logged in with a recovery code"),
                                  _l("%(remaining)s codes left")),
    "auth.recovery_codes_regenerated": Wording(_l("New recovery codes made")),
    "auth.rehash": Wording(_l("Password protection renewed at login")),
    "auth.session_expired": Wording(_l("Session ended"), "%(reason)s"),
    "auth.totp": Wording(_l("Second-factor code entered")),
    "auth.totp_enrol": Wording(_l("Second factor set up")),
    "auth.totp_enrol_start": Wording(_l("Second factor setup started")),
    "awareness.create": Wording(_l("Awareness session recorded")),
    "awareness.update": Wording(_l("Awareness session changed")),
    "awareness.delete": Wording(_l("Awareness session deleted")),
    "awareness.denied": Wording(_l("Awareness session: not allowed")),
    "case.assign": Wording(_l("Case assigned"), _l("lead officer: %(lead)s"),
                           {"lead": "user", "added": "user", "removed": "user"}),
    "case.attachment_download": Wording(_l("Evidence file downloaded")),
    "case.attachment_refused": Wording(_l("Evidence upload refused"), "%(reason)s"),
    "case.attachment_upload": Wording(_l("Evidence file uploaded")),
    "case.break_glass": Wording(_l("Emergency access opened"), _l("for %(minutes)s minutes")),
    "case.break_glass_end": Wording(_l("Emergency access ended"),
                                    _l("after %(minutes_used)s minutes")),
    "case.break_glass_reason": Wording(_l("Reason for an emergency access read")),
    "case.closure_rejected": Wording(_l("Closure request sent back"), "%(reason)s",
                                     {"reason": "closure_reason"}),
    "case.closure_requested": Wording(_l("Closure asked for"), "%(reason)s",
                                      {"reason": "closure_reason"}),
    "case.create": Wording(_l("Report recorded (form 01)")),
    "public_help.dropped": Wording(_l("Public help form: a robot's post dropped (nothing "
                                      "saved)")),
    "public_help.asked_again": Wording(_l("Public help form: a post with the robots' field "
                                          "filled given back to be sent again (nothing "
                                          "saved yet)")),
    "public_help.token_refused": Wording(_l("Public help form: a post without the page's "
                                            "token refused")),
    "public_help.lookup": Wording(_l("Public help form: a tracking code that matches no "
                                     "request")),
    "public_help.message": Wording(_l("Public help form: the sender left a message")),
    "public_help.status_viewed": Wording(_l("Public help form: the request's stage looked "
                                            "up with its tracking code")),
    "case.data_request": Wording(_l("Request about the child's data recorded"), "%(kind)s",
                                 {"kind": "data_kind"}),
    "case.data_request_answer": Wording(_l("Request about the child's data answered"),
                                        "%(kind)s: %(decision)s", {"kind": "data_kind"}),
    "case.data_request_lift": Wording(_l("Restriction of the child's data lifted")),
    "case.denied": Wording(_l("Access to a case refused"), "%(action)s"),
    "case.evidence_custody": Wording(_l("Where the evidence is held recorded")),
    "case.facts": Wording(_l("Facts of an earlier case logged")),
    "case.harm_categories": Wording(_l("Forms of harm changed"), "%(before)s → %(after)s",
                                    {"before": "harms", "after": "harms"}),
    "case.match_found": Wording(_l("Possible earlier case or known offender found"),
                                kinds={"child": "count", "offender": "count"}),
    "case.matched_by_intake": Wording(_l("A new report may concern this case"), "%(kinds)s",
                                      {"kinds": "match_kinds"}),
    "case.match_linked": Wording(_l("Cases linked"), "%(kind)s",
                                 {"kind": "match_kind", "from": "match_status"}),
    "case.match_dismissed": Wording(_l("Possible match dismissed"), "%(kind)s",
                                    {"kind": "match_kind", "from": "match_status"}),
    "case.needs_assessment": Wording(_l("Needs assessment recorded (form 03)")),
    "case.consent": Wording(_l("Consent updated after the intake")),
    "case.family_member": Wording(_l("Person around the child added (family section)")),
    "case.family_member_changed": Wording(_l("Person around the child corrected")),
    "case.family_member_removed": Wording(_l("Person around the child removed")),
    "case.family_household": Wording(_l("Household recorded")),
    "case.plan_goal": Wording(_l("Goal of the plan added")),
    "case.goal_progress": Wording(_l("Progress on a goal of the plan recorded")),
    "case.follow_up_scheduled": Wording(_l("Follow-up planned")),
    "case.follow_up_done": Wording(_l("Follow-up done")),
    "case.follow_up_missed": Wording(_l("Follow-up missed")),
    "case.transfer_request": Wording(_l("Transfer to another unit requested")),
    "case.transfer_accept": Wording(_l("Transfer accepted: the case moved to another unit")),
    "case.transfer_decline": Wording(_l("Transfer declined")),
    "case.transfer_cancel": Wording(_l("Transfer cancelled")),
    "case.transfer_reason": Wording(_l("Reason of a transfer read")),
    "case.note": Wording(_l("Note added")),
    "case.person": Wording(_l("Person added to the case"), "%(relation)s"),
    "case.plan": Wording(_l("Support plan drafted (form 04)"), _l("version %(version)s")),
    "case.plan_approved": Wording(_l("Support plan approved"), _l("version %(version)s")),
    "case.plan_decision": Wording(_l("Commune's approval decision recorded (form 05)"),
                                  _l("version %(version)s")),
    "case.plan_returned": Wording(_l("Support plan sent back"), _l("version %(version)s")),
    "case.print": Wording(_l("Form printed"), _l("form %(form)s")),
    "case.purged": Wording(_l("Case data destroyed"), "%(reason)s"),
    "case.rebanded": Wording(_l("Age band corrected"), "%(from)s → %(to)s"),
    "case.referral": Wording(_l("Case referred"), "%(agency)s"),
    "case.referral_status": Wording(_l("Referral updated"), "%(agency)s: %(status)s"),
    "case.sharing_consent": Wording(_l("Consent to share recorded"), "%(agency)s"),
    "case.sharing_consent_withdrawn": Wording(_l("Consent to share withdrawn"), "%(agency)s"),
    "case.takedown_item": Wording(_l("Harmful content recorded for taking down"),
                                  "%(platform)s", {"platform": "takedown_platform",
                                                   "kind": "takedown_kind"}),
    "case.takedown_request": Wording(_l("Removal request recorded"), "%(channel)s",
                                     {"channel": "takedown_channel"}),
    "case.takedown_outcome": Wording(_l("Outcome of a removal request recorded"),
                                     "%(outcome)s", {"outcome": "takedown_outcome"}),
    "case.support_action": Wording(_l("Support action recorded"), "%(kind)s",
                                   {"kind": "support_kind"}),
    "case.transition": Wording(_l("Stage changed"), "%(from)s → %(to)s",
                               {"from": "stage", "to": "stage"}),
    "case.view": Wording(_l("Case opened (the child's details)")),
    "case.list": Wording(_l("List of cases read"), _l("%(shown)s cases"),
                         names={"cases": _l("Cases listed"),
                                "child": _l("With the child's details")}),
    "integrity.violation": Wording(_l("Data changed outside the application detected")),
    "keys.init": Wording(_l("Encryption keys created")),
    "keys.retire": Wording(_l("Key version retired"), _l("version %(version)s")),
    "keys.rotate_start": Wording(_l("Key rotation started"), _l("new version %(new_version)s")),
    "keys.rotate_done": Wording(_l("Key rotation finished"), _l("version %(version)s")),
    "keys.seal_rows": Wording(_l("Earlier rows sealed"), _l("%(sealed)s rows")),
    "partner_token.issue": Wording(_l("Partner API token issued"), "%(family)s"),
    "partner_token.revoke": Wording(_l("Partner API token revoked"), "%(family)s"),
    "partner.intake": Wording(_l("Report filed by a partner's token")),
    "partner.status": Wording(_l("Case stage read by a partner's token"),
                              kinds={"reason": "reason"}),
    "partner.refused": Wording(_l("Partner API call refused"), kinds={"reason": "reason"}),
    "reference.create": Wording(_l("List entry added")),
    "reference.update": Wording(_l("List entry changed")),
    "reference.enable": Wording(_l("List entry restored")),
    "reference.disable": Wording(_l("List entry retired")),
    "report.export": Wording(_l("Report exported"), _l("period %(period)s")),
    "report.facts_logged": Wording(_l("Facts of earlier cases logged"), _l("%(cases)s cases")),
    "row.sealed": Wording(_l("Row sealed")),
    "unit.create": Wording(_l("Unit created")),
    "unit.update": Wording(_l("Unit changed")),
    "unit.school": Wording(_l("Unit's school type set"), "%(school)s"),
    "unit.deactivate": Wording(_l("Unit deactivated")),
    "unit.reactivate": Wording(_l("Unit reactivated")),
    "session.form_kept": Wording(_l("Text typed as the session ended kept sealed"),
                                 _l("%(fields)s fields")),
    "session.form_restored": Wording(_l("Kept text given back after logging in again"),
                                     _l("%(fields)s fields")),
    "session.form_dropped": Wording(_l("Kept text deleted unused")),
    "user.create": Wording(_l("Account created"), "%(role)s"),
    "user.update": Wording(_l("Account changed")),
    "user.enable": Wording(_l("Account enabled")),
    "user.disable": Wording(_l("Account disabled")),
    "user.unlock": Wording(_l("Login lock lifted")),
    "user.sessions_revoked": Wording(_l("All sessions of the account ended")),
    "user.totp_reset": Wording(_l("Second factor reset by an administrator")),
    "user.password_reset": Wording(_l("Password set by an administrator")),
}

# Action families, for the filter ("every action about accounts").
FAMILIES = {
    "auth.": _l("Logins and sessions (all)"),
    "case.": _l("Cases (all)"),
    "user.": _l("Accounts (all)"),
    "account_change.": _l("Account changes to confirm (all)"),
    "unit.": _l("Units (all)"),
    "audit.": _l("The audit log itself (all)"),
    "keys.": _l("Encryption keys (all)"),
    "partner": _l("Partner API (all)"),
}

# --- how each detail reads ----------------------------------------------------------------

KEY_LABELS = {
    "reporter_anonymous": _l("the reporter asks to stay anonymous"),
    "open_cases": _l("open cases"), "staff": _l("staff accounts"), "units": _l("units under it"),
    "fields": _l("fields"),
    "actor": _l("user"), "added": _l("added"), "after": _l("after"), "agency": _l("agency"),
    "as_of": _l("as of"), "basis": _l("basis"), "before": _l("before"),
    "cases": _l("cases"), "checkpoint": _l("checkpoint"), "checkpoints": _l("checkpoints"),
    "child": _l("possibly the same child"), "copy": _l("copy"), "count": _l("number"),
    "decision": _l("decision"), "deleted": _l("deleted"), "failures": _l("failed attempts"),
    "first_bad_seq": _l("first broken entry"), "form": _l("form"), "format": _l("file"),
    "from": _l("from"), "head": _l("newest entry"), "head_seq": _l("newest entry"),
    "kind": _l("kind"), "kinds": _l("kinds"), "late": _l("late"), "lead": _l("lead officer"),
    "media_type": _l("file type"), "meeting": _l("with a meeting"), "method": _l("method"),
    "minutes": _l("minutes"), "minutes_used": _l("minutes used"),
    "new_version": _l("new version"), "offender": _l("known offender account"),
    "outcome": _l("outcome"), "parent": _l("parent unit"), "pending": _l("waiting"),
    "period": _l("period"), "reason": _l("reason"), "reference": _l("reference"),
    "refused": _l("refused"), "relation": _l("relation"), "remaining": _l("left"),
    "removed": _l("removed"), "requested_by": _l("asked by"), "rewrapped": _l("re-wrapped"),
    "role": _l("role"), "row": _l("row"), "school": _l("school type"),
    "schools": _l("schools"), "sealed": _l("sealed"), "seq": _l("entry"),
    "sessions_revoked": _l("sessions ended"), "shown": _l("entries shown"),
    "size_bytes": _l("size (bytes)"), "stage": _l("stage"), "status": _l("status"),
    "suppressed": _l("small numbers hidden"), "table": _l("table"), "to": _l("to"),
    "unit": _l("unit"), "version": _l("version"), "versions": _l("key versions"),
    "via": _l("through"), "abuse_material": _l("sexual abuse material"),
    "changed": _l("changed"), "after_seq": _l("after"), "route": _l("where"),
    "action": _l("what"), "platform": _l("platform"), "channel": _l("sent to"),
}

# Ids that mean nothing to a reader (they stay in the CSV export), and the case's
# facts (codes and times the report's verification reads; no screen shows them).
HIDDEN_KEYS = frozenset({"facts", "match_ids", "match_id", "consent_id", "request_id",
                         "access_id", "attachment_id", "change", "lead_changed",
                         "key_fingerprint", "row_macs", "item_id"})

REASON_LABELS = {
    "bad_credentials": _l("wrong username or password"),
    "awaiting_confirmation": _l("right password, but the account is not confirmed yet"),
    "throttled": _l("too many attempts: wait and try again"),
    "hard_locked": _l("locked after too many failed attempts"),
    "idle": _l("no activity for too long"),
    "absolute": _l("the longest session time was reached"),
    "logout": _l("logged out"),
    "forbidden": _l("not allowed for this role"),
    "own_role_or_unit": _l("an administrator may not change their own role or unit"),
    "abuse_material_category": _l("the case is about sexual images of a child"),
    "retention": _l("the retention period ended"),
    "data_request": _l("a granted request to delete the child's data"),
    "missing": _l("no token sent"),
    "unknown": _l("unknown token"),
    "revoked": _l("revoked token"),
    "expired": _l("expired token"),
    "scope": _l("the token was not issued for this call"),
    "not_found": _l("no such case for this token"),
    "idempotency_key_reused": _l("idempotency key sent before with another body"),
    "invalid": _l("invalid input"),
}

VIA_LABELS = {
    "assignment": _l("assigned to the case"),
    "break_glass": _l("emergency access"),
    "reason": _l("emergency access reason"),
    "restricted": _l("restricted case"),
    "approval": _l("reading to approve (plan, assessments, review)"),
    "cli": _l("command line on the server"),
    "recorder": _l("recorded the report"),
}

ROUTE_LABELS = {
    "cases.": _l("case page"),
    "cases_api.": _l("API"),
    "printing.": _l("printed form"),
    "evidence.": _l("evidence download"),
    "break_glass.": _l("emergency access"),
    "supervision.": _l("supervision"),
    "transfers.": _l("transfers between units"),
    "transfers_api.": _l("API"),
    "admin.": _l("administration"),
    "account_changes.": _l("account changes"),
    "partners.": _l("partner API tokens"),
    "partners_api.": _l("partner API"),
    "awareness.": _l("awareness sessions"),
    "reports.": _l("figures"),
    "reports_api.": _l("API"),
    "auditlog.": _l("audit log"),
    "notifications.": _l("notifications"),
    "data_rights.": _l("requests about a child's data"),
    "family.": _l("family and caregivers"),
    "followups.": _l("follow-ups"),
    "takedown.": _l("taking harmful content down"),
    "matching.": _l("possible matches"),
    "consent.": _l("consent to share"),
}

# What a refused case access was for (permissions' action names; "api:" and
# "web:" say where from).
DENIED_ACTION_LABELS = {
    "open": _l("open the case"), "view_child_data": _l("see the child's details"),
    "view_for_approval": _l("read to approve"), "print": _l("print a form"),
    "attachment_download": _l("download evidence"), "attachment_upload": _l("upload evidence"),
    "evidence_download": _l("download evidence"), "evidence_upload": _l("upload evidence"),
    "evidence_custody": _l("record where evidence is held"),
    "break_glass": _l("open emergency access"), "end_break_glass": _l("end emergency access"),
    "break_glass_limit": _l("emergency access beyond the daily limit"),
    "break_glass_reason": _l("read an emergency access reason"),
    "assign": _l("assign the case"), "transition": _l("change the stage"),
    "add_note": _l("add a note"), "note": _l("add a note"), "add_person": _l("add a person"),
    "person": _l("add a person"), "add_referral": _l("refer the case"),
    "referral": _l("refer the case"), "update_referral": _l("update a referral"),
    "referral_status": _l("update a referral"), "needs_assessment": _l("assess needs"),
    "needs": _l("assess needs"), "draft_plan": _l("draft the plan"), "plan": _l("draft the plan"),
    "approve_plan": _l("approve the plan"), "return_plan": _l("send the plan back"),
    "record_decision": _l("record the commune's decision"),
    "decision": _l("record the commune's decision"),
    "support_action": _l("record a support action"),
    "request_closure": _l("ask to close the case"),
    "decide_closure": _l("decide on closing the case"),
    "reject_closure": _l("send a closure request back"),
    "family_member": _l("add a person around the child"),
    "family_member_changed": _l("correct a person around the child"),
    "family_member_removed": _l("remove a person around the child"),
    "family_household": _l("record the household"),
    "family_member_of_another_case": _l("correct or remove a person recorded on this case "
                                        "from another case"),
    "harm_categories": _l("change the forms of harm"),
    "set_harm_categories": _l("change the forms of harm"),
    "sharing_consent": _l("record consent to share"),
    "withdraw_sharing_consent": _l("withdraw consent to share"),
    "data_request": _l("record a request about the child's data"),
    "data_request_answer": _l("answer a request about the child's data"),
    "data_request_lift": _l("lift a restriction"),
    "intake": _l("record a report"), "intake_limit": _l("record a report beyond the limit"),
    "match_link": _l("link cases"), "match_dismiss": _l("dismiss a possible match"),
    "takedown": _l("read the removal requests"),
    "takedown_item": _l("record harmful content to take down"),
    "takedown_request": _l("record a removal request"),
    "takedown_outcome": _l("record the outcome of a removal request"),
    "section_takedown": _l("open the removal requests"),
}

OBJECT_TYPE_LABELS = {
    "case": _l("Case"), "user": _l("Account"), "unit": _l("Unit"),
    "audit_log": _l("Audit log"), "endpoint": _l("Page"), "awareness": _l("Awareness session"),
    "reference": _l("List entry"), "case_list": _l("List of cases"),
}

YES, NO = _l("yes"), _l("no")


def _listed(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [part for part in str(value or "").split(",") if part]


def _role(value: Any) -> str:
    # "officer->supervisor" when an administrator changed a role.
    parts = str(value).split("->")
    return " → ".join(str(ROLE_LABELS.get(p, p)) for p in parts)


def _route(value: Any) -> str:
    text = str(value)
    for prefix, label in ROUTE_LABELS.items():
        if text.startswith(prefix):
            return str(label)
    return text


def _denied(value: Any) -> str:
    where, _sep, name = str(value).rpartition(":")
    label = DENIED_ACTION_LABELS.get(name)
    if label is None:
        return str(value)
    return str(_l("%(what)s (through the API)", what=label)) if where == "api" else str(label)


def _day(value: Any) -> str:
    try:
        return format_day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _table(labels: Mapping[str, Any]) -> Callable[[Any], str]:
    return lambda value: str(labels.get(value, value))


def _reference(kind: str) -> Callable[[Any], str]:
    return lambda value: reference_data.label(kind, str(value)) if value else "—"


KIND_READERS: dict[str, Callable[[Any], str]] = {
    "stage": _table(STAGE_LABELS),
    "role": _role,
    "reason": _table(REASON_LABELS),
    "closure_reason": _reference("closure_reason"),
    "agency": _reference("agency"),
    "harms": lambda value: ", ".join(reference_data.label("harm_category", c)
                                     for c in _listed(value)) or "—",
    "support_kind": _table(ACTION_KIND_LABELS),
    "status": _table(REFERRAL_STATUS_LABELS),
    "basis": _table(SHARING_BASIS_LABELS),
    "data_kind": _table(DATA_REQUEST_KIND_LABELS),
    "decision": _table(DATA_REQUEST_STATUS_LABELS),
    "requested_by": _table(DATA_REQUESTER_LABELS),
    "relation": _table(PERSON_RELATION_LABELS),
    "change_kind": _table(CHANGE_KIND_LABELS),
    "match_kind": _table(MATCH_KIND_LABELS),
    "match_kinds": lambda value: ", ".join(str(MATCH_KIND_LABELS.get(k, k))
                                           for k in _listed(value)),
    "match_status": _table(MATCH_STATUS_LABELS),
    "school": _table(SCHOOL_LABELS),
    "via": _table(VIA_LABELS),
    "route": _route,
    "action": _denied,
    "outcome": _table(OUTCOME_LABELS),
    "takedown_platform": _table(TAKEDOWN_PLATFORM_LABELS),
    "takedown_kind": _table(TAKEDOWN_KIND_LABELS),
    "takedown_channel": _table(TAKEDOWN_CHANNEL_LABELS),
    "takedown_outcome": _table(TAKEDOWN_OUTCOME_LABELS),
    "level": _table(LEVEL_LABELS),
    "day": _day,
    "copy": lambda value: str(_l("the family's copy")) if value == "family" else str(value),
    "searched_action": lambda value: str(FAMILIES.get(value) or action_label(str(value))),
}

# The kind of a key wherever its action does not say otherwise.
KEY_KINDS = {
    "stage": "stage", "role": "role", "reason": "reason", "agency": "agency",
    "status": "status", "basis": "basis", "decision": "decision",
    "requested_by": "requested_by", "relation": "relation", "school": "school",
    "via": "via", "route": "route", "action": "action", "outcome": "outcome",
    "copy": "copy", "kind": "change_kind",
}


@dataclass(frozen=True)
class Described:
    """One entry in words: ``sentence`` (the action and its main details),
    ``details`` (the rest, as (label, value) pairs), ``subject`` (what it is about)."""

    sentence: str
    details: list[tuple[str, str]]
    subject: str


def action_label(action: str) -> str:
    wording = ACTIONS.get(action)
    return str(wording.label) if wording else action


def action_choices() -> list[tuple[str, str]]:
    """The filter's list: families first, then every action by its words."""
    families = [(prefix, str(label)) for prefix, label in FAMILIES.items()]
    actions = sorted(((code, str(w.label)) for code, w in ACTIONS.items()),
                     key=lambda pair: pair[1].lower())
    return families + actions


def _value(action_kinds: Mapping[str, str], key: str, value: Any,
           names: Mapping[str, str]) -> str:
    kind = action_kinds.get(key) or KEY_KINDS.get(key)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(YES if value else NO)
    if kind == "user":
        return ", ".join(names.get(v, v) for v in _listed(value)) or "—"
    reader = KIND_READERS.get(kind or "")
    if isinstance(value, (list, tuple)):
        return ", ".join(reader(v) if reader else str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))
    return reader(value) if reader else str(value)


def describe(entry, names: Mapping[str, str] | None = None) -> Described:
    """``entry`` (an audit log entry as the log page reads it) in words."""
    names = names or {}
    wording = ACTIONS.get(entry.action)
    items = [(k, v) for k, v in entry.details_items if k not in HIDDEN_KEYS]
    values = dict(items)
    if wording is None:
        sentence, used, kinds = entry.action, set(), {}
    else:
        kinds = wording.kinds
        sentence, used = str(wording.label), set()
        if wording.detail is not None:
            wanted = _placeholders(str(wording.detail))
            if wanted and wanted <= values.keys():
                shown = {k: _value(kinds, k, values[k], names) for k in wanted}
                sentence = f"{sentence}: {str(wording.detail) % shown}"
                used = wanted
    own_names = wording.names if wording is not None else {}
    rest = [(str(own_names.get(k) or KEY_LABELS.get(k, k)), _value(kinds, k, v, names))
            for k, v in items if k not in used]
    return Described(sentence, rest, _subject(entry, names))


def _placeholders(template: str) -> set[str]:
    found, start = set(), 0
    while (start := template.find("%(", start)) != -1:
        end = template.find(")", start)
        found.add(template[start + 2:end])
        start = end
    return found


def _subject(entry, names: Mapping[str, str]) -> str:
    if not entry.object_type:
        return ""
    label = str(OBJECT_TYPE_LABELS.get(entry.object_type, entry.object_type))
    if not entry.object_id:
        return label
    if entry.object_type == "endpoint":  # a page in words, its route for whoever digs
        words = _route(entry.object_id)
        return f"{label} {words} ({entry.object_id})" if words != entry.object_id \
            else f"{label} {entry.object_id}"
    shown = names.get(entry.object_id, entry.object_id) if entry.object_type == "user" \
        else entry.object_id
    return f"{label} {shown}"


USER_KEYS = ("lead", "added", "removed", "actor")


def user_names(entries: Iterable) -> dict[str, str]:
    """Usernames of the accounts the entries are about or name in their details."""
    ids: set[str] = set()
    for entry in entries:
        if entry.object_type == "user" and entry.object_id:
            ids.add(entry.object_id)
        for key, value in entry.details_items:
            if key in USER_KEYS:
                ids.update(_listed(value))
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {key: value for key, value in rows}
