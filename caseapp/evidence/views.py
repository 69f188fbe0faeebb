"""Web routes of evidence: upload, download, custody record.

Each view loads the case through the scoped query (404, audited, outside the
user's scope), calls one service function and turns its CaseError into a
message on the case page (422, nothing written). The request commits once.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage

from caseapp.cases import queries
from caseapp.cases.page import submit_panel_form

from . import service
from .forms import CustodyForm
from .panel import PANEL, upload_form

bp = Blueprint("evidence", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_login():
    """Every route here needs a logged-in user."""


def _read(storage) -> tuple[bytes, str, str]:
    """(at most ATTACHMENT_MAX_BYTES + 1 bytes, the given name, the browser's type)."""
    if not isinstance(storage, FileStorage):
        return b"", "", ""
    content = storage.stream.read(service.max_bytes() + 1)
    return content, storage.filename or "", storage.mimetype or ""


@bp.post("/cases/<reference>/evidence")
def upload(reference: str):
    case = queries.load_case(current_user, reference, action="web:evidence_upload",
                             for_work=True)
    form = upload_form(submitted=True)

    def save():
        content, filename, declared = _read(form.file.data)
        service.upload(current_user, case, service.UploadData(
            content=content, filename=filename, declared_type=declared,
            description=form.description.data or "",
            confirmed_no_abuse=form.confirm_no_abuse.data is True))

    # On an abuse-material case the form is not offered: the service's refusal
    # (not a missing field) shows in the notice.
    abuse = service.abuse_material_case(case)
    if abuse:
        for name in list(form.required):
            form.release(name)
    key = "refused_upload" if abuse else "upload_form"
    return submit_panel_form(case, form, PANEL.name, key, save,
                             _("The file was added to the case's evidence, encrypted."),
                             anchor="#evidence",
                             failed_at=(_("Evidence"), "no-abuse-material") if abuse
                             else (_("Add a file"), "evidence-upload"))


@bp.post("/cases/<reference>/evidence/custody")
def custody(reference: str):
    case = queries.load_case(current_user, reference, action="web:evidence_custody",
                             for_work=True)
    form = CustodyForm(prefix="custody")

    def save():
        service.record_custody(current_user, case, service.CustodyData(
            location=form.location.data or "", police_unit=form.police_unit.data or "",
            police_officer=form.police_officer.data or "",
            police_reference=form.police_reference.data or ""),
            expected_version=form.expected_version)

    return submit_panel_form(case, form, PANEL.name, "custody_form", save,
                             _("Where the material is held was recorded."), anchor="#evidence",
                             failed_at=(_("Where the material is held"),
                                        "evidence-custody-form"))


class SandboxedDownload(Response):
    """A file handed out for download, with ``sandbox`` added to its
    Content-Security-Policy.

    The app's security hook (caseapp.core.security) sets the site-wide policy
    after every view; this adds the directive when the headers are sent, so
    that even a browser that ignored Content-Disposition would run nothing
    from the file with this site's origin.
    """

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        policy = headers.get("Content-Security-Policy")
        if not policy:
            headers["Content-Security-Policy"] = "sandbox"
        elif "sandbox" not in policy:
            headers["Content-Security-Policy"] = f"{policy}; sandbox"
        return headers


@bp.get("/cases/<reference>/evidence/<attachment_id>")
def download(reference: str, attachment_id: str):
    case = queries.load_case(current_user, reference, action="web:evidence_download")
    try:
        found = service.download(current_user, case, attachment_id)
    except service.AttachmentNotFound:
        abort(404)
    response = SandboxedDownload(found.content, status=200, mimetype=found.media_type)
    # A generic ASCII name (see evidence.download_name): nothing to quote or encode.
    response.headers["Content-Disposition"] = f'attachment; filename="{found.download_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
