"""The product's name as the organisation says it, configurable, never "caseapp"."""
from __future__ import annotations

import re


def _brand_and_title(html: str) -> tuple[str, str]:
    brand = re.search(r'<a class="brand"[^>]*>([^<]*)</a>', html).group(1)
    title = re.search(r"<title>([^<]*)</title>", html).group(1)
    return brand, title


def test_the_header_and_title_say_the_product_s_name(client):
    brand, title = _brand_and_title(client.get("/login").get_data(as_text=True))
    assert brand == "Bảo vệ trẻ em trên mạng"
    assert title.endswith("· Bảo vệ trẻ em trên mạng") and "caseapp" not in title
    html = client.get("/help").get_data(as_text=True)
    assert 'title="Hệ thống quản lý hồ sơ trẻ em bị xâm hại trên môi trường mạng"' in html


def test_an_instance_names_itself(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCT_SHORT_NAME", "Tổng đài hỗ trợ trẻ em huyện A")
    monkeypatch.setitem(app.config, "PRODUCT_NAME", "Hệ thống hỗ trợ trẻ em huyện A")
    brand, title = _brand_and_title(client.get("/login").get_data(as_text=True))
    assert brand == "Tổng đài hỗ trợ trẻ em huyện A" and title.endswith(brand)


def test_the_setting_comes_from_the_environment(tmp_path, monkeypatch):
    from caseapp import settings

    monkeypatch.setenv("CASEAPP_PRODUCT_SHORT_NAME", "Bảo vệ trẻ em Quận 1")
    values = settings.load("testing", str(tmp_path), {"SECRET_KEY": "x" * 40})
    assert values["PRODUCT_SHORT_NAME"] == "Bảo vệ trẻ em Quận 1"
    assert values["PRODUCT_NAME"] is None  # the built-in name, in the page's language
