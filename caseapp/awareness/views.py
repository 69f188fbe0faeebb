"""/awareness: the sessions of the user's units for a school year, a form to
record one, and each session's edit and delete."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp import paging
from caseapp.core.errors import render_error
from caseapp.core.forms import choice_list
from caseapp.extensions import db
from caseapp.permissions import can_record_awareness, unit_in_scope, unit_scope
from caseapp.units.labels import SCHOOL_LABELS

from . import service
from .forms import AUDIENCE_LABELS, DeleteForm, SessionForm
from .models import AwarenessSession
from .year import school_year_of, school_years

bp = Blueprint("awareness", __name__, template_folder="templates")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@bp.before_request
@login_required
def require_login():
    """Staff with a unit; what they see is decided per unit. Not admins."""
    if current_user.role == "admin" or current_user.unit is None:
        return render_error(403, message=_l("Awareness sessions are recorded by a unit's "
                                            "staff."))
    if unit_scope(current_user) is None:  # the unit's row failed its check (reported)
        return render_error(403)
    return None


def _unit_choices(form: SessionForm) -> SessionForm:
    """The units the user may record for, as a tree, schools marked; no unit
    chosen in advance when there are several (a session under the wrong one
    would count for no school). Past ``service.UNIT_CHOICES_MAX`` of them the
    form takes a unit's code instead (``form.unit.by_code``)."""
    units = service.recordable_units(current_user)
    form.unit.by_code = units is None
    units = units or []
    top = min((u.depth for u in units), default=0)
    pairs = [(u.code, f"{'· ' * (u.depth - top)}{u.name}"
                      + (f" ({SCHOOL_LABELS[u.school_type]})" if u.school_type else ""))
             for u in units]
    if len(pairs) > 1:
        pairs.insert(0, ("", _("Choose the unit that held it")))
    form.unit.choices = choice_list(pairs)
    return form


def _chosen_year():
    """The school year asked for (``year``), else the current one."""
    years = school_years()
    chosen = request.args.get("year") or years[0].code
    return next((y for y in years if y.code == chosen), years[0]), years


def _page(form: SessionForm | None = None, status: int = 200):
    year, years = _chosen_year()
    root = unit_scope(current_user)
    window = service.sessions_window(root, year.first, year.last,
                                     after=request.args.get("after"),
                                     before=request.args.get("before"))
    # Asked now, while the page's units carry the anchors read with them (the
    # request's own audit entry expires the rows: asked in the template, each
    # unit's anchor was read again, one statement per row).
    editable = {s.id for s in window.rows if can_record_awareness(current_user, s.unit)}
    total = service.count_sessions(root, year.first, year.last)
    return render_template(
        "awareness/sessions.html", form=_unit_choices(form or SessionForm(formdata=None)),
        year=year, years=years, sessions=window.rows, window=window, total=total,
        size=service.SESSIONS_PAGE_SIZE,
        position=paging.position(request.args.get("start"), window, len(window.rows), total),
        page_url=lambda **params: url_for("awareness.sessions", year=year.code, **params),
        coverage=service.coverage(root, year.first, year.last), unit_code=None,
        audience_labels=AUDIENCE_LABELS, school_labels=SCHOOL_LABELS,
        may_edit=lambda s: s.id in editable), status


@bp.get("/awareness")
def sessions():
    return _page()


@bp.get("/awareness/schools")
def schools_without():
    """Every school of the user's subtree that held no session in the school
    year, a page at a time (the summaries name only the first few)."""
    year, years = _chosen_year()
    root = _chosen_unit()
    window = service.schools_without_window(root, year.first, year.last,
                                            after=request.args.get("after"),
                                            before=request.args.get("before"))
    total = service.coverage(root, year.first, year.last, named=0).without
    return render_template(
        "awareness/schools_without.html", year=year, years=years, schools=window.rows,
        window=window, total=total, size=service.SCHOOLS_PAGE_SIZE,
        position=paging.position(request.args.get("start"), window, len(window.rows), total),
        page_url=lambda **params: url_for("awareness.schools_without", year=year.code,
                                          unit=request.args.get("unit"), **params),
        school_labels=SCHOOL_LABELS, unit=root)


