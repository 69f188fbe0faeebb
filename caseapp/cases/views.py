"""Case screens: "My cases", the intake form (Mẫu 01) and the case page.

Each view parses input into the domain's typed data, loads the case through
the scoped query (404, audited, for a case outside the user's scope), calls
one service function and turns its CaseError into a message on the form.
The request commits once (after_request); nothing here writes the database
or the audit log itself.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.core.errors import render_error
from caseapp.core.forms import choice_list
from caseapp.core.safety import safe_next
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules
from caseapp.units.models import Unit

from . import deadlines, queries, reference_data, service, workflow
from .errors import CaseConflict, CaseError
from .forms import (
    ACTION_KIND_LABELS,
    LEGAL_GROUND_LABELS,
    LEVEL_LABELS,
    REFERRAL_STATUS_LABELS,
    REOPEN_REASON_LABELS,
    SHARING_BASIS_LABELS,
    ApprovePlanForm,
    AssessForm,
    AssignForm,
    ClosureRequestForm,
    DecisionForm,
    HarmCategoriesForm,
    IntakeForm,
    NeedsForm,
    NoteForm,
    PlanForm,
    ReferralForm,
    ReferralStatusForm,
    ReopenForm,
    ReturnForm,
    SupportActionForm,
    SupportForm,
)
from .models import Case

bp = Blueprint("cases", __name__)

DEADLINE_LABELS = {
    "emergency": _l("Emergency action"),
    "assessment": _l("Risk assessment"),
    "plan_draft": _l("Support plan drafted"),
    "plan_approval": _l("Support plan approved"),
    "follow_up": _l("Follow-up"),
}


@bp.before_request
@login_required
def require_login():
    """Every case screen needs a logged-in user."""


# --- shared helpers ----------------------------------------------------------------------------

def locale_code() -> str:
    locale = get_locale()
    return str(locale) if locale else "vi"


def reference_choices(kind: str, blank=None):
    locale = locale_code()
    pairs = [(entry.code, entry.label(locale)) for entry in reference_data.entries(kind)]
    return choice_list(([("", blank)] if blank is not None else []) + pairs)


def label(kind: str, code: str | None) -> str:
    return reference_data.label(kind, code)


def local_now() -> datetime:
    """Now, in the app's time zone, without seconds (what a datetime-local input shows)."""
    return clock.now().astimezone(deadlines.local_timezone()).replace(
        second=0, microsecond=0, tzinfo=None)


def put_error(form, exc: CaseError) -> None:
    """A service's refusal onto the field it names, or at the top of the form."""
    field = form.field_for(exc.field)
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def user_names(ids) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: (u.display_name or u.username)
            for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def assignable_users(supervisor) -> list[User]:
    """Active officers and counselors of the supervisor's unit subtree."""
    prefix = supervisor.unit.path
    return list(db.session.scalars(
        select(User).join(Unit, User.unit_id == Unit.id)
        .where(User.is_enabled.is_(True), User.role.in_(rules.ASSIGNABLE_ROLES),
               Unit.path.startswith(prefix, autoescape=True))
        .order_by(User.role.desc(), User.display_name, User.username)))


def person_label(user: User) -> str:
    return f"{user.display_name or user.username} ({user.username}, {user.unit.code})"


def fill_assign_choices(form: AssignForm, case: Case) -> None:
    people = assignable_users(current_user)
    form.lead_officer.choices = choice_list(
        [("", _("Choose the lead officer"))]
        + [(u.id, person_label(u)) for u in people if u.role == "officer"])
    form.assignees.choices = choice_list((u.id, person_label(u)) for u in people)


# --- "My cases" ----------------------------------------------------------------------------------

@bp.get("/cases")
def my_cases():
    include_closed = request.args.get("closed") == "1"
    now = clock.now()
    cases = queries.fetch_cases(current_user, queries.my_cases(
        current_user, include_closed=include_closed, now=now))
    names = user_names(c.lead_officer_id for c in cases)
    return render_template("cases/list.html", cases=cases, now=now, names=names,
                           include_closed=include_closed, stage_labels=workflow.STAGE_LABELS,
                           label=label,
                           can_intake=current_user.role in rules.INTAKE_ROLES)


# --- intake (Mẫu 01) -------------------------------------------------------------------------------

