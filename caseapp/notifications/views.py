"""The notifications page and its unread count."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from caseapp import paging
from caseapp.cases.screens import DEADLINE_LABELS

from . import digest, service
from .forms import DigestForm, MarkReadForm
from .labels import KIND_LABELS, URGENT

bp = Blueprint("notifications", __name__, template_folder="templates")

# The list a case page may lead back to (caseapp.paging.back_link: paths as
# the app sees them, without the script root).
LIST_PATH = "/notifications"
paging.register_list_page(LIST_PATH)


@bp.before_request
@login_required
def require_login():
    """Every screen here needs a logged-in user."""


def _page(digest_form=None, status: int = 200):
    window = service.notifications_window(current_user, after=request.args.get("after"),
                                          before=request.args.get("before"))
    total = service.count_for(current_user)
    if digest_form is None:
        settings = digest.settings_of(current_user)
        digest_form = DigestForm(formdata=None, email=settings.email or "",
                                 digest=settings.digest)
    return render_template("notifications/notifications.html", items=window.rows,
                           form=MarkReadForm(), window=window, size=service.PAGE_SIZE,
                           position=paging.position(request.args.get("start"), window,
                                                    len(window.rows), total),
                           page_url=lambda **params: url_for("notifications.notifications",
                                                             **params),
                           # a case opened from here offers the way back to this page
                           back=paging.back_link(request.full_path.rstrip("?"))
                           if request.method == "GET" else None,
                           total=total,
                           unread=service.unread_count(current_user),
                           digest_form=digest_form, labels=KIND_LABELS, urgent=URGENT,
                           step_labels=DEADLINE_LABELS,
                           mail_ready=bool(current_app.config.get("SMTP_HOST"))), status


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
    if current_app.config.get("SMTP_HOST"):
        flash(_("Your digest setting was saved."), "info")
    else:
        flash(_("Your digest setting was saved. This server does not send e-mail yet: the "
                "digest starts once an administrator sets it up."), "info")
    return redirect(url_for("notifications.notifications"))


@bp.get("/notifications/<int:notification_id>/open")
def open_notification(notification_id: int):
    """Follow a notice to what it is about, marking it read (only the reader's own)."""
    found = service.open_own(current_user, notification_id)
    if found is None:
        abort(404)
    if found.kind.startswith("account_change"):
        return redirect(url_for("account_changes.account_changes"))
    if found.kind in service.DESTINATIONS:
        return redirect(service.DESTINATIONS[found.kind](found))
    if found.case_reference:
        # The case offers the way back to the notifications (the page it was
        # opened from when its link says so, checked: caseapp.paging.back_link).
        back = paging.back_link(request.args.get("back"))
        if back is None or back.split("?", 1)[0] != LIST_PATH:
            back = LIST_PATH
        return redirect(url_for("cases.case_page", reference=found.case_reference, back=back))
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
