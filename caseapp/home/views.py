"""The home page and the language switch (the public help page: caseapp.public_help)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from caseapp.accounts import service as accounts
from caseapp.cases import queries as case_queries
from caseapp.core.forms import LanguageForm
from caseapp.core.safety import safe_next

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@login_required
def home():
    # What needs the person, counted cheaply: their own cases (index ranges on
    # their id); a supervisor's queue counts on its own page.
    open_cases = (case_queries.count_my_cases(current_user)
                  if current_user.role in ("counselor", "officer") else None)
    return render_template("home/home.html", open_cases=open_cases)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            accounts.set_locale(current_user, form.locale.data)
    return redirect(_page_to_show(safe_next(request.form.get("next"))) or url_for("home.home"))


def _page_to_show(target: str | None) -> str | None:
    """``target`` if it is a page (answers GET), else the nearest page above it.
    A refused form is shown at the address it was posted to, which only takes
    POST (``/cases/<ref>/takedown/requests``): switching the language there
    lands on the case page, not on a 405."""
    if target is None:
        return None
    adapter = current_app.url_map.bind("localhost")
    path, query = urlsplit(target).path, urlsplit(target).query
    while path:
        try:
            adapter.match(path, method="GET")
        except HTTPException:  # 404, 405, or a redirect (RequestRedirect)
            path, query = path.rpartition("/")[0], ""
            continue
        return f"{path}?{query}" if query else path
    return None
