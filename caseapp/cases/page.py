"""The case page: the case, its child's data when the user may see it, the actions this
user may take, its timeline, and the panels features register.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseapp import clock, paging
from caseapp.permissions import cases as rules

from . import actions, deadlines, panels, service, workflow
from .actions import ACTIONS
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
from .panels import NextStep
from .procedure import CRITERIA_LABELS, NEEDS_POINT_LABELS, REVIEW_POINT_LABELS, procedure_steps
from .screens import DEADLINE_LABELS, label, put_error, user_names
from .timeline import timeline

# The supervisor's decisions: shown at the end of what they decide on.
DECISION_ACTIONS = ("approve_plan", "return_plan", "approve_closure", "reject_closure")
# The deadline (deadlines.pending's step) each action meets: "what to do next"
# shows it beside the action's link.
ACTION_DEADLINES = {
    "assess": ("assessment",), "needs": ("needs",), "plan": ("plan_draft",),
    "approve_plan": ("plan_approval",), "return_plan": ("plan_approval",),
    "decision": ("decision",), "support_action": ("emergency", "follow_up"),
}
# Deadlines of steps only a supervisor takes (the plan's approval): on the case
# page of anyone else they are worded as what the case waits on, never as the
# viewer's own to-do (as caseapp.notifications.events.SUPERVISORS_STEPS).
SUPERVISORS_STEPS = deadlines.SUPERVISORS_STEPS
WAITING_LABELS = {"plan_approval": _l("Waiting for the supervisor to approve the plan")}
# Offered all along the case: listed after the steps of the procedure.
ROUTINE_ACTIONS = frozenset({"note", "person", "harm_categories"})


def iso_day(value) -> str:
    """"2031-01-10" (how a plan stores its dates) as 10/01/2031; "—" when empty."""
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y") if value else "—"
    except ValueError:
        return str(value)


def money(value) -> str:
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else "—"


def has_errors(form) -> bool:
    check = getattr(form, "has_errors", None)
    return check() if check else bool(form.errors or form.form_errors)


def action_anchor(name: str, item: str | None = None) -> str:
    """The id of an action's form on the page: its form posts to the action's URL
    with this fragment, so that a failed submit shows the page at the form."""
    return f"act-{name}-{item}" if name == "referral_status" and item else f"act-{name}"


def viewer_deadline(case: Case, now) -> tuple[Any, bool]:
    """:func:`deadlines.shown_deadline` for the person looking (a list's row, a
    case's title): for anyone but a supervisor, a supervisor's step is waited on."""
    return deadlines.shown_deadline(case, now, supervisor=current_user.role == "supervisor")


def way_back() -> str | None:
    """The list this case was opened from (its ``back`` parameter, checked and
    rebuilt by :func:`caseapp.paging.back_link`), carried from the case page
    to an action's page, into its form (a hidden field, checked again when
    posted) and the redirect after it; None for anything else, which is then
    neither followed nor shown."""
    raw = request.form.get("back") if request.method == "POST" else request.args.get("back")
    return paging.back_link(raw)


def action_url(case: Case, name: str, item: str | None = None) -> str:
    """The page of an action's form (views.action_page), with the way back."""
    return url_for("cases.action_page", reference=case.reference, action=name, item=item,
                   back=way_back())


def next_steps(case: Case, offered: dict, inline, pending, shown) -> list[NextStep]:
    """The actions ``offered`` now and the features' (``shown`` panels), as
    links to their forms (on this page for the ``inline`` ones, else the
    action's own page): those with a deadline first, nearest first, then the
    procedure's order, the routine ones last."""
    due_at = dict(pending)
    steps: list[NextStep] = []
    for name, spec in ACTIONS.items():
        if name not in offered:
            continue
        if name == "referral_status":
            steps.extend(NextStep(action_anchor(name, r.id),
                                  f"{spec.title}: {label('agency', r.agency_code)}",
                                  url=action_url(case, name, r.id))
                         for r in case.referrals if r.id in offered[name])
            continue
        item = offered[name][0] if offered[name] else None
        url = None if name in inline else action_url(case, name, item)
        dues = [due_at[step] for step in ACTION_DEADLINES.get(name, ()) if step in due_at]
        steps.append(NextStep(action_anchor(name), spec.title, min(dues) if dues else None,
                              name in ROUTINE_ACTIONS, url=url))
    for panel in shown:
        steps.extend(panel.context.get("next_steps", ()))
    ranked = sorted(enumerate(steps), key=lambda pair: (
        pair[1].routine, pair[1].due is None,
        pair[1].due.timestamp() if pair[1].due else 0, pair[0]))
    return [step for _, step in ranked]


