"""The case page's action list: each action's form, what it runs, and who sees it.

The rules are the named ones of :mod:`caseapp.permissions.cases`; the stage
moves are built from the workflow table, so a transition is offered exactly
when its guard allows it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseapp.permissions import cases as rules

from . import service, workflow
from .forms import (
    NEW_PLAN_ROWS,
    ApprovePlanForm,
    AssessForm,
    AssignForm,
    ClosureRequestForm,
    ConsentForm,
    DecisionForm,
    DecisionRecordForm,
    HarmCategoriesForm,
    NeedsForm,
    NoteForm,
    PlanForm,
    ReferralForm,
    ReferralStatusForm,
    ReopenForm,
    ReturnForm,
    SendBackForm,
    SupportActionForm,
    SupportForm,
)
from .models import LEGAL_GROUNDS, Case
from .screens import (
    fill_assign_choices,
    fill_nearest_choices,
    local_now,
    nearest_officers,
    reference_choices,
)


@dataclass(frozen=True)
class Action:
    form: type
    run: Callable[[Any, Case, Any, str | None], Any]
    done: Any
    shown: Callable[[Any, Case], bool]
    title: Any
    button: Any
    item: bool = False  # the URL names a plan or referral
    # The confirmation naming what was done to which case (else ``done``).
    done_for: Callable[[Case], Any] | None = None

    def confirmation(self, case: Case) -> str:
        return str(self.done_for(case) if self.done_for else self.done)


def _move(target: str):
    """Run the workflow's transition to ``target`` with the form's data."""
    def run(user, case, form, _item):
        return service.transition(user, case, target, form.to_data(),
                                  expected_version=form.expected_version)
    return run


def _offered(target: str, action: str | None = None):
    """Shown on a case at a stage this move starts from, when the workflow's
    guard allows ``user`` and the step the move needs is done (support needs an
    approved plan: the form is not offered before it, the plan's forms are).
    Two moves can share a target ("assess" and "reopen" both lead to
    assessment): the stage tells which one the case can take."""
    sources = {t.source for t in workflow.TRANSITIONS.values()
               if action is None or t.action == action}
    if target == "support":
        return lambda user, case: case.stage in sources and workflow.may_move(
            user, case, target) and (case.stage != "assessment"
                                     or case.plan_approved_at is not None)
    return lambda user, case: case.stage in sources and workflow.may_move(user, case, target)


# The stage moves, by the workflow's transition action: the web action name
# (the URL's), its form, and the words on the page.
MOVES = {
    "assess": ("assess", AssessForm, _l("The risk assessment was recorded; the case is in "
                                        "assessment."),
               _l("Initial risk assessment (form 02)"), _l("Record and start assessment")),
    "start_support": ("support", SupportForm, _l("Support has started."),
                      _l("Start support (the plan is approved)"), _l("Start support")),
    "refer": ("refer", ReferralForm, _l("The case was referred."), _l("Refer to an agency"),
              _l("Refer")),
    "return": ("return", ReturnForm, _l("The case is back in support."),
               _l("Back from referral"), _l("Return to support")),
    "reopen": ("reopen", ReopenForm, _l("The case was reopened and is in assessment."),
               _l("Reopen the case"), _l("Reopen")),
}


def _move_actions() -> dict[str, Action]:
    found: dict[str, Action] = {}
    for transition in workflow.TRANSITIONS.values():
        if transition.action not in MOVES or MOVES[transition.action][0] in found:
            continue
        name, form, done, title, button = MOVES[transition.action]
        found[name] = Action(form, _move(transition.target), done,
                             _offered(transition.target, transition.action), title, button)
    return found


_MOVE_ACTIONS = _move_actions()


def _approve_closure(user, case, form, _item):
    return service.approve_closure(user, case, expected_version=form.expected_version)


ACTIONS: dict[str, Action] = {
    "assign": Action(
        AssignForm,
        lambda u, c, f, _i: service.assign(u, c, f.to_data(), expected_version=f.expected_version),
        _l("The assignment was saved."), rules.can_assign,
        _l("Assign or reassign"), _l("Save assignment"), done_for=lambda c: _(
            "Case %(reference)s is now led by %(officer)s.", reference=c.reference,
            officer=c.lead_officer.display_name or c.lead_officer.username)
        if c.lead_officer else _("The assignment was saved.")),
    "assess": _MOVE_ACTIONS["assess"],
    "needs": Action(
        NeedsForm, lambda u, c, f, _i: service.record_needs_assessment(u, c, f.to_data()),
        _l("The needs assessment was recorded."), rules.can_record_needs_assessment,
        _l("Needs assessment (form 03)"), _l("Record needs assessment")),
    "support": _MOVE_ACTIONS["support"],
    "plan": Action(
        PlanForm,
        lambda u, c, f, _i: service.draft_plan(u, c, f.to_data(),
                                               expected_version=f.expected_version),
        _l("The support plan was saved; it needs a supervisor's approval."),
        lambda u, c: rules.can_draft_plan(u, c) and service.plan_basis_ready(c),
        _l("Support plan (form 04)"), _l("Save plan")),
    "approve_plan": Action(
        ApprovePlanForm,
        lambda u, c, f, item: service.approve_plan(u, c, item,
                                                   expected_version=f.expected_version),
        _l("The support plan was approved; the commune's decision (form 05) is due."),
        rules.can_approve_plan, _l("Approve the support plan"), _l("Approve plan"), item=True),
    "return_plan": Action(
        SendBackForm,
        lambda u, c, f, item: service.return_plan(u, c, item, f.to_data(),
                                                  expected_version=f.expected_version),
        _l("The plan was sent back to the officer with your reason."), rules.can_approve_plan,
        _l("Send the plan back"), _l("Send back"), item=True),
    "decision": Action(
        DecisionRecordForm, lambda u, c, f, _i: service.record_decision(u, c, f.to_data()),
        _l("The commune's decision was recorded."), rules.can_record_decision,
        _l("Record the commune's decision (form 05)"), _l("Record decision")),
    # People around the child are the family section's records (caseapp.family:
    # relation, contact, "may be the abuser"): the older form that added a person
    # without the flag is gone from the screens (UX walk: an abuser entered there
    # could never be flagged, and the family copy of form 01 did not know them).
    "support_action": Action(
        SupportActionForm,
        lambda u, c, f, _i: service.record_support_action(u, c, f.to_data()),
        _l("The support action was recorded."),
        rules.can_work_on_case, _l("Record a support action"), _l("Record action")),
    "refer": _MOVE_ACTIONS["refer"],
    "add_referral": Action(
        ReferralForm, lambda u, c, f, _i: service.add_referral(u, c, f.to_data()),
        _l("The referral was recorded."), rules.can_add_referral,
        _l("Refer to another agency"), _l("Refer")),
    "harm_categories": Action(
        HarmCategoriesForm,
        lambda u, c, f, _i: service.set_harm_categories(
            u, c, tuple(f.harm_categories.data or ()), expected_version=f.expected_version),
        _l("The kinds of harm were corrected."),
        rules.can_set_harm_categories,
        _l("Correct the kinds of harm"), _l("Save")),
    "referral_status": Action(
        ReferralStatusForm,
        lambda u, c, f, item: service.update_referral(u, c, item, f.to_data()),
        _l("The referral's status was updated."), rules.can_update_referrals,
        _l("Update the referral"), _l("Update"), item=True),
    "return": _MOVE_ACTIONS["return"],
    "request_closure": Action(
        ClosureRequestForm,
        lambda u, c, f, _i: service.request_closure(u, c, f.to_data(),
                                                    expected_version=f.expected_version),
        _l("Closure was requested; a supervisor decides."), rules.closure_request_offered,
        _l("Request closure (review, form 06)"), _l("Request closure")),
    "approve_closure": Action(
        DecisionForm, _approve_closure, _l("The case is closed."), _offered("closure"),
        _l("Approve closure"), _l("Approve closure")),
    "reject_closure": Action(
        SendBackForm,
        lambda u, c, f, _i: service.reject_closure(u, c, f.to_data(),
                                                   expected_version=f.expected_version),
        _l("The closure request was sent back; the case stays open."),
        rules.can_decide_closure, _l("Send the request back"), _l("Send back")),
    "reopen": _MOVE_ACTIONS["reopen"],
    "consent": Action(
        ConsentForm,
        lambda u, c, f, _i: service.update_consent(u, c, f.to_data(),
                                                   expected_version=f.expected_version),
        _l("The consent was updated."), rules.can_work_on_case,
        _l("Update consent"), _l("Save consent")),
    "note": Action(
        NoteForm, lambda u, c, f, _i: service.add_note(u, c, f.to_data()),
        _l("The note was added."),
        rules.can_work_on_case, _l("Add a note"), _l("Add note")),
}

# What may still be done on a closed case; everything else in ACTIONS is case work.
AFTER_CLOSURE_ACTIONS = frozenset({"reopen", "referral_status", "decision"})


def make_form(name: str, case: Case, item: str | None = None, *, submitted: bool = False):
    spec = ACTIONS[name]
    prefix = f"{name}-{item}" if item else name
    form = spec.form(prefix=prefix) if submitted else spec.form(prefix=prefix, formdata=None)
    if isinstance(form, AssignForm):
        fill_assign_choices(form, case)
    elif isinstance(form, ReferralForm):
        form.agency.choices = reference_choices("agency", blank=_("Choose…"))
    elif isinstance(form, HarmCategoriesForm):
        form.harm_categories.choices = reference_choices("harm_category")
    elif isinstance(form, ClosureRequestForm):
        form.reason.choices = reference_choices("closure_reason", blank=_("Choose…"))
        if case.stage == "assessment":
            form.early()
    elif isinstance(form, NeedsForm):
        # The meeting was held: not after today.
        form.meeting_date.render_kw = {"max": local_now().date().isoformat()}
    if not submitted:
        _fill_from_case(form, case)
    return form


def quick_assign_forms(supervisor, cases: list[Case]) -> dict[str, AssignForm]:
    """The assign form of each case waiting on the supervision page: it offers
    only the officers nearest to the case (:func:`screens.nearest_officers`, one
    statement for all of them), not the whole subtree's (487 officers in five
    selects at 1,000,000 cases); the case's own assign page offers everyone.
    Posted, it is the case's own "assign" action, checked there as ever."""
    nearest = nearest_officers(supervisor, cases) if cases else {}
    forms = {}
    for case in cases:
        form = AssignForm(prefix="assign", formdata=None)
        fill_nearest_choices(form, nearest[case.id])
        _fill_from_case(form, case)
        # The names are the assign action's; the ids are each row's own (five
        # forms on one page: a label must focus its own row's select).
        for bound in form:
            bound.id = f"{bound.id}-{case.reference}"
            bound.label.field_id = bound.id
        forms[case.id] = form
    return forms


