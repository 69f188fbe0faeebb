"""``/supervision``: what a supervisor must act on, overdue first.

The assign form posts to the case's own action route (``cases.case_action``),
which calls the one service function and comes back here.
"""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp.break_glass.service import OVERSIGHT_DAYS
from caseapp.cases import workflow
from caseapp.cases.screens import label
from caseapp.core.errors import render_error
from caseapp.data_rights.forms import DATA_REQUEST_KIND_LABELS
from caseapp.permissions import cases as rules

from . import service

bp = Blueprint("supervision", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Supervisors only (checked in the view, with a clear message)."""


@bp.get("/supervision")
def queue():
    if not rules.can_open_supervision(current_user):
        return render_error(403, message=_l("The supervision queue is for supervisors."))
    found = service.queue(current_user)
    return render_template(
        "supervision/queue.html", overdue=found.overdue, overdue_total=found.overdue_total,
        waiting=found.waiting,
        data_requests=found.data_requests, request_labels=DATA_REQUEST_KIND_LABELS,
        waiting_ids={c.id for c in found.waiting}, closures=found.closures, plans=found.plans,
        plan_missing=found.plan_missing, decisions=found.decisions,
        assign_forms=found.assign_forms, names=found.names, disabled=found.disabled,
        now=found.now, label=label, stage_labels=workflow.STAGE_LABELS,
        glass_uses=found.glass_uses, glass_reasons=found.glass_reasons,
        glass_older=found.glass_older, oversight_days=OVERSIGHT_DAYS,
        glass_names=found.glass_names)
