"""Forms of evidence."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField

from caseapp.cases.forms import CaseForm, VersionedForm

from .service import confirmation_message


class UploadForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "file": _l("Choose a file to upload."),
        "confirm_no_abuse": confirmation_message(),
    }

    file = FileField(_l("File"))
    description = TextAreaField(_l("What it shows (optional)"), render_kw={"rows": 2})
    confirm_no_abuse = BooleanField(_l("This file does not show sexual abuse of a child"))


class CustodyForm(VersionedForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "location": _l("Say where the material is held (for example: handed to the police "
                       "with the child's phone).")}

    location = TextAreaField(_l("Where the material is held"), render_kw={"rows": 2})
    police_unit = StringField(_l("Police unit that has it"))
    police_officer = StringField(_l("Police officer"))
    police_reference = StringField(_l("Police reference number"))