def intake_units() -> list[Unit]:
    prefix = current_user.unit.path
    units = db.session.scalars(select(Unit).where(Unit.path.startswith(prefix, autoescape=True))
                               .order_by(Unit.path)).all()
    return list(units)


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    if current_user.role not in rules.INTAKE_ROLES:
        return render_error(403, message=_l("Only counselors and case officers record reports."))
    form = IntakeForm()
    base_depth = current_user.unit.depth
    form.unit.choices = choice_list(
        (u.code, f"{'· ' * (u.depth - base_depth)}{u.name} ({u.code})") for u in intake_units())
    form.channel.choices = reference_choices("channel", blank=_("Choose…"))
    form.requested_by.choices = reference_choices("requested_by")
    form.child_gender.choices = reference_choices("gender")
    form.harm_categories.choices = reference_choices("harm_category")
    form.platforms.choices = reference_choices("platform")
    if not form.is_submitted():
        form.unit.data = current_user.unit.code
        form.received_at.data = local_now()
    status = 200
    if form.validate_on_submit():
        try:
            case = service.record_intake(current_user, form.to_data())
        except CaseError as exc:
            put_error(form, exc)
            status = 422
        except PermissionDenied as exc:
            form.unit.errors = [str(exc.message)]
            status = 422
        else:
            flash(_("The report was recorded as case %(reference)s.", reference=case.reference),
                  "info")
            return redirect(url_for("cases.case_page", reference=case.reference))
    elif form.is_submitted():
        status = 422
    if status == 422:
        form.form_errors.insert(0, _("The report was not saved. Correct the fields marked "
                                     "below and save again."))
    return render_template("cases/new.html", form=form), status


# --- the case page ---------------------------------------------------------------------------------

VIEW_VIA_LABELS = {
    "assignment": _l("assignment"),
    "break_glass": _l("break-glass"),
    "reason": _l("break-glass reason"),
    "restricted": _l("restricted"),
}


@dataclass(frozen=True)
class Action:
    form: type
    run: Callable[[Any, Case, Any, str | None], Any]
    done: Any
    shown: Callable[[Any, Case], bool]
    title: Any
    button: Any
    item: bool = False  # the URL names a plan or referral


def _can_approve_plan(user, case: Case) -> bool:
    plan = case.latest_plan
    return rules.can_approve_plan(user, case) and plan is not None and plan.approved_at is None


def _can_update_referrals(user, case: Case) -> bool:
    return rules.is_assignee(user, case) and not case.is_purged and any(
        r.status in ("sent", "accepted") for r in case.referrals)


