"""When a session ends under someone: say so, and keep what they were typing.

Runs first of all request hooks, before the CSRF check: a form posted after the
idle limit carries a token of a session that no longer exists, and would
otherwise be answered "the form expired" with the text lost. Instead:

* a page request after the end is audited ("auth.session_expired") and sent to
  the login page with "your session ended";
* a form posted after the end, by a browser whose cookie still names the
  session's owner, has its text sealed for that owner (:mod:`.kept`) and is
  sent to the login page, which says the text is kept; after the owner logs in
  again they land on the form's page with the text put back;
* a form posted with a session the server no longer knows at all (or whose
  owner it cannot tell) gets "your session ended" too, never "form expired".
"""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.core.safety import safe_next

from . import kept, service, sessions

STATUS_PATH = "/session/status"
# Endpoints whose posts are never kept: the login steps and logging out.
NOT_KEPT = frozenset({"accounts.login", "accounts.second_factor", "accounts.enrol",
                      "accounts.logout", "accounts.extend_session", "home.set_language"})


def init_app(app) -> None:
    app.session_interface.passive_paths = frozenset({STATUS_PATH})
    # Ahead of Flask-WTF's CSRF check, right after the hook that opens the
    # request's key scope (sealing the kept text needs it).
    hooks = app.before_request_funcs.setdefault(None, [])
    names = [getattr(f, "__name__", "") for f in hooks]
    after = names.index("_open_key_scope") + 1 if "_open_key_scope" in names else 0
    hooks.insert(after, session_end)
    app.context_processor(lambda: {"session_watch": session_watch, "kept_form": kept_form})


def _this_page() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def session_watch() -> dict | None:
    """What the page's script needs to warn before the idle limit (logged-in pages)."""
    if not current_user.is_authenticated:
        return None
    return {"idle": current_app.config["SESSION_IDLE_MINUTES"] * 60,
            "warn": sessions.warn_seconds(),
            "status": url_for("accounts.session_status"),
            "extend": url_for("accounts.extend_session")}


def kept_form() -> dict | None:
    """On the page whose form was kept: the text, handed over once (and deleted).
    On another page: only where to find it (``{"elsewhere": page}``)."""
    if not current_user.is_authenticated or request.method != "GET":
        return None
    restored, waiting = kept.take_or_locate(current_user, _this_page())
    if restored is not None:
        return restored
    return {"elsewhere": waiting} if waiting else None


def _form_page() -> str:
    """The page the posted form was on (the Referer, same site only), else the post's path."""
    referer = urlsplit(request.referrer or "")
    if referer.netloc == request.host and referer.path:
        page = referer.path + (f"?{referer.query}" if referer.query else "")
        return safe_next(page) or request.path
    return request.path


def session_end():
    ended_user = getattr(session, "ended_user_id", None)
    if request.endpoint == "static":
        return None
    g.setdefault("request_id", uuid.uuid4().hex)  # for the audit entries written here
    if getattr(session, "passive", False):
        if ended_user or session.new:
            return jsonify(remaining=0, ended=True)
        return None
    is_api = request.path.startswith("/api/")
    if ended_user:
        service.session_ended(ended_user, session.ended_reason)
        session.ended_user_id = None
        if request.method == "POST" and not is_api and request.endpoint not in NOT_KEPT:
            fields = kept.keepable_fields(request.form)
            page = _form_page()
            if kept.keep(ended_user, page, request.path, fields):
                flash(_("Your session has ended. Log in again to continue; what you had just "
                        "typed is kept for %(minutes)d minutes.",
                        minutes=current_app.config["KEPT_FORM_MINUTES"]), "info")
                return redirect(url_for("accounts.login", next=page), 303)
        if is_api:
            return None  # answered 401 by the login check
        flash(_("Your session has ended. Please log in again."), "info")
        if request.method == "POST":
            return redirect(url_for("accounts.login", next=_form_page()), 303)
        return None
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    if request.method == "POST" and not is_api and cookie and session.new:
        # A session the server no longer holds (ended long ago, or logged out
        # elsewhere): its form's token cannot be checked; say what happened.
        flash(_("Your session has ended. Please log in again."), "info")
        return redirect(url_for("accounts.login", next=_form_page()), 303)
    return None
