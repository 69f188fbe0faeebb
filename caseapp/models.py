"""Imports every model module so the metadata (and Alembic) sees all tables."""
from caseapp.accounts.models import LoginThrottle, RecoveryCode, User, UserSession  # noqa: F401
from caseapp.care.models import (  # noqa: F401
    Attachment,
    BreakGlassAccess,
    CaseMatch,
    DataRequest,
    Notification,
    SharingConsent,
)
from caseapp.cases.models import Case  # noqa: F401  (and every case table with it)
from caseapp.crypto.models import DataKey  # noqa: F401
from caseapp.units.models import Unit  # noqa: F401
