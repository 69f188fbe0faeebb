"""The home page and the language switch (the public help page: caseapp.public_help)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

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
    return redirect(safe_next(request.form.get("next")) or url_for("home.home"))
