"""Every UI string has a Vietnamese translation, and the compiled catalog is current."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "caseapp" / "translations" / "vi" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / "caseapp", METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_vietnamese_translation():
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    missing = sorted(m for m in source_messages()
                     if not catalog.get(m) or not catalog.get(m).string
                     or catalog.get(m).fuzzy)
    assert missing == [], "missing Vietnamese translations:\n" + "\n".join(missing)


def test_compiled_catalog_matches_the_po_file():
    with open(CATALOG / "messages.po", "rb") as handle:
        po = read_po(handle)
    with open(CATALOG / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    for message in po:
        if message.id and message.string and not message.fuzzy:
            assert mo.get(message.id) is not None and mo.get(message.id).string == message.string, \
                f"stale messages.mo (run `pybabel compile -d caseapp/translations`): {message.id}"


def test_switching_language_is_remembered(client, auth, make_user):
    from tests.conftest import csrf_token

    counselor = make_user("counselor")
    auth.login(counselor)
    assert "Xin chào" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, "/")
    client.post("/language", data={"csrf_token": token, "locale": "en", "next": "/"})
    assert "Hello" in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(counselor)
    assert "Hello" in client.get("/").get_data(as_text=True)


def test_anonymous_language_choice(client):
    from tests.conftest import csrf_token

    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    token = csrf_token(client)
    client.post("/language", data={"csrf_token": token, "locale": "en", "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
