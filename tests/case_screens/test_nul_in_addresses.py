"""A NUL in a page's query string: refused with a message before the page
reads it, on either database (PostgreSQL refuses a NUL in a text parameter: it
was a crash). Forms refuse it in their fields (test_unit_admin); the pages'
query parameters checked here are those that reach a query: the audit log's
filters, the reference search, the figures' unit and period, the school year,
the paging position."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("who,url", [
    ("admin", "/audit?user=%00"), ("admin", "/audit?reference=HS-%00"),
    ("admin", "/audit?action=%00"), ("officer", "/cases?ref=HS-%00"),
    ("supervisor", "/figures?unit=%00"), ("supervisor", "/figures?period=%00"),
    ("officer", "/awareness?year=%00"), ("admin", "/admin/units?start=%00"),
])
def test_a_nul_in_the_address_is_refused_with_a_message(people, login, who, url):
    answer = login(getattr(people, who)).get(url)
    assert answer.status_code == 400, (url, answer.status_code)
    html = answer.get_data(as_text=True)
    assert "ký tự không được phép" in html and "\x00" not in html


def test_a_nul_in_a_parameter_name_is_refused_too(people, login):
    assert login(people.admin).get("/audit?a%00=1").status_code == 400


def test_an_address_without_one_is_served(people, login):
    assert login(people.supervisor).get("/figures?unit=&period=").status_code == 200
