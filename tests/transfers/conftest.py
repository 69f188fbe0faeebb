"""Fixtures of transfers: the case screens' people, cases and logged-in clients."""
from __future__ import annotations

from tests.auditlog.conftest import own_instance  # noqa: F401  (fixture, re-exported)
from tests.case_screens.conftest import login  # noqa: F401  (fixture, re-exported)
from tests.cases.conftest import (  # noqa: F401  (fixtures, re-exported)
    make_case,
    password_hash,
    people,
)
