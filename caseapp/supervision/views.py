"""``/supervision``: what a supervisor must act on, overdue first.

Lists come from the scoped queries of :mod:`caseapp.cases.queries`; the
assign form posts to the case's own action route (``cases.case_action``),
which calls the one service function and comes back here.
"""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.care import service as care
from caseapp.cases import queries, workflow
from caseapp.cases.models import Case
from caseapp.cases.views import label, make_form
from caseapp.core.errors import render_error
from caseapp.extensions import db

bp = Blueprint("supervision", __name__)


@bp.before_request
@login_required
def require_login():
    """Supervisors only (checked in the view, with a clear message)."""


@bp.get("/supervision")
def queue():
    if current_user.role != "supervisor":
        return render_error(403, message=_l("The supervision queue is for supervisors."))
    now = clock.now()
    overdue = queries.fetch_cases(current_user, queries.overdue_cases(current_user, now))
    waiting = queries.fetch_cases(current_user, queries.assignment_queue(current_user))
    closures = queries.fetch_cases(current_user, 
        queries.visible_cases(current_user)
        .where(Case.stage != "closure", Case.closure_requested_at.is_not(None))
        .order_by(Case.closure_requested_at))
    plans = queries.fetch_cases(current_user, 
        queries.visible_cases(current_user)
        .where(Case.stage.in_(("support", "referral")), Case.plan_drafted_at.is_not(None),
               Case.plan_approved_at.is_(None))
        .order_by(Case.plan_approval_due_at))
    waiting_ids = {c.id for c in waiting}
    assign_forms = {c.id: make_form("assign", c) for c in waiting}
    # Overdue cases that also wait for an assignment are shown once, with the form.
    cases = list(waiting) + list(overdue) + list(closures) + list(plans)
    people_ids = ({c.lead_officer_id for c in cases if c.lead_officer_id}
                  | {uid for c in cases for uid in c.assignee_ids})
    people = db.session.scalars(select(User).where(User.id.in_(people_ids))).all() \
        if people_ids else []
    names = {u.id: u.display_name or u.username for u in people}
    disabled = {u.id for u in people if not u.is_enabled}
    # Break-glass uses on cases of the subtree, each with its reason: the people
    # who judge them read them (each reading decrypted and audited).
    glass_uses = care.accesses_in_scope(current_user)
    glass_reasons = care.readable_reasons(current_user, glass_uses)
    glass_older = care.older_uses_in_scope(current_user)
    glass_names = {u.id: u.username for u in db.session.scalars(
        select(User).where(User.id.in_({a.user_id for a in glass_uses})))} if glass_uses else {}
    from caseapp.care import data_rights
    from caseapp.care.forms import DATA_REQUEST_KIND_LABELS

    data_requests = data_rights.open_requests_in_scope(current_user)
    return render_template("supervision/queue.html", overdue=overdue, waiting=waiting,
                           data_requests=data_requests, request_labels=DATA_REQUEST_KIND_LABELS,
                           waiting_ids=waiting_ids, closures=closures, plans=plans,
                           assign_forms=assign_forms, names=names, disabled=disabled, now=now,
                           label=label, stage_labels=workflow.STAGE_LABELS,
                           glass_uses=glass_uses, glass_reasons=glass_reasons,
                           glass_older=glass_older, oversight_days=care.OVERSIGHT_DAYS,
                           glass_names=glass_names)

