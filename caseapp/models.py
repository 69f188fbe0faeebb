"""Imports every model module so the metadata (and Alembic) sees all tables."""
from caseapp.accounts.models import (  # noqa: F401
    AccountChange,
    KeptForm,
    LoginThrottle,
    RecoveryCode,
    User,
    UserSession,
)
from caseapp.auditing.models import audit_entry_cases  # noqa: F401
from caseapp.awareness.models import AwarenessSession  # noqa: F401
from caseapp.break_glass.models import BreakGlassAccess  # noqa: F401
from caseapp.cases.models import Case  # noqa: F401  (and every case table with it)
from caseapp.consent.models import SharingConsent  # noqa: F401
from caseapp.data_rights.models import DataRequest  # noqa: F401
from caseapp.evidence.models import Attachment  # noqa: F401
from caseapp.family.models import FamilyHousehold, FamilyMember  # noqa: F401
from caseapp.followups.models import FollowUp  # noqa: F401
from caseapp.matching.models import CaseMatch  # noqa: F401
from caseapp.notifications.models import Notification  # noqa: F401
from caseapp.partners.models import ApiToken, IdempotencyKey  # noqa: F401
from caseapp.public_help.models import PublicMessage, PublicRequest  # noqa: F401
from caseapp.takedown.models import TakedownItem  # noqa: F401  (and its requests)
from caseapp.transfers.models import CaseTransfer  # noqa: F401
from caseapp.units.models import Unit  # noqa: F401
