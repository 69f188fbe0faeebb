"""Domain errors of the case workflow. Messages are lazy strings, shown to users."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound


class CaseError(Exception):
    """A change was refused; ``field`` names the input it is about (for forms and the API)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class CaseErrors(CaseError):
    """Several refusals at once: every mistake of a form, each naming its field,
    so the person corrects them all in one go. ``field`` and ``message`` are the
    first one's (for callers that show a single message)."""

    def __init__(self, errors):
        errors = tuple(errors)
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors


class IntakeLimitReached(CaseError):
    """Too many reports recorded by one person lately (429 on the API)."""


class CaseConflict(CaseError):
    """Someone else saved the case first. Nothing of this change was written.
    ``current_version``: the version of the record that conflicted, when it is
    not the case's own (a person of the family), for the form shown again."""

    def __init__(self, message=None, *, current_version: int | None = None):
        super().__init__(message or _l("Someone else saved this case while you were working on "
                                       "it. Reload the case, then make your change again; "
                                       "nothing you typed was saved."), field=None)
        self.current_version = current_version


class CaseNotFound(NotFound):
    """The case does not exist for this user (outside their scope, or no such reference).

    Both answer the same way, so existence does not leak; the denial is audited.
    """
