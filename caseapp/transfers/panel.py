"""The case page's transfer panels: a banner while the case is being
transferred (everyone who sees the case), and the "Transfer" section (its
supervisors ask for, follow and cancel a transfer there)."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.cases.models import Case
from caseapp.cases.panels import PanelSpec
from caseapp.cases.screens import user_names
from caseapp.core.forms import choice_list
from caseapp.extensions import db
from caseapp.i18n import format_moment
from caseapp.permissions import cases as case_rules
from caseapp.permissions import transfers as rules
from caseapp.units import forms as unit_forms
from caseapp.units.models import Unit

from . import service
from .forms import REASON_LABELS, STATUS_LABELS, ButtonForm, TransferForm

# Reasons read (each reading audited) on the section page: the newest few.
REASONS_SHOWN = 5


# The receiving unit is a select of every active unit while there are at most
# this many; past it (a province's thousands of communes and schools) the form
# takes the unit's code, which the service checks as it checks a choice
# (caseapp.units.forms).
UNIT_CHOICES_MAX = unit_forms.UNIT_CHOICES_MAX


def unit_choices(case: Case) -> list[tuple[str, str]] | None:
    """The units the case may be sent to, by name; None past ``UNIT_CHOICES_MAX``."""
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True),
                                                  Unit.id != case.unit_id)
                               .order_by(Unit.name).limit(UNIT_CHOICES_MAX + 1)).all()
    if len(units) > UNIT_CHOICES_MAX:
        return None
    return [("", _("Choose a unit"))] + [(u.code, f"{u.name} ({u.code})") for u in units]


def transfer_form(case: Case, *, submitted: bool = False) -> TransferForm:
    form = TransferForm(prefix="transfer") if submitted else \
        TransferForm(prefix="transfer", formdata=None)
    choices = unit_choices(case)
    form.to_unit.by_code = choices is None
    form.to_unit.choices = choice_list(choices or [])
    if not submitted:
        form.version.data = str(case.version_id)
    return form


def _transfers(case: Case) -> list:
    """The case's genuine transfers, newest first, read once per request: the
    banner, the section's summary line and the timeline all show them (three
    reads of the same rows, each row's MAC checked three times, before)."""
    read = g.setdefault("case_transfers", {})
    if case.id not in read:
        read[case.id] = service.transfers_of(case)
    return read[case.id]


def _pending(case: Case):
    return next((t for t in _transfers(case) if t.status == "pending"), None)


def _shown(user, case: Case, pending) -> bool:
    return pending is not None or case_rules.is_supervisor_of(user, case)


def banner_context(user, case: Case, child: bool) -> dict | None:
    """On every case page while a transfer waits: who sees the case keeps working on it."""
    pending = _pending(case)
    if pending is None:
        return None
    return {"transfer": pending, "to_unit": pending.to_unit.name,
            "since": pending.requested_at}


def panel_context(user, case: Case, child: bool) -> dict | None:
    pending = _pending(case)
    if not _shown(user, case, pending):
        return None
    history = _transfers(case)
    reasons: dict[str, tuple[str | None, str | None]] = {}
    for transfer in history[:REASONS_SHOWN]:
        if rules.can_read_transfer_reasons(user, transfer):
            reasons[transfer.id] = service.read_reasons(user, transfer)
    context = {
        "pending": pending, "history": history, "reasons": reasons,
        "names": user_names({t.requested_by_id for t in history}
                            | {t.decided_by_id for t in history if t.decided_by_id}),
        "reason_labels": REASON_LABELS, "status_labels": STATUS_LABELS,
        "form": None, "cancel_form": None,
    }
    if pending is None and rules.can_request_transfer(user, case):
        context["form"] = transfer_form(case)
    if pending is not None and rules.can_cancel_transfer(user, pending):
        context["cancel_form"] = ButtonForm(prefix="cancel")
    return context


def summary(user, case: Case, child: bool) -> dict | None:
    pending = _pending(case)
    if not _shown(user, case, pending):
        return None
    if pending is not None:
        return {"line": _("Being transferred to %(unit)s since %(since)s",
                          unit=pending.to_unit.name, since=format_moment(pending.requested_at)),
                "alert": _("Being transferred")}
    return {"line": _("Transfer to another unit")}


PANEL = PanelSpec("transfer", "transfers/_panel.html", "main", panel_context, order=80,
                  section="transfer", title=_l("Transfer to another unit"), summary=summary,
                  child_data=False)
BANNER = PanelSpec("transfer_banner", "transfers/_banner.html", "top", banner_context,
                   order=5)


def timeline_events(case: Case, child: bool) -> list[dict]:
    """The case's timeline: each transfer asked, accepted, declined or cancelled
    (units and codes only; the reasons stay on the section page, each reading
    audited)."""
    events = []
    for t in _transfers(case):
        to_unit, from_unit = t.to_unit.name, t.from_unit.name
        events.append({"at": t.requested_at, "kind": "transfer", "actor": t.requested_by_id,
                       "title": _("Transfer from %(source)s to %(target)s requested",
                                  source=from_unit, target=to_unit),
                       "detail": str(REASON_LABELS.get(t.reason_code, t.reason_code))})
        if t.decided_at is None:
            continue
        title = {
            "accepted": _("Transferred from %(source)s to %(target)s: the case moved",
                          source=from_unit, target=to_unit),
            "declined": _("Transfer to %(target)s declined", target=to_unit),
            "cancelled": _("Transfer to %(target)s cancelled", target=to_unit),
        }.get(t.status)
        if title:
            events.append({"at": t.decided_at, "kind": "transfer", "actor": t.decided_by_id,
                           "title": title})
    return events


def list_badges(case_ids: list[str], _now) -> dict[str, list[tuple[str, str]]]:
    """"Being transferred" on the rows of "My cases" (the officers keep the case)."""
    return {case_id: [("waiting", _("Being transferred"))]
            for case_id in service.pending_case_ids(case_ids)}
