"""A session that ends under someone typing: the text is kept sealed for them alone,
put back after they log in again, and gone after a short while; the page is told
how long is left without that extending the session; "stay signed in" does."""
from __future__ import annotations

import json
import re

from sqlalchemy import select, text

from audit.models import audit_entries
from caseapp.accounts.models import KeptForm
from caseapp.extensions import db
from tests.conftest import csrf_token

CANARY = "CANARY-ghi-chu-7f3a Em kể bị đe doạ qua Zalo"


def type_a_report_and_wait(client, auth, made, travel, minutes=16):
    """Open the intake form, wait past the idle limit, then send it."""
    auth.login(made)
    token = csrf_token(client, "/cases/new")
    travel(minutes=minutes)
    return client.post("/cases/new", data={
        "csrf_token": token, "narrative": CANARY, "reporter_name": "Nguyễn Văn Hùng",
        "harm_categories": ["sextortion", "cyberbullying"], "password": "never-kept"},
        headers={"Referer": "http://localhost/cases/new"})


def kept_rows():
    return db.session.scalars(select(KeptForm)).all()


def actions(name):
    return db.session.execute(select(audit_entries).where(
        audit_entries.c.action == name)).all()


def test_a_form_sent_after_the_idle_limit_is_kept_sealed_and_says_the_session_ended(
        client, auth, make_user, travel):
    counselor = make_user("counselor")
    answer = type_a_report_and_wait(client, auth, counselor, travel)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/login?next=/cases/new")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn. Đăng nhập lại để tiếp tục; nội dung bạn vừa nhập " \
           "được giữ lại trong 30 phút." in page
    assert "Biểu mẫu đã hết hạn" not in page and CANARY not in page
    # Sealed: the canary is nowhere in the database in clear, nor is the page.
    (row,) = kept_rows()
    assert row.user_id == counselor.user.id
    raw = db.session.execute(text("SELECT * FROM kept_forms")).all()
    dump = repr(raw)
    assert "CANARY" not in dump and "/cases/new" not in dump and "never-kept" not in dump
    assert row.data_key_id is not None and row.data_key_wrapped is not None
    kept_entry = actions("session.form_kept")
    assert len(kept_entry) == 1 and "CANARY" not in repr(kept_entry)
    assert actions("auth.session_expired")


def test_the_same_user_gets_the_text_back_on_the_form_once(client, auth, make_user, travel):
    counselor = make_user("counselor")
    type_a_report_and_wait(client, auth, counselor, travel)
    answer = auth.login(counselor, follow=False)
    assert answer.headers["Location"] == "/cases/new"
    page = client.get("/cases/new").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="kept-form-data">(.*?)'
                                r"</script>", page, re.S).group(1))
    assert data["action"] == "/cases/new"
    assert data["fields"]["narrative"] == [CANARY]
    assert data["fields"]["harm_categories"] == ["sextortion", "cyberbullying"]
    assert "password" not in data["fields"] and "csrf_token" not in data["fields"]
    # Handed over once: the copy and its key are gone.
    assert kept_rows() == []  # the wrapped key was on the row: it went with it
    assert CANARY not in client.get("/cases/new").get_data(as_text=True)
    restored = actions("session.form_restored")
    assert len(restored) == 1 and "CANARY" not in repr(restored)


def test_another_user_logging_in_on_that_browser_gets_nothing(
        app, client, auth, make_user, travel):
    counselor = make_user("counselor")
    other = make_user("counselor", unit=counselor.user.unit)
    type_a_report_and_wait(client, auth, counselor, travel)
    answer = auth.login(other, follow=False)
    assert answer.headers["Location"] == "/"
    for path in ("/", "/cases/new"):
        page = client.get(path).get_data(as_text=True)
        assert CANARY not in page and "kept-form" not in page
    assert len(kept_rows()) == 1  # still the counselor's, for the counselor
    auth.logout()
    assert auth.login(counselor, follow=False).headers["Location"] == "/cases/new"
    assert CANARY in client.get("/cases/new").get_data(as_text=True)


def test_kept_text_is_dropped_after_its_short_life(client, auth, make_user, travel):
    counselor = make_user("counselor")
    type_a_report_and_wait(client, auth, counselor, travel)
    assert len(kept_rows()) == 1
    travel(minutes=31)
    answer = auth.login(counselor, follow=False)
    assert answer.headers["Location"] == "/"
    assert kept_rows() == []  # purged (with the key on the row), not only hidden
    assert CANARY not in client.get("/cases/new").get_data(as_text=True)
    assert len(actions("session.form_dropped")) == 1


def test_a_form_sent_with_a_session_the_server_no_longer_knows_says_it_ended(
        client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    token = csrf_token(client, "/cases/new")
    db.session.execute(text("DELETE FROM user_sessions"))
    db.session.commit()
    answer = client.post("/cases/new", data={"csrf_token": token, "narrative": CANARY})
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Phiên làm việc đã kết thúc" in page and "Biểu mẫu đã hết hạn" not in page


def test_asking_how_long_is_left_does_not_extend_the_session(client, auth, make_user, travel):
    counselor = make_user("counselor")
    auth.login(counselor)
    assert client.get("/").status_code == 200
    for step, left in ((5, 600), (5, 300), (4, 60)):
        travel(minutes=step)
        status = client.get("/session/status").get_json()
        assert not status["ended"] and status["remaining"] == left
    travel(minutes=2)  # 16 minutes after the last real request
    assert client.get("/session/status").get_json() == {"remaining": 0, "ended": True}
    assert client.get("/").status_code == 302


def test_stay_signed_in_extends_the_session_past_its_old_deadline(
        client, auth, make_user, travel):
    counselor = make_user("counselor")
    auth.login(counselor)
    page = client.get("/").get_data(as_text=True)
    watch = re.search(r'id="session-watch"[^>]*data-csrf="([^"]+)"', page)
    assert watch and 'data-idle="900"' in page and 'data-warn="120"' in page
    travel(minutes=14)
    answer = client.post("/session/extend", headers={"X-CSRFToken": watch.group(1)})
    assert answer.status_code == 200 and answer.get_json()["remaining"] == 900
    travel(minutes=14)  # 28 minutes after the page: past the old deadline
    assert client.get("/").status_code == 200


def test_stay_signed_in_needs_the_form_token(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    assert client.post("/session/extend").status_code == 400
    assert client.post("/session/extend", headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.get("/session/extend").status_code == 405  # only a POST extends
    anonymous = client.application.test_client()
    assert anonymous.post("/session/extend").status_code in (302, 303, 400)


def test_pages_store_nothing_in_the_browser(app):
    import pathlib

    script = pathlib.Path(app.static_folder, "session.js").read_text("utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("//"))
    for storage in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
        assert storage not in code


def test_a_kept_form_moved_to_another_person_by_hand_opens_for_nobody(
        app, client, auth, make_user, travel):
    """kept_forms.user_id rewritten in the database: the other person is not
    handed the first one's words (the owner is sealed inside the content)."""
    counselor = make_user("counselor")
    other = make_user("counselor", unit=counselor.user.unit)
    type_a_report_and_wait(client, auth, counselor, travel)
    db.session.execute(text("UPDATE kept_forms SET user_id = :u"), {"u": other.user.id})
    db.session.commit()
    auth.login(other, follow=False)
    for path in ("/", "/cases/new"):
        response = client.get(path)
        assert response.status_code == 200
        assert CANARY not in response.get_data(as_text=True)
