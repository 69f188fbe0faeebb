"""Fixtures of the partner API: the case tests' people and tokens issued as an admin would."""
from __future__ import annotations

import pytest

from caseapp import clock
from caseapp.extensions import db
from caseapp.partners import service
from caseapp.permissions.partners import SYSTEM
from tests.case_screens.conftest import login  # noqa: F401  (fixture, re-exported)
from tests.cases.conftest import (  # noqa: F401  (fixtures, re-exported)
    CHILD_NAME,
    NARRATIVE,
    make_case,
    password_hash,
    people,
)

BOTH = ("intake:create", "case:status")


@pytest.fixture
def issue(people):  # noqa: F811 (the fixture re-exported above)
    """``issue(unit="XA", scopes=BOTH, name="Tổng đài 111", days=30)`` → (token, secret)."""
    def make(unit: str = "XA", scopes=BOTH, name: str = "Tổng đài 111", days: int = 30):
        token, secret = service.issue_token(SYSTEM, service.NewToken(name, unit, tuple(scopes),
                                                                     days))
        db.session.commit()
        return token, secret
    return make


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def intake_json(**overrides) -> dict:
    body = {
        "received_at": clock.now().isoformat(), "channel": "hotline_111",
        "help_requested": True, "requested_by": "child",
        "harm_categories": ["cyberbullying"], "platforms": ["tiktok"],
        "narrative": NARRATIVE,
        "child": {"full_name": CHILD_NAME, "date_of_birth": "2013-05-06", "gender": "male"},
        "consent": {"child": True, "guardian": True, "legal_ground": None},
    }
    body.update(overrides)
    return body
