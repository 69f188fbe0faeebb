"""A NUL in a page's query string: no crash on either database (PostgreSQL
refuses a NUL in a text parameter). Forms refuse it in their fields
(test_unit_admin); the pages' query parameters are checked here one by one,
those that reach a query: the audit log's filters, the reference search, the
figures' unit and period, the school year, the paging position."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("who,url", [
    ("admin", "/audit?user=%00"), ("admin", "/audit?reference=HS-%00"),
    ("admin", "/audit?action=%00"), ("officer", "/cases?ref=HS-%00"),
    ("supervisor", "/figures?unit=%00"), ("supervisor", "/figures?period=%00"),
    ("officer", "/awareness?year=%00"), ("admin", "/admin/units?start=%00"),
])
def test_a_nul_in_the_address_is_answered_without_a_crash(people, login, who, url):
    answer = login(getattr(people, who)).get(url)
    assert answer.status_code < 500, (url, answer.status_code)
