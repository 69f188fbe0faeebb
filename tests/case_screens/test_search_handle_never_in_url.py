"""Finding: text typed in My cases' search box that is not a case reference but
happens to be letters of the references' alphabet with a digit (an online
handle of a child or of an offender, "tuan2k9", "nam2k9", "vy2k8") is taken
for a bare reference and written into the URL (?ref=HS-TUAN2K9), then into
every case link's ``back`` and the language form: browser history, proxy and
server access logs. The handler's own contract: "what was typed ... never
reaches a URL or a log"."""
from __future__ import annotations

import re

import pytest

from tests.case_screens.conftest import token


@pytest.mark.parametrize("typed", ["tuan2k9", "nam2k9", "vy2k8", "hung2k7"])
def test_a_handle_typed_in_the_search_never_reaches_a_url(people, login, make_case, typed):
    make_case("intake", assigned=True)
    client = login(people.officer)
    answer = client.post("/cases", data={"csrf_token": token(client, "/cases"), "ref": typed})
    location = answer.headers.get("Location", "")
    assert typed.upper() not in location.upper(), location
    # and not in any link of the page shown after it
    if location:
        page = client.get(location).get_data(as_text=True)
        hrefs = " ".join(re.findall(r'(?:href|value)="([^"]+)"', page))
        assert typed.upper() not in hrefs.upper().replace("%2D", "-")
