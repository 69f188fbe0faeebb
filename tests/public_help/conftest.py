"""Fixtures of the public help form's tests: the case domain's people, and a
client that fills the form as a visitor would (the page's token and cookie)."""
from __future__ import annotations

import re

import pytest

from tests.case_screens.conftest import (  # noqa: F401  (fixtures, re-exported)
    login,
    make_case,
    password_hash,
    people,
)

STORY = "Có người lạ trên Zalo đòi ảnh của em CANARY-STORY-8812"
PHONE = "0912345678"
TOKEN_RE = re.compile(r'name="csrf" value="([^"]+)"')
CODE_RE = re.compile(r'id="tracking-code">([0-9A-Z-]+)<')


def page_token(client, path: str = "/help") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return TOKEN_RE.search(response.get_data(as_text=True)).group(1)


def answers(**overrides) -> dict:
    values = {"who": "child", "danger": "no", "harms": ["stranger", "threat_images"],
              "platforms": ["zalo"], "story": STORY, "name": "Lan", "age": "12",
              "contact_way": "not_home", "phone": PHONE, "other_contact": "",
              "unit": "XA", "extra_note": ""}
    values.update(overrides)
    return values


def send(client, path: str = "/help", token: str | None = None, **overrides):
    token = page_token(client, path) if token is None else token
    return client.post(path, data={"csrf": token, **answers(**overrides)})


def tracking_code(response) -> str:
    return CODE_RE.search(response.get_data(as_text=True)).group(1)


@pytest.fixture
def visitor(app):
    return app.test_client()
