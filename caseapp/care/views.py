"""Break-glass request and early end, and the notifications page.

Each view loads what it needs (the case through the scoped query: 404,
audited, outside the user's scope), calls one service function and turns its
CaseError into a message. The request commits once.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from caseapp.cases import queries
from caseapp.cases.errors import CaseError
from caseapp.cases.views import put_error, render_case
from caseapp.core.errors import render_error
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules

from . import service
from .forms import BreakGlassForm, EndBreakGlassForm, MarkReadForm
from .models import BreakGlassAccess

bp = Blueprint("care", __name__)


@bp.before_request
@login_required
def require_login():
    """Every screen here needs a logged-in user."""


@bp.post("/break-glass/<reference>")
def break_glass(reference: str):
    case = queries.load_case(current_user, reference, action="web:break_glass")
    form = BreakGlassForm(prefix="break_glass")
    if form.validate_on_submit():
        try:
            access = service.break_glass(current_user, case, form.reason.data or "")
        except CaseError as exc:
            put_error(form, exc)
        except PermissionDenied as exc:
            return render_error(403, message=exc.message)
        else:
            flash(_("Emergency access granted until %(until)s. Every view is recorded.",
                    until=format_datetime(access.ends_at(), "HH:mm")), "info")
            return redirect(url_for("cases.case_page", reference=case.reference))
    if not form.errors and not form.form_errors:
        form.form_errors.append(_("Nothing was saved. Check the form and try again."))
    return render_case(case, status=422, break_glass_form=form)


@bp.post("/break-glass/<access_id>/end")
def end_break_glass(access_id: str):
    form = EndBreakGlassForm()
    if not form.validate_on_submit():
        abort(400)
    access = db.session.get(BreakGlassAccess, access_id) if len(access_id) <= 36 else None
    if access is None or access.user_id != current_user.id:
        # Someone else's access (or none): a probe, audited without the raw id.
        rules.record_denial(current_user, access.case if access is not None else None,
                            action="end_break_glass")
        abort(404)
    try:
        service.end_break_glass(current_user, access_id)
    except CaseError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Your emergency access has ended."), "info")
    return redirect(url_for("cases.case_page", reference=access.case.reference))


@bp.get("/notifications")
def notifications():
    items = service.notifications_for(current_user)
    return render_template("care/notifications.html", items=items, form=MarkReadForm())


@bp.post("/notifications/read")
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    raw = (form.notification.data or "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):  # an int column
        abort(404)
    service.mark_read(current_user, int(raw) if raw else None)
    return redirect(url_for("care.notifications"))


@bp.app_context_processor
def notification_count():
    """``unread_notifications()`` for the nav: one count query, only when a page asks."""
    def unread() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        try:
            return service.unread_count(current_user)
        except SQLAlchemyError:  # an error page after a failed transaction still renders
            return 0
    return {"unread_notifications": unread}