def _fill_from_case(form, case: Case) -> None:
    """A form shown (not posted) starts from what the case holds."""
    if isinstance(form, AssignForm):
        form.lead_officer.data = case.lead_officer_id or ""
        form.assignees.data = sorted(case.assignee_ids)
    elif isinstance(form, HarmCategoriesForm):
        form.harm_categories.data = list(case.harm_category_codes)
    elif isinstance(form, PlanForm):
        fill_plan_form(form, case)
    elif isinstance(form, NeedsForm):
        fill_needs_form(form, case)
    elif isinstance(form, ConsentForm):
        # the states on file (codes); the note is written anew, never shown here
        form.consent_child.data = (case.child_consent if case.child_consent != "too_young"
                                   else "not_asked")
        form.consent_guardian.data = case.guardian_consent
        form.legal_ground.data = case.legal_ground if case.legal_ground in LEGAL_GROUNDS else ""
    if hasattr(form, "version"):
        form.version.data = str(case.version_id)


NEEDS_FIELDS = ("condition", "family", "risk_factors", "learning", "community", "service_needs",
                "child_views", "caregiver_views", "meeting_chair", "meeting_participants",
                "meeting_measures")


def fill_needs_form(form: NeedsForm, case: Case) -> None:
    """A new needs assessment starts from the newest one (to add the meeting, or
    what changed), when the page shows the child's data (the case is unlocked
    then): the UX walk found the form empty again after a refusal to plan."""
    if not rules.can_view_child_data(current_user, case):
        return
    needs = [a for a in case.assessments if a.kind == "needs"]
    if not needs:
        return
    newest = max(needs, key=lambda a: (a.recorded_at, a.id))
    details = newest.details or {}
    for name in NEEDS_FIELDS:
        getattr(form, name).data = details.get(name) or ""
    form.meeting_date.data = newest.meeting_on
    form.notes.data = newest.notes


