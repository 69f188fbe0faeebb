"""The case page: the case, its child's data when the user may see it, the actions this
user may take, its timeline, and the panels features register.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp import clock
from caseapp.permissions import cases as rules

from . import deadlines, panels, service, workflow
from .actions import ACTIONS, forms_for
from .errors import CaseConflict, CaseError
from .forms import (
    ACTION_KIND_LABELS,
    CHILD_GROUP_LABELS,
    CONSENT_LABELS,
    INTAKE_GROUND_LABELS,
    LEGAL_GROUND_LABELS,
    LEVEL_LABELS,
    PERSON_RELATION_LABELS,
    REFERRAL_STATUS_LABELS,
    SHARING_BASIS_LABELS,
)
from .models import Case
from .procedure import CRITERIA_LABELS, NEEDS_POINT_LABELS, REVIEW_POINT_LABELS, procedure_steps
from .screens import DEADLINE_LABELS, label, put_error, user_names
from .timeline import timeline

# The supervisor's decisions: shown at the end of what they decide on.
DECISION_ACTIONS = ("approve_plan", "return_plan", "approve_closure", "reject_closure")


def iso_day(value) -> str:
    """"2031-01-10" (how a plan stores its dates) as 10/01/2031; "—" when empty."""
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y") if value else "—"
    except ValueError:
        return str(value)


def money(value) -> str:
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else "—"


def render_case(case: Case, *, submitted: tuple[str, str | None, Any] | None = None,
                status: int = 200, message: str | None = None,
                panel_overrides: dict | None = None):
    """The page, with a submitted action form (``submitted``: name, item, form) or a
    feature's submitted form (``panel_overrides``) put back with its errors."""
    child = rules.can_view_child_data(current_user, case)
    # A supervisor asked to approve reads what they approve (and nothing else of
    # the child's), audited like any view.
    approval = rules.can_read_for_approval(current_user, case)
    if child:
        service.open_child_data(current_user, case)
    elif approval:
        service.open_for_approval(current_user, case)
    forms = forms_for(current_user, case)
    failed = None
    if submitted is not None:
        name, item, form = submitted
        if isinstance(forms.get(name), dict):
            forms[name][item] = form
        else:
            forms[name] = form
        if form.errors or form.form_errors:
            # The form may be far down a long page: say so at the top, with a link.
            failed = {"title": ACTIONS[name].title, "anchor": f"act-{name}"}
    events = timeline(case, child)
    names = user_names([e.get("actor") for e in events] + [case.lead_officer_id]
                       + list(case.assignee_ids))
    # Panels last: the who-viewed panel reads this page's own view from the log.
    shown = panels.case_panels(current_user, case, child, panel_overrides)
    return render_template(
        "cases/case.html", case=case, child=child, approval=approval, forms=forms,
        actions=ACTIONS, procedure=procedure_steps(case), criteria=CRITERIA_LABELS,
        needs_points=NEEDS_POINT_LABELS, review_points=REVIEW_POINT_LABELS,
        consent_labels=CONSENT_LABELS, child_group_labels=CHILD_GROUP_LABELS,
        relation_labels=PERSON_RELATION_LABELS, intake_ground_labels=INTAKE_GROUND_LABELS,
        action_kind_labels=ACTION_KIND_LABELS, decision_actions=DECISION_ACTIONS,
        failed=failed, reporter_shown=rules.can_see_reporter(current_user, case),
        day=iso_day, money=money,
        events=events, names=names, now=clock.now(), message=message,
        pending=deadlines.pending(case), deadline_labels=DEADLINE_LABELS,
        stage_labels=workflow.STAGE_LABELS, label=label, level_labels=LEVEL_LABELS,
        legal_ground_labels=LEGAL_GROUND_LABELS,
        referral_status_labels=REFERRAL_STATUS_LABELS,
        sharing_basis_labels=SHARING_BASIS_LABELS, panels=shown), status


def submit_panel_form(case: Case, form, panel: str, key: str, call, done: str,
                      anchor: str = ""):
    """The one way a feature's form on the case page is handled: validate
    ``form``, run ``call()``; on success redirect to the case with ``done``;
    otherwise the page again (422) with the form and its errors in its panel
    (``panel_overrides={panel: {key: form}}``), nothing written."""
    status, message = 422, None
    if form.validate_on_submit():
        try:
            call()
        except CaseConflict as exc:
            # Someone saved the case first: the input stays; saving again applies it.
            status, message = 409, str(exc.message)
            if hasattr(form, "version"):
                form.version.data = str(case.version_id)
        except CaseError as exc:
            put_error(form, exc)
        else:
            if done:
                flash(done, "info")
            return redirect(url_for("cases.case_page", reference=case.reference) + anchor)
    if status == 422 and not form.errors and not form.form_errors:
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    return render_case(case, status=status, message=message,
                       panel_overrides={panel: {key: form}})


def press_button(case: Case, form, call, done: str):
    """A one-button form (only an id): run ``call()``, say how it went, back to the case."""
    if not form.validate_on_submit():
        abort(400)
    try:
        call()
    except CaseError as exc:
        flash(str(exc.message), "error")
    else:
        flash(done, "info")
    return redirect(url_for("cases.case_page", reference=case.reference))
