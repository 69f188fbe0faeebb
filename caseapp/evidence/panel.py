"""The case page's evidence panel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.cases.panels import PanelSpec
from caseapp.cases.screens import user_names
from caseapp.permissions import evidence as rules

from .forms import CustodyForm, UploadForm
from .service import (
    CUSTODY_FIELDS,
    abuse_material_case,
    attachment_count,
    attachments_of,
    max_bytes,
)
from .sniffing import TYPE_LABELS, size_label


@dataclass(frozen=True)
class Item:
    id: str
    number: int
    uploaded_at: datetime
    uploaded_by: str
    media_type: str
    type_label: str
    size: str
    filename: str | None
    description: str | None


def upload_form(*, submitted: bool = False) -> UploadForm:
    """The upload form: read from the request when ``submitted``, blank otherwise."""
    return UploadForm(prefix="evidence") if submitted else \
        UploadForm(prefix="evidence", formdata=None)


def custody_form(case: Case, *, child: bool) -> CustodyForm:
    form = CustodyForm(prefix="custody", formdata=None)
    form.version.data = str(case.version_id)
    if child:
        for name, column in CUSTODY_FIELDS.items():
            getattr(form, name).data = getattr(case, column) or ""
    return form


def panel_context(user, case, child: bool) -> dict | None:
    """What the case page's panel needs, or None when it is not shown to ``user``.

    Metadata-only viewers get the number of files; the people who see the
    child's data (``child``) get the list and the download links; the people
    working on the case get the upload form, or, on an abuse-material case,
    the explanation and the custody form instead. A submitted form with its
    errors comes back through ``page.render_panel_failure``.
    """
    if not rules.can_see_evidence_count(user, case):
        return None
    listed = attachments_of(case)
    abuse = abuse_material_case(case)
    context: dict = {"count": len(listed), "abuse": abuse, "files": None,
                     "can_download": rules.can_download_evidence(user, case),
                     "custody": None, "upload_form": None, "custody_form": None,
                     "refused_upload": None,
                     "max_mb": format_decimal(round(max_bytes() / (1024 * 1024), 1))}
    if child:
        names = user_names(a.uploaded_by_id for a in listed)
        context["files"] = [Item(id=a.id, number=n, uploaded_at=clock.as_utc(a.uploaded_at),
                                 uploaded_by=names.get(a.uploaded_by_id, ""),
                                 media_type=a.media_type,
                                 type_label=str(TYPE_LABELS.get(a.media_type, a.media_type)),
                                 size="≤ " + str(size_label(a.size_bytes)),
                                 filename=a.filename,
                                 description=a.description)
                            for n, a in enumerate(listed, 1)]
        custody = {name: getattr(case, column) for name, column in CUSTODY_FIELDS.items()}
        context["custody"] = custody if any(custody.values()) else None
    if rules.can_add_evidence(user, case):
        if not abuse:
            context["upload_form"] = upload_form()
        context["custody_form"] = custody_form(case, child=child)
    return context


def summary(user, case, child: bool) -> dict | None:
    """The case page's line: how many files (a count in SQL), and on a case of
    sexual images that they are never uploaded (the page explains why)."""
    if not rules.can_see_evidence_count(user, case):
        return None
    line = _("Evidence: %(n)d files", n=attachment_count(case))
    if abuse_material_case(case):
        # (outside the f-string: the catalogue's extraction does not look inside one)
        never = _("sexual images of the child: never uploaded")
        line = f"{line} · {never}"
    return {"line": line}


PANEL = PanelSpec("evidence", "evidence/_panel.html", "main", panel_context, order=60,
                  section="evidence", title=_l("Evidence"), summary=summary)
