"""``caseapp demo-data`` adds 0-3 fictional people around each assigned child,
sealed like any, and the same cases for the same seed as before."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from caseapp.cases.models import Case
from caseapp.cli import cases as cases_cli
from caseapp.extensions import db
from caseapp.family.models import FamilyMember
from tests.cases.test_cli_cases import snapshot


def test_demo_data_adds_a_few_synthetic_family_members(runner, make_unit):
    make_unit("DEMOROOT")
    result = runner.invoke(cases_cli.demo_data, ["--cases", "20", "--seed", "7"])
    assert result.exit_code == 0, result.output
    per_case = Counter(db.session.scalars(select(FamilyMember.case_id)))
    assert per_case and max(per_case.values()) <= 3
    assigned = db.session.scalar(select(func.count()).select_from(Case)
                                 .where(Case.lead_officer_id.is_not(None)))
    assert len(per_case) <= assigned
    # Sealed: the name column holds ciphertext, never a readable name.
    raw = db.session.scalars(select(FamilyMember.__table__.c.full_name)).all()
    assert raw and all(isinstance(v, bytes | memoryview) for v in raw)
    made = Counter(snapshot())
    again = runner.invoke(cases_cli.demo_data, ["--cases", "20", "--seed", "7"])
    assert again.exit_code == 0
    assert Counter(snapshot()) == made + made
