"""Redirect targets stay on this site and never carry a header-breaking character."""
from __future__ import annotations

import pytest

from caseapp.core.safety import safe_next


@pytest.mark.parametrize("target", ["/cases", "/cases/HS-ABCDEFGH?closed=1", "/"])
def test_local_paths_pass(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "cases", "",
    "/x\r\nSet-Cookie: a=b", "/x\ty", "/x y", "/đường-dẫn", "/x\x00", "/x\x7f"])
def test_anything_else_is_refused(target):
    assert safe_next(target) is None


def test_a_crafted_next_does_not_break_the_login(client, make_user):
    """A phished link with CR/LF in ``next`` used to end the login in a 500."""
    import re

    from tests.conftest import PASSWORD

    made = make_user("counselor")
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=/x%0d%0aSet-Cookie:%20a=b", data={
        "csrf_token": csrf, "username": made.user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login/code", data={"csrf_token": csrf, "code": made.code()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "a=b" not in str(response.headers)
