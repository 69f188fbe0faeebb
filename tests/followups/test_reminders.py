"""The person who goes is reminded from the start of the working day before the
follow-up (weekends and Vietnamese holidays skipped, as the deadlines count),
once; a follow-up past its day is the deadline scan's."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from caseapp.cases.deadlines import VIETNAM
from caseapp.extensions import db
from caseapp.followups import service
from caseapp.notifications import events
from caseapp.notifications.models import Notification


def reminded(reference: str) -> list[str]:
    return sorted(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "follow_up_soon", Notification.case_reference == reference)))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def plan_on(people, case, day: date):
    service.schedule(people.officer, case, service.FollowUpData(day, "home_visit",
                                                                people.counselor.id))
    db.session.commit()


def test_a_monday_visit_is_announced_on_friday_to_who_goes(people, make_case):
    case = make_case("support")
    plan_on(people, case, date(2026, 12, 14))  # a Monday
    events.scan_and_commit(at(2026, 12, 10, 17, 0))  # Thursday
    assert reminded(case.reference) == []
    events.scan_and_commit(at(2026, 12, 11, 0, 5))  # Friday
    assert reminded(case.reference) == [people.counselor.id]
    events.scan_and_commit(at(2026, 12, 12, 9, 0))
    assert reminded(case.reference) == [people.counselor.id]  # once


def test_a_holiday_is_skipped(people, make_case):
    case = make_case("support")
    plan_on(people, case, date(2027, 1, 4))  # Monday after New Year's Day (Friday 1/1)
    events.scan_and_commit(at(2026, 12, 30, 12, 0))
    assert reminded(case.reference) == []
    events.scan_and_commit(at(2026, 12, 31, 8, 0))  # the last working day before it
    assert reminded(case.reference) == [people.counselor.id]


def test_done_or_closed_is_not_announced(people, make_case):
    case = make_case("support")
    plan_on(people, case, date(2026, 12, 14))
    (row,) = service.follow_ups_of(case)
    service.settle(people.officer, case, service.SettleData(row.id, "done", "Đã gặp sớm"))
    db.session.commit()
    events.scan_and_commit(at(2026, 12, 11, 9, 0))
    assert reminded(case.reference) == []
