"""On a real SQLite file of its own: the bytes on disk (file, WAL, journal) hold
none of the family records (names, contacts, relation, flag, household)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.cases.models import Case
from caseapp.crypto import key_scope, sqlite_scrub
from caseapp.extensions import db
from caseapp.family import service
from caseapp.family.service import HouseholdData, MemberData
from tests.cases.test_audit_and_atomicity import run_lifecycle
from tests.cases.test_raw_database import database_bytes, make_people, own_app  # noqa: F401

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
        db.session.remove()
        sqlite_scrub(db.engine)
        db.engine.dispose()
    raw = database_bytes(path)
    assert reference.encode() in raw and b"case_family_members" in raw  # positive controls
    for secret in (NAME, CONTACT, OCCUPATION, HOUSEHOLD, "step_parent"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in raw, (secret, encoding)
