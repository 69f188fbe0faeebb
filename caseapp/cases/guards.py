"""What every case change does first (scope; then, after who may act, version) and how
it writes (atomically)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from caseapp import clock
from caseapp.core.text import HIDDEN_CHARACTER, has_hidden_characters
from caseapp.extensions import db
from caseapp.permissions import cases as rules

from .errors import CaseConflict, CaseError, CaseErrors, CaseNotFound
from .models import Case


def ensure_visible(actor, case: Case, action: str) -> None:
    """A case outside the actor's scope does not exist for them: 404, audited."""
    if not rules.can_view_case(actor, case):
        rules.record_denial(actor, case, action=action)
        raise CaseNotFound()


def ensure_version(case: Case, expected_version: int | None) -> None:
    """The form or API call was made on this version of the case, or it conflicts."""
    if expected_version is not None and int(expected_version) != case.version_id:
        raise CaseConflict()


@contextmanager
def atomic() -> Iterator[None]:
    """The change and its audit entry in one savepoint: both are written or neither.

    Checks (and the audited denials) happen before, outside, so a refusal is
    still recorded. A concurrent save of the same case surfaces here as
    CaseConflict (the version column), with nothing of this change left behind.
    """
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except StaleDataError:
        raise CaseConflict() from None


class Problems:
    """Collects a service's refusals instead of stopping at the first, so that a
    form shows every mistake at once. Checks that a later one depends on get a
    stand-in value (``default``) when they fail."""

    def __init__(self) -> None:
        self.found: list[CaseError] = []

    def check(self, check, *args, default=None, **kwargs):
        """``check(*args, **kwargs)``, or ``default`` when it refuses (kept)."""
        try:
            return check(*args, **kwargs)
        except CaseErrors as exc:
            self.found.extend(exc.errors)
        except CaseError as exc:
            self.found.append(exc)
        return default

    def add(self, message, field: str | None) -> None:
        self.found.append(CaseError(message, field=field))

    def raise_any(self) -> None:
        """Nothing refused: return. One: that CaseError. Several: CaseErrors."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise CaseErrors(self.found)


SHORT_TEXT = 200
LONG_TEXT = 20_000


def clean_text(value, field: str, *, required: bool = False, max_length: int = SHORT_TEXT,
               message=None) -> str:
    """Stripped text within ``max_length``; CaseError naming ``field`` otherwise."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise CaseError(_l("This field must be text."), field=field)
    value = value.strip()
    if required and not value:
        raise CaseError(message or _l("This field is required."), field=field)
    if len(value) > max_length:
        raise CaseError(_l("This text is too long (at most %(n)d characters).", n=max_length),
                        field=field)
    if has_hidden_characters(value):
        raise CaseError(HIDDEN_CHARACTER, field=field)
    return value


# The programme started in 2021; nothing it records happened before 2000.
EARLIEST_YEAR = 2000
# Follow-ups, dates of plans: nothing is planned further ahead than this.
LATEST_YEARS_AHEAD = 10


def check_day(value, field: str, *, earliest=None, latest=None) -> None:
    """A date within the years the programme plans for (and ``earliest``/``latest``)."""
    today = clock.local_today()
    if value.year < EARLIEST_YEAR or (earliest is not None and value < earliest):
        raise CaseError(_l("This date is too far in the past."), field=field)
    if value.year > today.year + LATEST_YEARS_AHEAD or (latest is not None and value > latest):
        raise CaseError(_l("This date is too far in the future."), field=field)


def aware_datetime(value: datetime | None, field: str) -> datetime | None:
    """Aware UTC; a naive time is local time (the app's time zone)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise CaseError(_l("Give a date and time."), field=field)
    if value.year < EARLIEST_YEAR:
        raise CaseError(_l("This date is too far in the past."), field=field)
    if value.year > clock.local_today().year + LATEST_YEARS_AHEAD:
        raise CaseError(_l("This date is too far in the future."), field=field)
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.local_timezone())
    try:
        return value.astimezone(clock.now().tzinfo)
    except (OverflowError, ValueError):
        raise CaseError(_l("This date is too far in the past."), field=field) from None