def render_case(case: Case, *, status: int = 200, message: str | None = None,
                panel_overrides: dict | None = None, failed_at: tuple[Any, str] | None = None):
    """The page; a feature's submitted form (``panel_overrides``; ``failed_at``:
    its title and the id of its form on the page) put back with its errors.
    The case's own actions are links to their pages (views.action_page), but
    for the note's small form and, for a supervisor reading what they are asked
    to approve, the decision forms under what they decide on."""
    child = rules.can_view_child_data(current_user, case)
    # A supervisor asked to approve reads what they approve (and nothing else of
    # the child's), audited like any view.
    approval = rules.can_read_for_approval(current_user, case)
    if child:
        service.open_child_data(current_user, case)
    elif approval:
        service.open_for_approval(current_user, case)
    offered = actions.offered(current_user, case)
    inline = [name for name in actions.INLINE_ACTIONS if name in offered]
    if approval:
        inline += [name for name in DECISION_ACTIONS if name in offered]
    forms = {name: actions.make_form(name, case, (offered[name] or (None,))[0])
             for name in inline}
    failed = {"title": failed_at[0], "anchor": failed_at[1]} if failed_at is not None else None
    events = timeline(case, child)
    names = user_names([e.get("actor") for e in events] + [case.lead_officer_id]
                       + list(case.assignee_ids))
    # Panels last: the who-viewed panel reads this page's own view from the log.
    shown = panels.case_panels(current_user, case, child, panel_overrides)
    pending = deadlines.pending(case)
    # The viewer's own deadlines first; a supervisor's step, for anyone else,
    # is what the case waits on.
    waiting = [] if current_user.role == "supervisor" else \
        [(step, due) for step, due in pending if step in SUPERVISORS_STEPS]
    pending = [(step, due) for step, due in pending if (step, due) not in waiting]
    return render_template(
        "cases/case.html", case=case, child=child, approval=approval, forms=forms,
        offered=offered, action_url=action_url,
        actions=ACTIONS, procedure=procedure_steps(case), criteria=CRITERIA_LABELS,
        needs_points=NEEDS_POINT_LABELS, review_points=REVIEW_POINT_LABELS,
        consent_labels=CONSENT_LABELS, child_group_labels=CHILD_GROUP_LABELS,
        relation_labels=PERSON_RELATION_LABELS, intake_ground_labels=INTAKE_GROUND_LABELS,
        action_kind_labels=ACTION_KIND_LABELS, decision_actions=DECISION_ACTIONS,
        failed=failed, reporter_shown=rules.can_see_reporter(current_user, case),
        day=iso_day, money=money,
        events=events, names=names, now=clock.now(), message=message,
        pending=pending, waiting=waiting, waiting_labels=WAITING_LABELS,
        waiting_steps={step for step, _due in waiting},
        deadline_labels=DEADLINE_LABELS,
        next_steps=next_steps(case, offered, inline, pending, shown),
        stage_labels=workflow.STAGE_LABELS, label=label, level_labels=LEVEL_LABELS,
        legal_ground_labels=LEGAL_GROUND_LABELS,
        referral_status_labels=REFERRAL_STATUS_LABELS,
        sharing_basis_labels=SHARING_BASIS_LABELS, panels=shown), status


def render_action(case: Case, name: str, item: str | None, form, *, status: int = 200,
                  message: str | None = None):
    """An action's own page: the case's reference and stage, the form (with
    what was typed and its errors after a refused submit) and the way back."""
    title = ACTIONS[name].title
    if name == "referral_status":
        referral = next((r for r in case.referrals if r.id == item), None)
        if referral is not None:
            title = f"{title}: {label('agency', referral.agency_code)}"
    return render_template(
        "cases/action.html", case=case, name=name, item=item, form=form,
        spec=ACTIONS[name], title=title, anchor=action_anchor(name, item),
        stage_labels=workflow.STAGE_LABELS, label=label, message=message,
        back=case_url(case, "actions"), now=clock.now()), status


def case_url(case: Case, anchor: str = "top") -> str:
    """The case page after a change, with its way back to the list (:func:`way_back`).
    Always with a fragment: a redirect without one keeps the submitted form's
    (``…#act-note``), and the person would land at the form they just used
    instead of the message saying it worked."""
    return url_for("cases.case_page", reference=case.reference, back=way_back(),
                   _anchor=anchor or "top")


def submit_panel_form(case: Case, form, panel: str, key: str, call, done: str,
                      anchor: str = "", failed_at: tuple[Any, str] | None = None):
    """The one way a feature's form on the case page is handled: validate
    ``form``, run ``call()``; on success redirect to the case with ``done``
    (at ``anchor``, else the top where the message is); otherwise the page
    again (422) with the form and its errors in its panel
    (``panel_overrides={panel: {key: form}}``), nothing written. ``failed_at``
    (the form's title and id on the page) puts the link to it at the top."""
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
            return redirect(case_url(case, anchor.lstrip("#")))
    if status == 422 and not has_errors(form):
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    return render_case(case, status=status, message=message,
                       panel_overrides={panel: {key: form}},
                       failed_at=failed_at if status == 422 else None)


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
    return redirect(case_url(case))
