"""Case screens: "My cases", the intake form (Mẫu 01), the case page and each
action's own page (its form).

Each view parses input into the domain's typed data, loads the case through
the scoped query (404, audited, for a case outside the user's scope), calls
one service function and turns its CaseError into a message on the form.
The request commits once (after_request); nothing here writes the database
or the audit log itself.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp import clock, paging
from caseapp.core.errors import render_error
from caseapp.core.forms import choice_list
from caseapp.core.safety import safe_next
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules

from . import actions, hooks, panels, queries, service, workflow
from .actions import ACTIONS, AFTER_CLOSURE_ACTIONS, make_form
from .errors import CaseConflict, CaseError
from .forms import IntakeForm, SearchForm
from .models import HOTLINE_CHANNELS
from .page import (
    case_url,
    has_errors,
    note_plans_waiting,
    render_action,
    render_case,
    render_section,
    viewer_deadline,
    way_back,
)
from .screens import intake_units, label, local_now, put_error, reference_choices, user_names

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every case screen needs a logged-in user."""





















# --- "My cases" ----------------------------------------------------------------------------------

@bp.get("/cases")
def my_cases():
    include_closed = request.args.get("closed") == "1"
    raw_ref = request.args.get("ref")
    prefix = queries.reference_prefix(raw_ref)
    if raw_ref is not None and prefix != raw_ref:
        # Only a search the POST below accepted comes here, as it writes it
        # ("HS-C92H"); anything else is the whole list (and is not echoed).
        return redirect(url_for("cases.my_cases", closed=1 if include_closed else None))
    return _my_cases_page(include_closed, prefix)


@bp.post("/cases")
def search_cases():
    """The search box: a case reference or its beginning. Posted, so that what
    was typed (a child's name by mistake) never reaches a URL or a log; only a
    reference's beginning comes back as the list's ``ref``."""
    form = SearchForm()
    include_closed = request.form.get("closed") == "1"
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _refused_search(include_closed, form.ref.data)
    typed = (form.ref.data or "").strip()
    prefix = queries.typed_reference(typed)
    if prefix is None and typed.upper() not in ("", "HS", "HS-"):
        # A whole reference without "HS-" is one only if it is a case of theirs.
        whole = queries.bare_whole_reference(typed)
        if whole is None or not queries.visible_reference(current_user, whole):
            return _refused_search(include_closed, typed)
        prefix = whole
    return redirect(url_for("cases.my_cases", closed=1 if include_closed else None, ref=prefix))


def _refused_search(include_closed: bool, typed: str | None):
    """The list again (422) with what was typed still in the box, to correct
    it, and why it was refused. Typed text may be a child's name: it stays in
    this page only (never a URL, a log or a cache)."""
    page, status = _my_cases_page(include_closed, None, search_error=True,
                                  typed=(typed or "")[:100]), 422
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _my_cases_page(include_closed: bool, prefix: str | None, *, search_error: bool = False,
                   typed: str | None = None):
    now = clock.now()
    after = queries.PageMark.parse(request.args.get("after"))
    before = queries.PageMark.parse(request.args.get("before"))
    window = queries.my_cases_window(current_user, include_closed=include_closed, after=after,
                                     before=before, reference_prefix=prefix)
    total = queries.count_my_cases(current_user, include_closed=include_closed,
                                   reference_prefix=prefix)
    names = user_names(c.lead_officer_id for c in window.rows)
    note_plans_waiting(window.rows)
    badges = hooks.badges([c.id for c in window.rows], now)
    fixed = {"closed": 1 if include_closed else None, "ref": prefix}
    # The case links carry this page as their way back (only our own list's
    # checked parameters: see caseapp.paging.back_link).
    here = paging.back_link(request.full_path.rstrip("?")) if request.method == "GET" else None
    form = SearchForm(formdata=None, ref=prefix or "HS-")
    return render_template("cases/list.html", cases=window.rows, now=now, names=names,
                           badges=badges,
                           total=total, window=window, size=queries.PAGE_SIZE,
                           position=paging.position(request.args.get("start"), window,
                                                    len(window.rows), total),
                           page_url=lambda **params: url_for("cases.my_cases", **fixed,
                                                             **params),
                           back=here, search_form=form, search=prefix,
                           search_error=search_error, typed=typed,
                           include_closed=include_closed, stage_labels=workflow.STAGE_LABELS,
                           label=label, unit_cases=current_user.role == "supervisor",
                           can_intake=current_user.role in rules.INTAKE_ROLES)


# The list a case page may lead back to (caseapp.paging.back_link).
paging.register_list_page("/cases")
# The case page's "← Back to the list": the checked ``back`` parameter, or nothing.
bp.add_app_template_global(paging.back_link, "list_back_link")
# The same, of the case or action page being shown (GET) or posted (its form's field).
bp.add_app_template_global(way_back, "case_way_back")
# A case's deadline as its viewer sees it (a supervisor's step is waited on by the others).
bp.add_app_template_global(viewer_deadline, "viewer_deadline")