ACTIONS: dict[str, Action] = {
    "assign": Action(
        AssignForm,
        lambda u, c, f, _i: service.assign(u, c, f.to_data(), expected_version=f.expected_version),
        _l("The assignment was saved."), rules.can_assign,
        _l("Assign or reassign"), _l("Save assignment")),
    "assess": Action(
        AssessForm,
        lambda u, c, f, _i: service.transition(u, c, "assessment", f.to_data(),
                                               expected_version=f.expected_version),
        _l("The risk assessment was recorded; the case is in assessment."),
        lambda u, c: c.stage == "intake" and rules.can_transition(u, c, "assessment"),
        _l("Initial risk assessment (form 02)"), _l("Record and start assessment")),
    "needs": Action(
        NeedsForm, lambda u, c, f, _i: service.record_needs_assessment(u, c, f.to_data()),
        _l("The needs assessment was recorded."),
        lambda u, c: rules.is_assignee(u, c) and not c.is_purged
        and c.stage in ("assessment", "support", "referral"),
        _l("Needs assessment (form 03)"), _l("Record needs assessment")),
    "support": Action(
        SupportForm,
        lambda u, c, f, _i: service.transition(u, c, "support", f.to_data(),
                                               expected_version=f.expected_version),
        _l("Support has started."),
        lambda u, c: c.stage == "assessment" and rules.can_transition(u, c, "support"),
        _l("Start support"), _l("Start support")),
    "plan": Action(
        PlanForm,
        lambda u, c, f, _i: service.draft_plan(u, c, f.to_data(),
                                               expected_version=f.expected_version),
        _l("The support plan was saved; it needs a supervisor's approval."),
        rules.can_draft_plan, _l("Support plan (form 04)"), _l("Save plan")),
    "approve_plan": Action(
        ApprovePlanForm,
        lambda u, c, f, item: service.approve_plan(u, c, item,
                                                   expected_version=f.expected_version),
        _l("The support plan was approved."), _can_approve_plan,
        _l("Approve the support plan (form 05)"), _l("Approve plan"), item=True),
    "support_action": Action(
        SupportActionForm,
        lambda u, c, f, _i: service.record_support_action(u, c, f.to_data()),
        _l("The support action was recorded."),
        rules.can_work_on_case, _l("Record a support action"), _l("Record action")),
    "refer": Action(
        ReferralForm,
        lambda u, c, f, _i: service.transition(u, c, "referral", f.to_data(),
                                               expected_version=f.expected_version),
        _l("The case was referred."),
        lambda u, c: c.stage == "support" and rules.can_transition(u, c, "referral"),
        _l("Refer to an agency"), _l("Refer")),
    "add_referral": Action(
        ReferralForm, lambda u, c, f, _i: service.add_referral(u, c, f.to_data()),
        _l("The referral was recorded."),
        lambda u, c: c.stage == "referral" and rules.is_lead_officer(u, c) and not c.is_purged,
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
        _l("The referral's status was updated."), _can_update_referrals,
        _l("Update the referral"), _l("Update"), item=True),
    "return": Action(
        ReturnForm,
        lambda u, c, f, _i: service.transition(u, c, "support", f.to_data(),
                                               expected_version=f.expected_version),
        _l("The case is back in support."),
        lambda u, c: c.stage == "referral" and rules.can_transition(u, c, "support"),
        _l("Back from referral"), _l("Return to support")),
    "request_closure": Action(
        ClosureRequestForm,
        lambda u, c, f, _i: service.request_closure(u, c, f.to_data(),
                                                    expected_version=f.expected_version),
        _l("Closure was requested; a supervisor decides."),
        lambda u, c: rules.can_request_closure(u, c) and not c.closure_pending,
        _l("Request closure (review, form 06)"), _l("Request closure")),
    "approve_closure": Action(
        DecisionForm,
        lambda u, c, f, _i: service.approve_closure(u, c, expected_version=f.expected_version),
        _l("The case is closed."),
        lambda u, c: c.stage != "closure" and rules.can_transition(u, c, "closure"),
        _l("Approve closure"), _l("Approve closure")),
    "reject_closure": Action(
        DecisionForm,
        lambda u, c, f, _i: service.reject_closure(u, c, expected_version=f.expected_version),
        _l("The closure request was sent back; the case stays open."),
        rules.can_decide_closure, _l("Send the request back"), _l("Send back")),
    "reopen": Action(
        ReopenForm,
        lambda u, c, f, _i: service.reopen(u, c, f.to_data(), expected_version=f.expected_version),
        _l("The case was reopened and is in assessment."), rules.can_reopen,
        _l("Reopen the case"), _l("Reopen")),
    "note": Action(
        NoteForm, lambda u, c, f, _i: service.add_note(u, c, f.to_data()),
        _l("The note was added."),
        rules.can_work_on_case, _l("Add a note"), _l("Add note")),
}


# What may still be done on a closed case; everything else in ACTIONS is case work.
AFTER_CLOSURE_ACTIONS = frozenset({"reopen", "referral_status"})


def make_form(name: str, case: Case, item: str | None = None, *, submitted: bool = False):
    spec = ACTIONS[name]
    prefix = f"{name}-{item}" if item else name
    form = spec.form(prefix=prefix) if submitted else spec.form(prefix=prefix, formdata=None)
    if isinstance(form, AssignForm):
        fill_assign_choices(form, case)
        if not submitted:
            form.lead_officer.data = case.lead_officer_id or ""
            form.assignees.data = sorted(case.assignee_ids)
    elif isinstance(form, ReferralForm):
        form.agency.choices = reference_choices("agency", blank=_("Choose…"))
    elif isinstance(form, HarmCategoriesForm):
        form.harm_categories.choices = reference_choices("harm_category")
        if not submitted:
            form.harm_categories.data = list(case.harm_category_codes)
    elif isinstance(form, ClosureRequestForm):
        form.reason.choices = reference_choices("closure_reason", blank=_("Choose…"))
    if hasattr(form, "version") and not submitted:
        form.version.data = str(case.version_id)
    return form


