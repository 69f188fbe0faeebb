"""The audit log pages: /audit (filtered, paged) and /audit/export.csv."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp import clock
from caseapp.core.forms import choice_list

from . import checkpoints, hooks, service, wording
from .forms import OUTCOME_LABELS, AuditFilterForm

bp = Blueprint("auditlog", __name__, url_prefix="/audit", template_folder="templates")
bp.after_app_request(hooks.record_forbidden)
bp.teardown_app_request(hooks.on_teardown)

FILTER_ARGS = ("user", "reference", "action", "outcome", "date_from", "date_to")
CSV_COLUMNS = ("seq", "occurred_at_utc", "occurred_at_local", "actor_type", "actor_id",
               "actor_username", "actor_role", "client_addr", "action", "object_type",
               "object_id", "outcome", "unit_path", "unit", "request_id", "details", "mac")


@bp.before_request
@login_required
def require_reader():
    if not service.can_read_audit_log(current_user):
        abort(403)


def _form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = choice_list([("", _("Any action"))] + wording.action_choices())
    return form


def _filters(form: AuditFilterForm) -> service.AuditFilter:
    return service.AuditFilter(
        username=(form.user.data or "").strip() or None,
        reference=(form.reference.data or "").strip() or None,
        action=(form.action.data or "").strip() or None,
        outcome=form.outcome.data or None,
        date_from=form.date_from.data, date_to=form.date_to.data)


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        abort(400)
    return int(value)


def _filter_args() -> dict[str, str]:
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


@bp.get("/")
def index():
    form = _form()
    page = None
    if form.validate():
        page = service.read_page(current_user, _filters(form), before=_cursor("before"),
                                 after=_cursor("after"))
    args = _filter_args()
    # The newest signed checkpoint: a number that goes back shows a log that was cut.
    checkpoint_seq, checkpoint_at = checkpoints.last_checkpoint(checkpoints.checkpoint_path())
    described = []
    if page is not None:
        names = wording.user_names(page.entries)
        described = [(entry, wording.describe(entry, names)) for entry in page.entries]
    return render_template("auditlog/index.html", form=form, page=page, described=described,
                           checkpoint_seq=checkpoint_seq, checkpoint_at=checkpoint_at,
                           outcomes=OUTCOME_LABELS, filtered=bool(args),
                           page_url=lambda **cursor: url_for("auditlog.index", **args, **cursor),
                           export_url=url_for("auditlog.export_csv", **args))


def _safe_cell(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv_lines(entries: Iterable[service.Entry], zone) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer.writerow(CSV_COLUMNS)
    for count, entry in enumerate(entries, 1):
        writer.writerow([_safe_cell(v) for v in (
            entry.seq, entry.occurred_at.isoformat(),
            entry.occurred_at.astimezone(zone).isoformat(), entry.actor_type, entry.actor_id,
            entry.actor_name, entry.actor_role, entry.client_addr, entry.action,
            entry.object_type, entry.object_id, entry.outcome, entry.unit_path,
            entry.unit_name, entry.request_id, entry.details_shown, entry.mac)])
        if count % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/export.csv")
def export_csv():
    form = _form()
    if not form.validate():
        abort(400)
    zone = clock.local_timezone()
    entries = service.export(current_user, _filters(form))
    stamp = clock.now().astimezone(zone).strftime("%Y%m%d-%H%M%S")
    return Response(_csv_lines(entries, zone),
                    mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
