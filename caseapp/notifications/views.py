"""The notifications page and its unread count."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from . import service
from .forms import MarkReadForm

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every screen here needs a logged-in user."""


@bp.get("/notifications")
def notifications():
    items = service.notifications_for(current_user)
    return render_template("notifications/notifications.html", items=items, form=MarkReadForm())


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
