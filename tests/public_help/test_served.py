"""The public form against `caseapp serve` (gunicorn, two workers) over HTTP: one
cookie and no session row, a request filed and its stage read with the code, the
per-address limit shared by the workers."""
from __future__ import annotations

import re
import sqlite3

import pytest

from tests.http_client import HttpSession, ServerProcess, clean_env, free_port

pytestmark = pytest.mark.no_db_isolation

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
CODE = re.compile(r'id="tracking-code">([0-9A-Z-]+)<')


def rows(instance, table: str) -> int:
    with sqlite3.connect(instance / "caseapp.db") as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def form(session: HttpSession, path: str = "/help") -> str:
    page = session.get(path)
    assert page.status == 200, page.status
    return TOKEN.search(page.body).group(1)


def test_the_form_over_http_on_caseapp_serve(fresh_instance):
    port = free_port()
    env = clean_env(str(fresh_instance), CASEAPP_PUBLIC_HELP_DEFAULT_UNIT="HUYEN",
                    CASEAPP_PUBLIC_HELP_LIMIT_PER_ADDRESS="3 per hour")
    server = ServerProcess(["serve", "--workers", "2", "--port", str(port)], env, port)
    try:
        server.wait_ready("/help")
        sessions, cases = rows(fresh_instance, "user_sessions"), rows(fresh_instance, "cases")
        visitor = HttpSession(port)
        connection_page = visitor.request("GET", "/help")
        cookies = [v for k, v in connection_page.headers.items() if k.lower() == "set-cookie"]
        assert len(cookies) == 1 and cookies[0].startswith("__Host-help_csrf=")
        assert "Secure" in cookies[0] and "HttpOnly" in cookies[0]
        assert connection_page.headers["Referrer-Policy"] == "no-referrer"
        assert connection_page.headers["Cache-Control"] == "no-store"
        answers = {"who": "relative", "danger": "no", "harms": "bullying",
                   "story": "Con tôi bị bắt nạt trên TikTok", "contact_way": "no_contact",
                   "unit": "", "extra_note": ""}
        sent = visitor.post("/help", {"csrf": TOKEN.search(connection_page.body).group(1),
                                      **answers})
        assert sent.status == 200, sent.body[:500]
        code = CODE.search(sent.body).group(1)
        assert "bắt nạt trên TikTok" not in sent.body
        looked = visitor.post("/help/status", {"csrf": form(visitor, "/help/status"),
                                               "code": code})
        assert looked.status == 200 and "Đã nhận" in looked.body
        assert rows(fresh_instance, "cases") == cases + 1
        assert rows(fresh_instance, "user_sessions") == sessions
        # Three posts from this address in all (whichever worker answers), then the limit.
        statuses = [visitor.post("/help", {"csrf": form(visitor), **answers}).status
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert rows(fresh_instance, "cases") == cases + 3
        # Forged: no token pair.
        assert HttpSession(port).post("/help/status", {"code": code}).status == 400
    finally:
        server.stop()
