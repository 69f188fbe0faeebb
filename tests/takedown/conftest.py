"""Fixtures of the takedown tests: the case domain's people, cases, clients, and
a case with an item and a request recorded through the services."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.clock import local_timezone
from caseapp.extensions import db
from caseapp.takedown import service
from caseapp.takedown.models import TakedownItem, TakedownRequest
from tests.case_screens.conftest import (  # noqa: F401  (fixtures, re-exported)
    login,
    make_case,
    password_hash,
    people,
)

LINK = "https://www.facebook.com/groups/nhom.kin.canary.7731/posts/991"
TICKET = "FB-TICKET-CANARY-55810"


def today() -> date:
    return clock.now().astimezone(local_timezone()).date()


def rows(model, case=None) -> int:
    query = select(func.count()).select_from(model)
    if case is not None:
        query = query.where(model.case_id == case.id)
    return db.session.scalar(query)


def item_and_request(officer, case, *, platform="facebook", sent_on=None, link=LINK,
                     ticket=TICKET):
    item = service.add_item(officer, case, service.ItemData(platform, "post", link))
    request = service.record_request(officer, case, service.RequestData(
        item.id, "platform_report", sent_on or today(), ticket))
    db.session.commit()
    return item, request


@pytest.fixture
def recorded(people, make_case):  # noqa: F811  (the fixtures above)
    """A case in support led by the officer, one item, one request sent today."""
    case = make_case("support")
    item, request = item_and_request(people.officer, case)
    return case, item, request


__all__ = ["TakedownItem", "TakedownRequest"]
