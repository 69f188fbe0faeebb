"""On a real SQLite file of its own: the bytes on disk (file, WAL, journal) hold
none of the family records (names, contacts, relation, flag, household)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.cases.models import Case
from caseapp.crypto import key_scope
from caseapp.extensions import db
from caseapp.family import service
from caseapp.family.service import HouseholdData, MemberData
from tests.cases.test_audit_and_atomicity import run_lifecycle
from tests.cases.test_raw_database import (  # noqa: F401
    assert_not_on_disk,
    bytes_on_disk,
    make_people,
    own_app,
)

pytestmark = pytest.mark.no_db_isolation

NAME = "Vương Đình Khiêm"
CONTACT = "0966 271 828"
OCCUPATION = "Thợ hàn điện"
HOUSEHOLD = "Sống với dì ở thôn Bến Trâu"


def test_the_database_file_holds_no_family_data(own_app):  # noqa: F811
    path = own_app.config["DB_PATH"]
    with own_app.app_context():
        with key_scope():
            people = make_people()
            for action, step in run_lifecycle(people):
                step()
                if action == "case.needs_assessment":
                    break
            case = db.session.scalar(select(Case))
            service.add_member(people.officer, case, MemberData(
                relation="step_parent", full_name=NAME, birth_year=1979,
                occupation=OCCUPATION, contact=CONTACT, lives_with_child=True,
                may_be_abuser=True))
            service.save_household(people.officer, case, HouseholdData(HOUSEHOLD, HOUSEHOLD))
        db.session.commit()
        reference = case.reference
        raw = bytes_on_disk(path)
    assert reference.encode() in raw and b"case_family_members" in raw  # positive controls
    assert_not_on_disk(raw, (NAME, CONTACT, OCCUPATION, HOUSEHOLD, "step_parent"))