def fill_plan_form(form: PlanForm, case: Case) -> None:
    """A revision starts from the newest plan (its goals and every row, and one
    empty row), when the page shows the child's data (the case is unlocked
    then); a first plan from a few empty rows."""
    plan = case.latest_plan
    if plan is None or not rules.can_view_child_data(current_user, case):
        form.show_rows(NEW_PLAN_ROWS)
        return
    form.show_rows(len(plan.items or []) + 1)
    form.goals.data = plan.goals
    for row, item in zip(form.items, plan.items or [], strict=False):
        row.form.action.data = item.get("action")
        row.form.who.data = item.get("who")
        row.form.provider.data = item.get("provider")
        for name in ("start", "due"):
            value = item.get(name)
            getattr(row.form, name).data = date.fromisoformat(value) if value else None
        cost = item.get("cost")
        row.form.cost.raw = f"{cost:,}".replace(",", ".") if isinstance(cost, int) else ""


# Small and used all the time: its form stays on the case page itself. Every
# other action's form has its own page (views.action_page), linked from the case page.
INLINE_ACTIONS = ("note",)


def offered(user, case: Case) -> dict[str, tuple[str, ...] | None]:
    """The actions ``user`` may take on ``case`` now, without building their forms:
    name -> None, or the plans/referrals it applies to (an action with ``item``)."""
    found: dict[str, tuple[str, ...] | None] = {}
    for name, spec in ACTIONS.items():
        if not spec.shown(user, case):
            continue
        if name in ("approve_plan", "return_plan"):
            found[name] = (case.latest_plan.id,)
        elif name == "referral_status":
            open_referrals = tuple(r.id for r in case.referrals
                                   if r.status in ("sent", "accepted"))
            if open_referrals:
                found[name] = open_referrals
        else:
            found[name] = None
    return found
