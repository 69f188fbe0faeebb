"""The case page: the case, its child's data when the user may see it, the actions this
user may take, its timeline, and the panels features register.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseapp import clock
from caseapp.permissions import cases as rules

from . import actions, deadlines, panels, queries, service, workflow
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
from .panels import NextStep, way_back
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
ROUTINE_ACTIONS = frozenset({"note", "harm_categories", "consent"})


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


def note_plans_waiting(cases) -> None:
    """Before a list's rows are shown: which of them have a plan with the
    supervisor, in one statement (:func:`viewer_deadline` reads it per row)."""
    g.plans_waiting = queries.plans_waiting_among(c.id for c in cases)


def viewer_deadline(case: Case, now) -> tuple[Any, bool]:
    """:func:`deadlines.shown_deadline` for the person looking (a list's row, a
    case's title): for anyone but a supervisor, a supervisor's step is waited on
    while a plan is with them. A list notes its rows' plans first
    (:func:`note_plans_waiting`); a case's own page reads its loaded plans."""
    if current_user.role == "supervisor":
        return deadlines.shown_deadline(case, now, supervisor=True, plan_waiting=False)
    noted = g.get("plans_waiting")
    if noted is not None:
        waiting = case.id in noted
    else:
        plan = case.latest_plan
        waiting = plan is not None and plan.is_waiting
    return deadlines.shown_deadline(case, now, supervisor=False, plan_waiting=waiting)


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
    # The user once: each use of the proxy looks the session's user up again
    # (the page asks the rules about them ~250 times).
    user = current_user._get_current_object()
    child = rules.can_view_child_data(user, case)
    # A supervisor asked to approve reads what they approve (and nothing else of
    # the child's), audited like any view.
    approval = rules.can_read_for_approval(user, case)
    if child:
        service.open_child_data(user, case)
    elif approval:
        service.open_for_approval(user, case)
    offered = actions.offered(user, case)
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
    shown = panels.case_panels(user, case, child, panel_overrides)
    pending = deadlines.pending(case)
    # The viewer's own deadlines first; a supervisor's step, for anyone else,
    # is what the case waits on while a plan is with them (one sent back is
    # the officer's to revise: its late approval is theirs).
    plan = case.latest_plan
    with_supervisor = plan is not None and plan.is_waiting
    waiting = [] if user.role == "supervisor" or not with_supervisor else \
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
        failed=failed, reporter_shown=rules.can_see_reporter(user, case),
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


def section_back(case: Case, section: str) -> str:
    """A section page's way back: the case page at the section's line."""
    return case_url(case, f"section-{section}")


def render_section(case: Case, spec: panels.PanelSpec, *, status: int = 200,
                   message: str | None = None, overrides: dict | None = None,
                   failed_at: tuple[Any, str] | None = None):
    """A feature's panel on its own page (views.section_page), after the same
    load and scope check as the case page (the caller's ``load_case``). A
    section the case page does not show this person is refused (403, audited
    by the permission layer); the child's data is opened (checked and audited
    as a view, as on the case page) only for a section that shows it."""
    # The user once: each use of the proxy looks the session's user up again
    # (the page asks the rules about them ~250 times).
    user = current_user._get_current_object()
    logged = f"web:section_{spec.section}"
    child = rules.can_view_child_data(user, case) and spec.child_data
    rules.require(panels.is_shown(spec, user, case, child), user, case,
                  action=logged)
    if child:
        service.open_child_data(user, case)
    panel = panels.section_panel(spec, user, case, child, overrides)
    rules.require(panel is not None, user, case, action=logged)
    failed = {"title": failed_at[0], "anchor": failed_at[1]} if failed_at is not None else None
    return render_template(
        "cases/section.html", case=case, p=panel, title=spec.title, child=child,
        failed=failed, message=message, back=section_back(case, spec.section), now=clock.now(),
        stage_labels=workflow.STAGE_LABELS, label=label), status


def render_panel_failure(case: Case, name: str, entries: dict, *, status: int = 422,
                         message: str | None = None,
                         failed_at: tuple[Any, str] | None = None):
    """A feature's form refused: back where the form is (the panel's own page,
    else the case page) with ``entries`` in its panel's context."""
    spec = panels.spec_of(name)
    if spec is not None and spec.section:
        return render_section(case, spec, status=status, message=message,
                              overrides={name: entries}, failed_at=failed_at)
    return render_case(case, status=status, message=message, panel_overrides={name: entries},
                       failed_at=failed_at)


def panel_url(case: Case, name: str | None, anchor: str = "") -> str:
    """Where a feature's form lands after it worked: its panel's own page when
    it has one, at the top, where the message saying so is (the panel follows
    it; at the panel's anchor the message sat above the screen: UX walk), else
    the case page (at ``anchor``, else the top)."""
    spec = panels.spec_of(name) if name else None
    if spec is not None and spec.section:
        return panels.section_url(case, spec.section, "top")
    return case_url(case, anchor.lstrip("#"))


def submit_panel_form(case: Case, form, panel: str, key: str, call, done: str,
                      anchor: str = "", failed_at: tuple[Any, str] | None = None):
    """The one way a feature's form is handled: validate ``form``, run
    ``call()``; on success redirect to the form's page (panel_url) with
    ``done``; otherwise the form's page again (422) with the form and its
    errors in its panel (``{key: form}``), nothing written. ``failed_at`` (the
    form's title and id on the page) puts the link to it at the top."""
    status, message = 422, None
    if form.validate_on_submit():
        try:
            call()
        except CaseConflict as exc:
            # Someone saved the case first: the input stays; saving again applies it.
            status, message = 409, str(exc.message)
            if hasattr(form, "version"):
                form.version.data = str(case.version_id if exc.current_version is None
                                        else exc.current_version)
        except CaseError as exc:
            put_error(form, exc)
        else:
            if done:
                flash(done, "info")
            return redirect(panel_url(case, panel, anchor))
    if status == 422 and not has_errors(form):
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    return render_panel_failure(case, panel, {key: form}, status=status, message=message,
                                failed_at=failed_at if status == 422 else None)


def press_button(case: Case, form, call, done: str, panel: str | None = None):
    """A one-button form (only an id): run ``call()``, say how it went, back to
    the button's page (``panel``'s own page when it has one, else the case)."""
    if not form.validate_on_submit():
        abort(400)
    try:
        call()
    except CaseError as exc:
        flash(str(exc.message), "error")
    else:
        flash(done, "info")
    return redirect(panel_url(case, panel))
