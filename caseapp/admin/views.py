from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp import paging, permissions
from caseapp.accounts.forms import ConfirmForm
from caseapp.accounts.models import User
from caseapp.extensions import db
from caseapp.i18n import CHANGE_KIND_LABELS, ROLE_LABELS
from caseapp.units import service as units
from caseapp.units.forms import offer_units
from caseapp.units.models import Unit

from . import changes, service
from .forms import (
    SCHOOL_LABELS,
    PasswordResetForm,
    SchoolForm,
    UnitForm,
    UnitRenameForm,
    UserEditForm,
    UserForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@login_required
def require_admin():
    if not permissions.is_admin(current_user):
        abort(403)


def _field_error(form, exc) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors.append(str(exc.message))
    else:
        flash(str(exc.message), "error")


@bp.get("/users")
def users():
    window = service.users_window(after=request.args.get("after"),
                                  before=request.args.get("before"))
    return render_template(
        "admin/users.html", users=window.rows, roles=ROLE_LABELS, window=window,
        size=service.USERS_PAGE_SIZE,
        position=paging.position(request.args.get("start"), window, len(window.rows),
                                 service.count_users()),
        page_url=lambda **params: url_for("admin.users", **params))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    offer_units(form.unit)
    if form.validate_on_submit():
        data = service.NewUser(form.username.data, form.role.data, form.unit.data,
                                form.password.data, form.display_name.data or "")
        try:
            user = service.create_user(current_user, data)
        except service.AccountError as exc:
            _field_error(form, exc)
        else:
            flash(_("The account was created. It can be used once a second person confirms "
                    "it; its owner then chooses their own password at the first login."), "info")
            return redirect(url_for("admin.user", user_id=user.id))
    # Reached on a POST, the form was refused: shown again with its errors, 422
    refused = request.method == "POST"
    return render_template("admin/user_new.html", form=form), 422 if refused else 200


def _load_user(user_id: str) -> User:
    user = service.load_user(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<user_id>", methods=["GET", "POST"])
def user(user_id: str):
    target = _load_user(user_id)
    form = UserEditForm(obj=target)
    if not form.is_submitted():
        form.unit.data = target.unit.code
    offer_units(form.unit, keep=target.unit.code)
    if form.validate_on_submit():
        try:
            waiting = service.update_user(current_user, target, role=form.role.data,
                                           unit_code=form.unit.data,
                                           display_name=form.display_name.data or "")
        except service.AccountError as exc:
            _field_error(form, exc)
        else:
            flash(_("Saved. The new role or unit takes effect once a second person confirms "
                    "it.") if waiting else _("Saved."), "info")
            return redirect(url_for("admin.user", user_id=target.id))
    pending = changes.pending_of(target)
    confirmers = {c.id: ", ".join(u.display_name or u.username for u in
                                  permissions.account_change_confirmers(c)) for c in pending}
    return render_template("admin/user.html", target=target, form=form, confirm=ConfirmForm(),
                           reset_form=PasswordResetForm(), roles=ROLE_LABELS,
                           lock=service.login_lock_state(target), pending=pending,
                           confirmers=confirmers, change_kinds=CHANGE_KIND_LABELS
                           ), 422 if form.is_submitted() else 200


ACTIONS = {
    "disable": (lambda actor, u: service.set_enabled(actor, u, False),
                _l("The account is disabled and its sessions have ended.")),
    "enable": (lambda actor, u: service.set_enabled(actor, u, True),
               _l("The account is enabled.")),
    "unlock": (service.lift_lock, _l("The login lock has been lifted.")),
    "revoke": (service.revoke_sessions, _l("All sessions of this user have ended.")),
    "reset-totp": (service.reset_second_factor,
                   _l("The second factor was reset; the user sets it up at the next login.")),
}
WAITING = _l("This takes effect once a second person confirms it.")


@bp.post("/users/<user_id>/<action>")
def user_action(user_id: str, action: str):
    target = _load_user(user_id)
    if action == "password":
        form = PasswordResetForm()
        if form.validate_on_submit():
            try:
                waiting = service.set_password(current_user, target, form.password.data)
            except service.AccountError as exc:
                flash(str(exc.message), "error")
            else:
                flash(_("The new password takes effect once a second person confirms it; "
                        "the user then chooses their own at the next login.") if waiting else
                      _("The password was set and the user's sessions have ended; the user "
                        "chooses their own at the next login."), "info")
        return redirect(url_for("admin.user", user_id=target.id))
    if action not in ACTIONS or not ConfirmForm().validate_on_submit():
        abort(400)
    operation, message = ACTIONS[action]
    try:
        waiting = operation(current_user, target)
    except service.AccountError as exc:
        flash(str(exc.message), "error")
    else:
        flash(str(WAITING if waiting is True else message), "info")
    return redirect(url_for("admin.user", user_id=target.id))


def _units_page(school_form=None, unit_errors=None, status: int = 200,
                rename_form: UnitRenameForm | None = None, at: Unit | None = None,
                not_found: str | None = None):
    """The tree a page at a time; ``at``: the page that starts at that unit (the
    one just changed or refused, so its message is on the page shown)."""
    window = units.tree_window(after=request.args.get("after"),
                               before=request.args.get("before"), at=at)
    total = units.count_units()
    start = str(units.count_before(at) + 1) if at is not None else request.args.get("start")
    return render_template(
        "admin/units.html", units=window.rows, window=window, size=units.TREE_PAGE_SIZE,
        position=paging.position(start, window, len(window.rows), total),
        page_url=lambda **params: url_for("admin.unit_list", **params),
        school_labels=SCHOOL_LABELS, school_form=school_form or SchoolForm(formdata=None),
        rename_form=rename_form, unit_errors=unit_errors or {}, confirm=ConfirmForm(),
        find=request.args.get("at", "")[:32] if not_found else "", not_found=not_found,
        above=units.ancestors(window.rows[0]) if window.rows and not window.first else []), \
        status


@bp.get("/units")
def unit_list():
    """``at``: a unit's code, typed in the page's "go to" box or carried by the
    redirect after a change: the page starting at that unit."""
    code = request.args.get("at", "").strip()
    if not code:
        return _units_page()
    unit = units.by_code(code) if len(code) <= 32 and code.isprintable() else None
    if unit is None:
        return _units_page(not_found=_("No unit has the code %(code)s.", code=code[:32]))
    return _units_page(at=unit)


def _unit_page_url(unit) -> str:
    return url_for("admin.unit_list", at=unit.code, _anchor=f"unit-{unit.code}")


def _load_unit(code: str):
    unit = units.by_code(code) if len(code) <= 32 else None
    if unit is None:
        abort(404)
    return unit


@bp.post("/units/<code>/name")
def rename_unit(code: str):
    unit = _load_unit(code)
    form = UnitRenameForm()
    problem = None
    if form.validate_on_submit():
        try:
            service.rename_unit(current_user, unit, form.name.data)
        except service.UnitError as exc:
            problem = exc.message
    elif "csrf_token" in form.errors:
        abort(400)
    else:
        problem = form.name.errors[0]
    if problem:
        db.session.rollback()
        return _units_page(unit_errors={unit.code: str(problem)}, status=422, rename_form=form,
                           at=unit)
    flash(_("The unit is now called %(name)s.", name=unit.name), "info")
    return redirect(_unit_page_url(unit))


@bp.post("/units/<code>/<state>")
def set_unit_state(code: str, state: str):
    unit = _load_unit(code)
    if state not in ("deactivate", "reactivate"):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operation = service.deactivate_unit if state == "deactivate" else service.reactivate_unit
    try:
        operation(current_user, unit)
    except service.UnitError as exc:
        # The refusal is audited; nothing else is written.
        db.session.commit()
        return _units_page(unit_errors={unit.code: str(exc.message)}, status=409, at=unit)
    flash(_("%(name)s no longer takes new cases or accounts.", name=unit.name)
          if state == "deactivate" else _("%(name)s is active again.", name=unit.name), "info")
    return redirect(_unit_page_url(unit))


@bp.post("/units/school")
def set_school():
    form = SchoolForm()
    if not form.validate_on_submit():
        abort(400)
    code = form.unit.data or ""
    unit = units.by_code(code) if len(code) <= 32 else None
    problem = None if unit else _("Choose a unit.")
    if unit is not None:
        try:
            service.set_school_type(current_user, unit, form.school_type.data or None)
        except service.UnitError as exc:
            problem = exc.message
    if problem:
        db.session.rollback()
        form.school_type.errors = [str(problem)]
        return _units_page(school_form=form, status=422, at=unit)
    db.session.commit()
    flash(_("%(unit)s: %(kind)s.", unit=unit.name, kind=SCHOOL_LABELS[unit.school_type or ""]),
          "info")
    return redirect(_unit_page_url(unit))


@bp.route("/units/new", methods=["GET", "POST"])
def new_unit():
    form = UnitForm()
    offer_units(form.parent, blank=True)
    if form.validate_on_submit():
        try:
            service.create_unit(current_user, form.code.data, form.name.data,
                              form.parent.data or None, form.school_type.data or None)
        except service.UnitError as exc:
            _field_error(form, exc)
        else:
            flash(_("The unit was created."), "info")
            return redirect(url_for("admin.unit_list"))
    refused = request.method == "POST"  # a created unit was redirected above
    return render_template("admin/unit_new.html", form=form), 422 if refused else 200


# --- account changes that wait for a second person (supervisors and admins) -----------------

changes_bp = Blueprint("account_changes", __name__, template_folder="templates")

@changes_bp.get("/account-changes")
@login_required
def account_changes():
    return render_template("admin/changes.html",
                           to_decide=changes.decidable_by(current_user),
                           asked=changes.requested_by(current_user),
                           form=ConfirmForm(), roles=ROLE_LABELS, kinds=CHANGE_KIND_LABELS)


@changes_bp.post("/account-changes/<change_id>/<decision>")
@login_required
def decide_account_change(change_id: str, decision: str):
    change = changes.load(change_id)
    if change is None or decision not in ("confirm", "decline", "cancel"):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operation = {"confirm": changes.confirm, "decline": changes.decline,
                 "cancel": changes.cancel}[decision]
    try:
        operation(current_user, change)
    except changes.ChangeError as exc:
        flash(str(exc.message), "error")
    else:
        flash({"confirm": _("The change was confirmed and has taken effect."),
               "decline": _("The change was declined; nothing changed."),
               "cancel": _("Your request was taken back.")}[decision], "info")
    return redirect(url_for("account_changes.account_changes"))