def _chosen_unit():
    """``unit``: a unit of the user's subtree (the figures link for the unit they
    chose); by default their own. Any other code is the same 404 as an unknown
    one."""
    unit = unit_in_scope(current_user, request.args.get("unit"))
    if unit is None:
        abort(404)
    return unit


def _unit_chosen(form: SessionForm):
    return service.recordable_unit(current_user, form.unit.data or "")


def _unit_refused(form: SessionForm) -> str:
    return _("None of your units has this code.") if form.unit.by_code \
        else _("Choose one of your units.")


def _all_errors(form: SessionForm, error: service.AwarenessError | None = None) -> None:
    """Show every wrong field at once: the form's own (a date it could not read)
    and the service's checks of the rest."""
    if error is None:
        try:
            service.check(form.to_data())
        except service.InvalidSession as found:
            error = found
    if isinstance(error, service.InvalidSession):
        for name, message in error.errors.items():
            field = getattr(form, name)
            if not field.errors:
                field.errors = [str(message)]
    elif error is not None:
        getattr(form, error.field or "topic").errors = [str(error.message)]


def _saved(session: AwarenessSession, message: str):
    year = school_year_of(session.held_on)
    flash(_("%(message)s It is listed under the school year %(year)s.", message=message,
            year=year.code), "info")
    return redirect(url_for("awareness.sessions", year=year.code))


@bp.post("/awareness")
def record():
    form = SessionForm()
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    # The unit decided before the choices are read, its row checked in full
    # (its own anchor entry, MAC included): the choices carry anchors read in
    # bulk, good enough for a list, not for a write (review).
    unit = _unit_chosen(form)
    _unit_choices(form)
    if unit is None:
        form.unit.errors = [_unit_refused(form)]
    if not valid or unit is None:
        _all_errors(form)
        return _page(form, 422)
    try:
        session = service.record_session(current_user, unit, form.to_data())
    except service.AwarenessError as error:
        db.session.rollback()
        _all_errors(form, error)
        return _page(form, 422)
    db.session.commit()
    return _saved(session, _("The session was recorded."))


def _load(session_id: str) -> AwarenessSession:
    found = db.session.get(AwarenessSession, session_id) if UUID.fullmatch(session_id) else None
    if found is None or not can_record_awareness(current_user, found.unit):
        if found is not None:  # another unit's: refused, recorded, as if it did not exist
            service.deny(current_user, found)
            db.session.commit()
        abort(404)
    return found


def _edit_page(session: AwarenessSession, form: SessionForm | None = None, status: int = 200,
               delete_form: DeleteForm | None = None):
    if form is None:
        service.open_notes(current_user, session)
        form = SessionForm(formdata=None, unit=session.unit.code, held_on=session.held_on,
                           audiences=list(session.audiences), attendees=session.attendees,
                           topic=session.topic, notes=session.notes or "",
                           version=session.version)
    return render_template("awareness/session.html", session=session, form=_unit_choices(form),
                           delete_form=delete_form or DeleteForm(),
                           audience_labels=AUDIENCE_LABELS), status


@bp.get("/awareness/<session_id>")
def edit(session_id: str):
    return _edit_page(_load(session_id))


@bp.post("/awareness/<session_id>")
def save(session_id: str):
    session = _load(session_id)
    form = SessionForm()
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    unit = _unit_chosen(form) if form.unit.data else session.unit  # before the choices: as above
    _unit_choices(form)
    if unit is None:
        form.unit.errors = [_unit_refused(form)]
    if not valid or unit is None:
        _all_errors(form)
        return _edit_page(session, form, 422)
    raw = (form.version.data or "").strip()
    # A version that cannot be read is treated as stale: the save is refused.
    version = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else -1
    try:
        service.update_session(current_user, session, form.to_data(), expected_version=version,
                               unit=unit)
    except service.StaleSession as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("awareness.edit", session_id=session.id))
    except service.AwarenessError as error:
        db.session.rollback()
        _all_errors(form, error)
        return _edit_page(session, form, 422)
    db.session.commit()
    return _saved(session, _("The session was saved."))


@bp.post("/awareness/<session_id>/delete")
def delete(session_id: str):
    session = _load(session_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _edit_page(session, status=422, delete_form=form)
    year = school_year_of(session.held_on)
    service.delete_session(current_user, session)
    db.session.commit()
    flash(_("The session was deleted."), "info")
    return redirect(url_for("awareness.sessions", year=year.code))
