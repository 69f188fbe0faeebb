"""``/supervision``: what a supervisor must act on, each list's first page;
``/supervision/<list>``: one list, a page at a time.

The assign form of a waiting case offers the officers nearest to it (its unit
and those above it, up to the supervisor's) and links to the case's own assign
page for anyone else; it posts to the case's own action route
(``cases.case_action``), which checks and calls the one service function and
comes back here.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseapp import paging
from caseapp.break_glass.service import OVERSIGHT_DAYS
from caseapp.cases import hooks, workflow
from caseapp.cases.models import Case
from caseapp.cases.screens import NEAREST_SHOWN, label
from caseapp.core import charts
from caseapp.core.errors import render_error
from caseapp.data_rights.forms import DATA_REQUEST_KIND_LABELS
from caseapp.permissions import cases as rules
from caseapp.takedown import figures as takedown_figures
from caseapp.takedown.forms import PLATFORM_LABELS
from caseapp.transfers.forms import REASON_LABELS as TRANSFER_REASON_LABELS

from . import service

bp = Blueprint("supervision", __name__, template_folder="templates")

# Each list's heading, in the page's order (the table of contents uses them too).
TITLES = {
    "unassigned": _l("Waiting for an assignment"),
    "overdue": _l("Overdue"),
    "closures": _l("Closure requests"),
    "plans": _l("Support plans to approve"),
    "plan-missing": _l("In support without an approved plan"),
    "decisions": _l("Approved plans without the commune's decision"),
    "data-requests": _l("Requests about children's data"),
    "break-glass-uses": _l("Emergency accesses (break-glass)"),
    "transfers-in": _l("Transfers waiting for your decision"),
    "transfers-out": _l("Cases being transferred to another unit"),
}


@bp.before_request
@login_required
def require_login():
    """Supervisors only (checked in the view, with a clear message)."""


def _badges(found) -> dict:
    """The features' badges (a request from the public form...) on the cases listed."""
    ids = [row.id for page in found.lists.values() for row in page.rows
           if isinstance(row, Case)]
    return hooks.badges(list(dict.fromkeys(ids)), found.now)


def _render(found, only: str | None = None):
    page = found.lists[only] if only else None
    return render_template(
        "supervision/queue.html", lists=found.lists, only=only, titles=TITLES,
        # an assignment made on this page comes back to it (the list, the page)
        back_here=request.full_path.rstrip("?"),
        # a case opened from here offers the way back (checked: caseapp.paging.back_link)
        back=paging.back_link(request.full_path.rstrip("?")),
        size=service.SHOWN,
        position=paging.position(request.args.get("start"), page.window, len(page.rows),
                                 page.exact_total) if page else None,
        cap=service.COUNT_CAP,
        page_url=lambda **params: url_for("supervision.one_list", name=only, **params),
        request_labels=DATA_REQUEST_KIND_LABELS,
        assign_forms=found.assign_forms, names=found.names, disabled=found.disabled,
        now=found.now, label=label, stage_labels=workflow.STAGE_LABELS,
        glass_reasons=found.glass_reasons,
        glass_older=found.glass_older, oversight_days=OVERSIGHT_DAYS,
        glass_names=found.glass_names,
        transfer_reasons=TRANSFER_REASON_LABELS, badges=_badges(found),
        nearest_shown=NEAREST_SHOWN)


@bp.get("/supervision")
def queue():
    if not rules.can_open_supervision(current_user):
        return render_error(403, message=_l("The supervision queue is for supervisors."))
    return _render(service.queue(current_user))


@bp.get("/supervision/<name>")
def one_list(name: str):
    if not rules.can_open_supervision(current_user):
        return render_error(403, message=_l("The supervision queue is for supervisors."))
    if name not in service.LISTS:
        abort(404)
    return _render(service.queue(current_user, only=name, after=request.args.get("after"),
                                 before=request.args.get("before")), only=name)


@bp.get("/supervision/takedown")
def takedown():
    """Which platforms take harmful content down, for the supervisor's units:
    the share of items removed and the median days to removal, as a chart
    with its table (platforms and numbers only: no case, no child data)."""
    if not rules.can_open_supervision(current_user):
        return render_error(403, message=_l("The supervision queue is for supervisors."))
    rows, total = takedown_figures.by_platform(current_user)
    chart = charts.bars(
        str(_l("Share of items removed, by platform")),
        [str(PLATFORM_LABELS[r.platform]) for r in rows],
        {str(_l("Removed")): [None if r.share is None else 100 * r.share for r in rows]},
        percent=True) if rows else None
    return render_template("supervision/takedown.html", rows=rows, total=total, chart=chart,
                           platform_labels=PLATFORM_LABELS, unit=current_user.unit)


# The lists a case page may lead back to (caseapp.paging.back_link).
paging.register_list_page("/supervision", *(f"/supervision/{name}" for name in service.LISTS))
