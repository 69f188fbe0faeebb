"""The notifications page and its unread count."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from . import digest, service
from .forms import DigestForm, MarkReadForm
from .labels import KIND_LABELS, URGENT

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every screen here needs a logged-in user."""


def _page(digest_form=None, status: int = 200):
    items = service.notifications_for(current_user)
    if digest_form is None:
        settings = digest.settings_of(current_user)
        digest_form = DigestForm(formdata=None, email=settings.email or "",
                                 digest=settings.digest)
    return render_template("notifications/notifications.html", items=items, form=MarkReadForm(),
                           digest_form=digest_form, labels=KIND_LABELS,
                           urgent=URGENT), status


@bp.get("/notifications")
def notifications():
    return _page()


@bp.post("/notifications/digest")
def save_digest():
    form = DigestForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        digest.save_settings(current_user, form.email.data, form.digest.data)
    except ValueError as error:
        form.email.errors = [str(error)]
        return _page(form, 422)
    flash(_("Your digest setting was saved."), "info")
    return redirect(url_for("notifications.notifications"))


@bp.post("/notifications/read")
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    raw = (form.notification.data or "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):  # an int column
        abort(404)
    service.mark_read(current_user, int(raw) if raw else None)
    return redirect(url_for("notifications.notifications"))


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