# --- intake (Mẫu 01) ---------------------------------------------------------------------------



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
        if not form.csrf_token.errors:
            # The form's own mistakes (a date it cannot read...) and, with them,
            # everything the service would refuse: all of them in one round trip.
            unreadable = {name for name, field in form._fields.items() if field.errors}
            try:
                for problem in service.intake_problems(current_user, form.to_data()):
                    field = form.field_for(problem.field)
                    if field is None or field.name not in unreadable:
                        put_error(form, problem)
            except PermissionDenied as exc:
                form.unit.errors = [*form.unit.errors, str(exc.message)]
    return render_template("cases/new.html", form=form, failed=status == 422,
                           hotline_channels=HOTLINE_CHANNELS), status


# --- the case page -----------------------------------------------------------------------------





















@bp.get("/cases/<reference>")
def case_page(reference: str):
    case = queries.load_case(current_user, reference)
    return render_case(case)


@bp.get("/cases/<reference>/sections/<section>")
def section_page(reference: str, section: str):
    """A feature's panel on its own page (the case page shows its summary line
    and links here): loaded as the case page loads the case (404, audited,
    outside the user's scope). Only a known section's name reaches the audit
    log (the URL segment is free text); an unknown one is a 404."""
    spec = panels.section_spec(section)
    case = queries.load_case(current_user, reference,
                             action=f"web:section_{section}" if spec else "web:unknown")
    if spec is None:
        abort(404)
    return render_section(case, spec)


def _load_for_action(reference: str, action: str):
    """The case and the action's spec for an action's URL; the checks every
    action's page and its POST share. The case first: a case outside the user's
    scope is a 404 (audited) whatever the action, a closed case refuses case
    work (403, audited). Only a known action name reaches the (append-only)
    audit log: the URL segment is free text and could hold anything, a
    child's name included."""
    logged = f"web:{action}" if action in ACTIONS else "web:unknown"
    case = queries.load_case(current_user, reference, action=logged,
                             for_work=action not in AFTER_CLOSURE_ACTIONS)
    return case, ACTIONS.get(action), logged


@bp.get("/cases/<reference>/actions/<action>", defaults={"item": None})
@bp.get("/cases/<reference>/actions/<action>/<item>")
def action_page(reference: str, action: str, item: str | None):
    """An action's form on its own page (the case page links to it when the
    action is offered to this person at this stage)."""
    case, spec, logged = _load_for_action(reference, action)
    if spec is None or spec.item != (item is not None):
        abort(404)
    offered = actions.offered(current_user, case)
    if action == "plan" and action not in offered and "needs" in offered \
            and rules.can_draft_plan(current_user, case):
        # The plan waits for the needs assessment's meeting (Decree 56): the
        # person who would draft it is sent to that step, not refused.
        flash(_("First record the needs assessment with its meeting; then the plan can be "
                "drafted."), "info")
        return redirect(url_for("cases.action_page", reference=case.reference, action="needs"))
    # Not this person's, or not at this stage: refused (403) and audited by the
    # permission layer, as the POST is.
    rules.require(action in offered, current_user, case, action=logged)
    if item is not None and item not in offered[action]:
        abort(404)
    if action in ("plan", "needs") and rules.can_view_child_data(current_user, case):
        # A revision starts from the newest plan, a needs assessment from the
        # newest one: the child's data is read, checked and audited as a view.
        service.open_child_data(current_user, case)
    return render_action(case, action, item, make_form(action, case, item))


def _with_another_row(case, spec, action, item, form):
    """"Add a row" on the plan: the form back with what was typed and one more
    empty row; nothing is checked or saved (the request is still a form's)."""
    token = getattr(form, "csrf_token", None)
    if token is not None and not token.validate(form):
        abort(400)
    if not spec.shown(current_user, case):
        # Only to the people the form is offered to (its page shows it again).
        return render_error(403)
    if form.wants_another_row():
        form.show_rows(len(form.items) + 1)
    return render_action(case, action, item, form)


@bp.post("/cases/<reference>/<action>", defaults={"item": None})
@bp.post("/cases/<reference>/<action>/<item>")
def case_action(reference: str, action: str, item: str | None):
    case, spec, _logged = _load_for_action(reference, action)
    if spec is None or spec.item != (item is not None):
        abort(404)
    form = make_form(action, case, item, submitted=True)
    if getattr(form, "add_row", None) is not None and form.add_row.data:
        return _with_another_row(case, spec, action, item, form)
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
            flash(spec.confirmation(case), "info")
            target = safe_next(request.form.get("next"))
            return redirect(target or case_url(case))
    if status == 422 and not has_errors(form):
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    # The form again on its own page, with what was typed and why it was refused.
    return render_action(case, action, item, form, status=status, message=message)
