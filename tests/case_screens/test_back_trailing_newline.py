"""Finding (low): back_link's checks use ``re.match`` with ``$``, which also
matches before a trailing newline, so a ``back`` whose ``ref`` or ``after``
ends in %0A is accepted, rebuilt and shown (not canonical: the docstring says
only checked parameters are kept)."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from caseapp import paging


@pytest.mark.parametrize("raw", ["/cases?ref=HS-ABC%0A", "/cases?ref=HS-%0A"])
def test_a_back_with_a_trailing_newline_is_refused(app, raw):
    with app.test_request_context():
        assert paging.back_link(raw) is None, paging.back_link(raw)


def test_the_case_page_shows_no_newline_back(people, login, make_case):
    case = make_case("support")
    page = login(people.officer).get(
        f"/cases/{case.reference}?back={quote('/cases?ref=HS-ABC%0A', safe='')}"
    ).get_data(as_text=True)
    assert "%0A" not in page