def forms_for(user, case: Case) -> dict[str, Any]:
    """The forms of the actions ``user`` may take on ``case`` now (keyed like the URL)."""
    forms: dict[str, Any] = {}
    for name, spec in ACTIONS.items():
        if not spec.shown(user, case):
            continue
        if name == "approve_plan":
            forms[name] = make_form(name, case, case.latest_plan.id)
        elif name == "referral_status":
            forms[name] = {r.id: make_form(name, case, r.id) for r in case.referrals
                           if r.status in ("sent", "accepted")}
        else:
            forms[name] = make_form(name, case)
    return forms


def timeline(case: Case, child: bool) -> list[dict]:
    """Every stage, assessment, plan, action, referral, note and deadline, oldest first.

    Texts (sealed child data) only when ``child``: the case is unlocked then.
    """
    now = clock.now()
    events: list[dict] = [{"at": case.received_at, "kind": "intake", "actor": case.recorded_by_id,
                           "title": _("Report received (form 01)"),
                           "detail": label("channel", case.channel_code)}]
    for row in case.transitions:
        title = _("%(source)s → %(target)s", source=workflow.STAGE_LABELS[row.from_stage],
                  target=workflow.STAGE_LABELS[row.to_stage])
        detail = ""
        if row.reason_code:
            detail = (label("closure_reason", row.reason_code) if row.to_stage == "closure"
                      else str(REOPEN_REASON_LABELS.get(row.reason_code, row.reason_code)))
        events.append({"at": row.occurred_at, "kind": "stage", "actor": row.actor_id,
                       "title": title, "detail": detail,
                       "text": row.note if child else None})
    for a in case.assessments:
        if a.kind == "initial":
            title = _("Risk assessment (form 02): %(level)s",
                      level=LEVEL_LABELS.get(a.risk_level, a.risk_level or ""))
        else:
            title = _("Needs assessment (form 03)")
        events.append({"at": a.recorded_at, "kind": "assessment", "actor": a.recorded_by_id,
                       "title": title, "detail": _("Immediate danger") if a.immediate_danger
                       else "", "text": a.notes if child else None})
    for plan in case.plans:
        events.append({"at": plan.drafted_at, "kind": "plan", "actor": plan.drafted_by_id,
                       "title": _("Support plan, version %(n)d (form 04)", n=plan.version),
                       "text": plan.goals if child else None,
                       "plan_items": plan.items if child else None})
        if plan.approved_at:
            events.append({"at": plan.approved_at, "kind": "plan", "actor": plan.approved_by_id,
                           "title": _("Support plan, version %(n)d, approved (form 05)",
                                      n=plan.version)})
    for action in case.support_actions:
        events.append({"at": action.performed_at, "kind": "action",
                       "actor": action.recorded_by_id,
                       "title": str(ACTION_KIND_LABELS.get(action.kind, action.kind)),
                       "text": action.description if child else None})
    for r in case.referrals:
        agency = label("agency", r.agency_code)
        events.append({"at": r.sent_at, "kind": "referral", "actor": r.created_by_id,
                       "title": _("Referred to %(agency)s", agency=agency),
                       "detail": str(SHARING_BASIS_LABELS.get(r.sharing_basis, "")),
                       "text": r.reason if child else None,
                       "sent": r.what_was_sent if child else None})
        for status in ("accepted", "declined", "completed"):
            at = getattr(r, f"{status}_at")
            if at:
                events.append({"at": at, "kind": "referral",
                               "title": _("%(agency)s: %(status)s", agency=agency,
                                          status=REFERRAL_STATUS_LABELS[status]),
                               "text": (r.outcome if child and status != "accepted" else None)})
    for note in case.notes:
        events.append({"at": note.created_at, "kind": "note", "actor": note.author_id,
                       "title": _("Note (%(stage)s)", stage=workflow.STAGE_LABELS[note.stage]),
                       "text": note.text if child else None})
    if case.closure_requested_at:
        events.append({"at": case.closure_requested_at, "kind": "closure",
                       "actor": case.closure_requested_by_id,
                       "title": _("Closure requested: %(reason)s",
                                  reason=label("closure_reason", case.closure_reason_code)),
                       "text": case.outcome_summary if child else None})
    for step, due in deadlines.pending(case):
        events.append({"at": due, "kind": "deadline", "overdue": due <= now,
                       "title": _("Deadline: %(step)s", step=DEADLINE_LABELS[step])})
    return sorted(events, key=lambda e: e["at"])


