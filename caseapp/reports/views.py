"""/figures: the 100% view for supervisors (their units) and officers (their own
caseload), and the report's download."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from caseapp.cases import workflow
from caseapp.cases.forms import LEVEL_LABELS
from caseapp.cases.screens import label
from caseapp.core.errors import render_error
from caseapp.core.forms import choice_list
from caseapp.permissions import cases as rules
from caseapp.permissions import unit_in_scope, unit_scope
from caseapp.units.forms import UNIT_CHOICES_MAX
from caseapp.units.labels import SCHOOL_LABELS
from caseapp.units.models import Unit

from . import dashboard, export, service
from .forms import ChoiceForm, DownloadForm
from .period import PeriodError, parse, presets

bp = Blueprint("reports", __name__, template_folder="templates")

MEDIA = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.before_request
@login_required
def require_login():
    """Supervisors and officers only (checked in the views, with a message)."""


def _choose(args) -> tuple[ChoiceForm, Unit | None, str | None]:
    """The period and unit asked for; an error message when they cannot be used."""
    form = ChoiceForm(args)
    supervisor = current_user.role == "supervisor" and unit_scope(current_user) is not None
    unit = None
    if supervisor:
        # A select of the supervisor's units while they are few; past that the
        # unit's code typed (a province's supervisor has thousands below).
        units = dashboard.units_for(current_user, most=UNIT_CHOICES_MAX)
        form.unit.by_code = units is None
        form.unit.choices = choice_list(
            (u.code, f"{'· ' * (u.depth - units[0].depth)}{u.name}") for u in units or [])
        unit = unit_in_scope(current_user, form.unit.data)
        if unit is None:
            return form, None, str(_l("Choose one of your units."))
        form.unit.data = unit.code
    try:
        period = parse(form.period.data)
    except PeriodError as error:
        return form, unit, str(error.message)
    form.period.data = period.code
    return form, unit, None


@bp.get("/figures")
def figures_page():
    if not rules.can_open_figures(current_user):
        return render_error(403, message=_l("The figures are for supervisors and officers."))
    form, unit, problem = _choose(request.args)
    if problem:
        form.period.errors = [problem]
        return render_template("reports/figures.html", form=form, board=None,
                               download=None, presets=presets()), 422
    board = dashboard.build(current_user, unit, parse(form.period.data))
    download = DownloadForm(formdata=None, period=form.period.data,
                            unit=unit.code if unit else "")
    return render_template("reports/figures.html", form=form, board=board, download=download,
                           groups=dashboard.GROUP_LABELS, steps=dashboard.STEP_LABELS,
                           stage_labels=workflow.STAGE_LABELS, level_labels=LEVEL_LABELS,
                           label=label, unit_names=dashboard.unit_names(),
                           school_labels=SCHOOL_LABELS, presets=presets())


@bp.post("/figures/report")
def download_report():
    if not rules.can_open_supervision(current_user):
        return render_error(403, message=_l("Reports are for supervisors."))
    form = DownloadForm()
    if not form.validate_on_submit() or form.format.data not in export.FORMATS:
        abort(400)
    choice, unit, problem = _choose(MultiDict({"period": form.period.data or "",
                                               "unit": form.unit.data or ""}))
    if problem or unit is None:
        return render_error(422, message=problem or _l("Choose one of your units."))
    try:
        made = service.make(current_user, unit, parse(choice.period.data), fmt=form.format.data)
    except PeriodError as error:
        return render_error(422, message=error.message)
    name = f"bao-cao-{unit.code}-{made.period.code.replace('..', '_')}.{form.format.data}"
    return Response(export.render(made, form.format.data), mimetype=MEDIA[form.format.data],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
