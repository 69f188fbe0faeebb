"""On a real SQLite file of its own: goals, progress notes and outcomes are never
in clear in the bytes on disk."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.cases.models import Case
from caseapp.crypto import key_scope
from caseapp.extensions import db
from caseapp.followups import service
from tests.cases.test_audit_and_atomicity import run_lifecycle
from tests.cases.test_raw_database import (  # noqa: F401
    assert_not_on_disk,
    bytes_on_disk,
    make_people,
    own_app,
)

pytestmark = pytest.mark.no_db_isolation

GOAL = "Canary mục tiêu: em Hồng Nhung đi học lại"
NOTE = "Canary tiến triển: em đã nói chuyện với cô chủ nhiệm"
OUTCOME = "Canary kết quả: gặp bà ngoại ở xóm Bến Đò"


def test_the_database_file_holds_no_goal_note_or_outcome(own_app):  # noqa: F811
    path = own_app.config["DB_PATH"]
    with own_app.app_context():
        with key_scope():
            people = make_people()
            for action, step in run_lifecycle(people):
                step()
                if action == "case.plan_decision":
                    break
            db.session.commit()
            case = db.session.scalar(select(Case))
            goal = service.add_goal(people.officer, case, GOAL)
            service.record_progress(people.officer, case, service.ProgressData(
                goal.id, "in_progress", NOTE))
            row = service.schedule(people.officer, case, service.FollowUpData(
                clock.local_today() + timedelta(days=1), "home_visit", people.officer.id))
            service.settle(people.officer, case, service.SettleData(row.id, "done", OUTCOME))
            db.session.commit()
            reference = case.reference
        raw = bytes_on_disk(path)
    assert reference.encode() in raw and b"home_visit" in raw  # positive controls
    assert_not_on_disk(raw, (GOAL, NOTE, OUTCOME, "Hồng Nhung", "Bến Đò"))
