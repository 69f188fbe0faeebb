"""Fixtures of the follow-up tests: the case domain's people, cases and logged-in clients."""
from __future__ import annotations

from tests.case_screens.conftest import (  # noqa: F401  (fixtures, re-exported)
    login,
    make_case,
    password_hash,
    people,
)
