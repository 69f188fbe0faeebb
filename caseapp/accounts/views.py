"""Login (password, then second factor), logout and the user's own account."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from caseapp import clock
from caseapp.core.errors import render_error
from caseapp.core.safety import safe_next
from caseapp.extensions import db, limiter

from . import kept, service, sessions, totp
from .forms import (
    CodeForm,
    ConfirmForm,
    EnrolForm,
    LoginForm,
    PasswordChangeForm,
    RecoveryCodesForm,
)
from .models import User

bp = Blueprint("accounts", __name__, template_folder="templates")

PENDING = "pending_login"
# What someone who must choose a new password may still open.
OPEN_BEFORE_NEW_PASSWORD = frozenset({"accounts.account", "accounts.logout", "static",
                                      "home.set_language", "public_help.form",
                                      "accounts.session_status", "accounts.extend_session"})


@bp.before_app_request
def require_new_password():
    """A password someone else chose (an admin's, a confirmed reset) is replaced
    before anything else is done with the account."""
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    if request.endpoint in OPEN_BEFORE_NEW_PASSWORD:
        return None
    if request.path.startswith("/api/"):
        return render_error(403, message=_("Choose a new password on your account page first."))
    flash(_("Someone else chose your password: choose your own before you go on."), "info")
    return redirect(url_for("accounts.account"))


def _login_rate():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _pending_user() -> tuple[User, dict] | None:
    """The user between the password step and the second-factor step."""
    pending = session.get(PENDING)
    if not pending:
        return None
    started = datetime.fromisoformat(pending["at"])
    limit = timedelta(minutes=current_app.config["LOGIN_SECOND_STEP_MINUTES"])
    if clock.now() - started > limit:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending["user_id"])
    # A password reset (or any credential change) after the password step
    # voids the half-done login.
    if user is None or not user.is_enabled or user.password_changed_at > started:
        session.pop(PENDING, None)
        return None
    return user, pending


def _finish_login(user: User, username_typed: str, next_url: str | None):
    service.login_succeeded(user, username_typed)
    kept.purge_expired()
    # Back to the form whose text was kept when the session ended under it.
    next_url = kept.waiting_page(user) or next_url
    locale = session.get("locale")
    session.clear()
    session.rotate()
    if locale:
        session["locale"] = locale
    login_user(user, remember=False)
    # The new session's CSRF token is made now: pages opened at once in several
    # tabs would each make one, the last saved would win and the other forms
    # answer "expired" (found by the load run). The login form's own token, in
    # ``g``, belonged to the session just cleared.
    g.pop("csrf_token", None)
    generate_csrf()
    return redirect(safe_next(next_url) or url_for("home.home"))


def _refusal_message(exc: service.LoginRefused) -> str:
    if exc.reason == "throttled" and exc.until is not None:
        return _("Too many failed attempts. Try again after %(time)s.",
                 time=format_datetime(exc.until, "HH:mm:ss"))
    if exc.reason == "awaiting":
        return _("Your account is waiting for a second person (a supervisor of your unit, or "
                 "another administrator) to confirm it. Ask them to confirm it under "
                 "“Account changes”, then log in again.")
    if exc.reason == "locked":
        return _("Too many failed attempts: logging in with this username is locked. "
                 "Ask your administrator to unlock it.")
    return _("Wrong username or password.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = service.LoginAttempt(form.username.data, form.password.data,
                                       request.remote_addr or "")
        try:
            user = service.authenticate(attempt)
        except service.LoginRefused as exc:
            flash(_refusal_message(exc), "error")
            status = 429 if exc.reason == "throttled" else 401
        else:
            next_url = request.args.get("next")
            if not service.requires_totp(user, current_app.config):
                return _finish_login(user, form.username.data, next_url)
            session.pop(PENDING, None)
            session.rotate()
            session[PENDING] = {"user_id": user.id, "username": form.username.data,
                                "at": clock.now().isoformat(), "next": safe_next(next_url)}
            if user.totp_enrolled:
                return redirect(url_for("accounts.second_factor"))
            service.begin_totp_enrolment(user)
            return redirect(url_for("accounts.enrol"))
    return render_template("accounts/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def second_factor():
    found = _pending_user()
    if found is None or not found[0].totp_enrolled:
        return redirect(url_for("accounts.login"))
    user, pending = found
    form = CodeForm()
    if form.validate_on_submit():
        if service.verify_second_factor(user, form.code.data, pending["username"]):
            return _finish_login(user, pending["username"], pending.get("next"))
        flash(_("That code is not right."), "error")
    return render_template("accounts/second_factor.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    """First login of a role that needs TOTP: set it up before going further."""
    found = _pending_user()
    if found is None or found[0].totp_enrolled:
        return redirect(url_for("accounts.login"))
    user, pending = found
    secret = service.enrolment_secret(user)
    if secret is None:
        return redirect(url_for("accounts.login"))
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = service.confirm_totp_enrolment(user, form.code.data)
        except service.AccountError as exc:
            form.code.errors.append(str(exc.message))
        else:
            _finish_login(user, pending["username"], None)
            # Shown in this response only: never parked in the session table.
            return render_template("accounts/recovery_codes.html", codes=codes)
    return render_template("accounts/enrol.html", form=form, secret=secret,
                           qr_url=url_for("accounts.enrol_qr"))


@bp.get("/login/enrol/qr.svg")
def enrol_qr():
    found = _pending_user()
    if found is None or found[0].totp_enrolled:
        return redirect(url_for("accounts.login"))
    user = found[0]
    secret = service.enrolment_secret(user)
    if secret is None:
        return redirect(url_for("accounts.login"))
    uri = totp.provisioning_uri(secret, user.username, current_app.config["TOTP_ISSUER"])
    return totp.qr_svg(uri), 200, {"Content-Type": "image/svg+xml"}


@bp.post("/account/recovery-codes")
@login_required
def regenerate_recovery_codes():
    form = RecoveryCodesForm()
    if form.validate_on_submit() and current_user.totp_enrolled:
        try:
            codes = service.regenerate_recovery_codes(current_user, form.current_password.data)
        except service.AccountError as exc:
            flash(str(exc.message), "error")
        else:
            return render_template("accounts/recovery_codes.html", codes=codes)
    return redirect(url_for("accounts.account"))


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        service.logout(current_user)
        logout_user()
        locale = session.get("locale")
        session.clear()
        session.rotate()
        if locale:
            session["locale"] = locale
        flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data,
                                    form.new_password.data, keep_session_digest=None)
        except service.AccountError as exc:
            getattr(form, exc.field or "new_password").errors.append(str(exc.message))
        else:
            # Every other session is gone; this one continues under a new id.
            session.rotate()
            flash(_("Your password has been changed. Other sessions were logged out."), "info")
            return redirect(url_for("accounts.account"))
    remaining = service.remaining_recovery_codes(current_user)
    codes_form = RecoveryCodesForm(formdata=None)
    # Two forms with a password field on one page: ids of their own (a label
    # found the first form's field).
    for bound in codes_form:
        bound.id = bound.label.field_id = f"codes-{bound.id}"
    return render_template("accounts/account.html", form=form, codes_form=codes_form,
                           remaining_codes=remaining)


def _remaining(touched: bool = False) -> dict:
    left = current_app.session_interface.remaining(current_app, session, touched=touched)
    seconds = round(left.total_seconds())
    return {"remaining": seconds, "warn": sessions.warn_seconds(),
            "ended": seconds <= 0}


@bp.get("/session/status")
def session_status():
    """How long the session has left. Passive: asking does not extend it
    (see :mod:`.idle`), so a page left open still times out."""
    if not current_user.is_authenticated:
        return jsonify(remaining=0, ended=True)
    return jsonify(_remaining())


@bp.post("/session/extend")
@login_required
def extend_session():
    """"Stay signed in": any request extends the session; this one does nothing else.
    A POST with the CSRF token, so another site cannot keep someone's session alive."""
    return jsonify(_remaining(touched=True))
