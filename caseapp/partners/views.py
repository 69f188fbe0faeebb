"""The admin screen of partner tokens: list, issue (the secret shown once, on
the answer to the issuing form, never again), revoke."""
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
from flask_login import current_user, login_required

from caseapp import clock, paging
from caseapp.permissions import partners as rules
from caseapp.units.forms import offer_units

from . import service
from .forms import SCOPE_LABELS, RevokeForm, TokenForm

# The list's paging parameters, kept when a token is revoked from a later page.
PAGE_ARGS = ("after", "before", "start")

bp = Blueprint("partners", __name__, url_prefix="/admin/tokens", template_folder="templates")


@bp.before_request
@login_required
def require_admin():
    if not rules.can_manage_tokens(current_user):
        abort(403)


def _form(*, fresh: bool = False) -> TokenForm:
    """The issuing form; ``fresh``: empty, not the post just answered (a second
    tap or a reload would issue the same token again)."""
    form = TokenForm(formdata=None) if fresh else TokenForm()
    offer_units(form.unit)
    return form


def _page(form: TokenForm, secret: str | None = None, issued=None, status: int = 200):
    paged = request.method == "GET"  # the answer to a form shows the newest first
    window = service.tokens_window(after=request.args.get("after") if paged else None,
                                   before=request.args.get("before") if paged else None)
    total = service.count_tokens()
    response = make_response(render_template(
        "partners/tokens.html", tokens=window.rows, window=window, size=service.PAGE_SIZE,
        position=paging.position(request.args.get("start") if paged else None, window,
                                 len(window.rows), total),
        # The list sits below the issuing form: a page opens at the list.
        page_url=lambda **params: url_for("partners.tokens", _anchor="tokens", **params),
        # Revoking comes back to the page it was done on.
        page_args={k: request.args[k] for k in PAGE_ARGS if paged and request.args.get(k)},
        form=form, revoke=RevokeForm(),
        secret=secret, issued=issued, scope_labels=SCOPE_LABELS,
        max_days=service.max_days(), now=clock.now()), status)
    # The secret is on this page once: no cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def tokens():
    return _page(_form())


@bp.post("")
def issue():
    form = _form()
    if form.validate_on_submit():
        data = service.NewToken(form.partner_name.data or "", form.unit.data or "",
                                tuple(form.scopes.data or ()), form.days.data)
        try:
            token, secret = service.issue_token(current_user, data)
        except service.TokenError as exc:
            field = getattr(form, exc.field or "", None)
            if field is not None:
                field.errors = [*field.errors, str(exc.message)]
            else:
                flash(str(exc.message), "error")
        else:
            return _page(_form(fresh=True), secret=secret, issued=token)
    return _page(form)


@bp.post("/<token_id>/revoke")
def revoke(token_id: str):
    token = service.find_token(token_id)
    if token is None:
        abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    if service.revoke_token(current_user, token):
        flash(_("The token is revoked: calls with it are refused from now on."), "info")
    kept = {k: request.args[k][:paging.MAX_TOKEN] for k in PAGE_ARGS if request.args.get(k)}
    return redirect(url_for("partners.tokens", **kept))
