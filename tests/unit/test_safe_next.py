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


def test_a_crafted_next_does_not_break_the_login(client):
    response = client.get("/login?next=/x%0d%0aSet-Cookie:%20a=b")
    assert response.status_code == 200
    assert "Set-Cookie: a=b" not in str(response.headers)