def render_case(case: Case, *, submitted: tuple[str, str | None, Any] | None = None,
                status: int = 200, message: str | None = None, break_glass_form=None,
                panel_overrides: dict | None = None):
    from caseapp.care import service as care
    from caseapp.care.forms import BreakGlassForm, EndBreakGlassForm
    from caseapp.care.panels import case_panels

    child = rules.can_view_child_data(current_user, case)
    if child:
        service.open_child_data(current_user, case)
    # Break-glass: the user's own active access (read-only), or the form to ask for one.
    glass = rules.active_break_glass(current_user, case) if current_user.role == "supervisor" \
        else None
    if glass is None and break_glass_form is None and rules.can_break_glass(current_user, case):
        break_glass_form = BreakGlassForm(prefix="break_glass", formdata=None)
    # Who has seen this child: read after this page's own view was recorded.
    views = care.child_data_views(case)  # who, when, how: no child data, for all who see the case
    accesses = care.accesses_of_case(case) if child else None
    forms = forms_for(current_user, case)
    if submitted is not None:
        name, item, form = submitted
        if isinstance(forms.get(name), dict):
            forms[name][item] = form
        else:
            forms[name] = form
    events = timeline(case, child)
    names = user_names([e.get("actor") for e in events] + [case.lead_officer_id]
                       + list(case.assignee_ids))
    return render_template(
        "cases/case.html", case=case, child=child, forms=forms, actions=ACTIONS,
        events=events, names=names, now=clock.now(), message=message,
        pending=deadlines.pending(case), deadline_labels=DEADLINE_LABELS,
        stage_labels=workflow.STAGE_LABELS, label=label, level_labels=LEVEL_LABELS,
        legal_ground_labels=LEGAL_GROUND_LABELS,
        referral_status_labels=REFERRAL_STATUS_LABELS,
        sharing_basis_labels=SHARING_BASIS_LABELS, glass=glass,
        break_glass_form=break_glass_form if glass is None else None,
        end_glass_form=EndBreakGlassForm() if glass is not None else None,
        views=views, accesses=accesses, view_via_labels=VIEW_VIA_LABELS,
        panels=case_panels(current_user, case, child, panel_overrides)), status


@bp.get("/cases/<reference>")
def case_page(reference: str):
    case = queries.load_case(current_user, reference)
    return render_case(case)


@bp.post("/cases/<reference>/<action>", defaults={"item": None})
@bp.post("/cases/<reference>/<action>/<item>")
def case_action(reference: str, action: str, item: str | None):
    # The case first: a case outside the user's scope is a 404 (audited) whatever the action.
    # Only a known action name reaches the (append-only) audit log: the URL
    # segment is free text and could hold anything, a child's name included.
    logged = f"web:{action}" if action in ACTIONS else "web:unknown"
    case = queries.load_case(current_user, reference, action=logged,
                             for_work=action not in AFTER_CLOSURE_ACTIONS)
    spec = ACTIONS.get(action)
    if spec is None or spec.item != (item is not None):
        abort(404)
    form = make_form(action, case, item, submitted=True)
    status, message = 422, None
    if form.validate_on_submit():
        try:
            spec.run(current_user, case, form, item)
        except CaseConflict as exc:
            status, message = 409, str(exc.message)
            if hasattr(form, "version"):
                # The user's input stays on the form; saving again applies it to the newer case.
                form.version.data = str(case.version_id)
        except CaseError as exc:
            put_error(form, exc)
        except PermissionDenied as exc:
            return render_error(403, message=exc.message)
        else:
            flash(str(spec.done), "info")
            target = safe_next(request.form.get("next"))
            return redirect(target or url_for("cases.case_page", reference=case.reference))
    if status == 422 and not form.errors and not form.form_errors:
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    return render_case(case, submitted=(action, item, form), status=status, message=message)
