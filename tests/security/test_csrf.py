"""Every state-changing request needs the CSRF token, forms and JSON alike."""
from __future__ import annotations

from tests.conftest import PASSWORD, csrf_token


def test_login_without_token_is_refused(client, make_user):
    counselor = make_user("counselor")
    response = client.post("/login", data={"username": counselor.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_forged_token_is_refused(client, make_user):
    counselor = make_user("counselor")
    csrf_token(client)
    response = client.post("/login", data={"csrf_token": "forged.token.value",
                                           "username": counselor.username, "password": PASSWORD})
    assert response.status_code == 400


def test_token_from_another_session_is_refused(app, make_user):
    counselor = make_user("counselor")
    attacker, victim = app.test_client(), app.test_client()
    stolen = csrf_token(attacker)
    csrf_token(victim)
    response = victim.post("/login", data={"csrf_token": stolen, "username": counselor.username,
                                           "password": PASSWORD})
    assert response.status_code == 400


def test_logout_without_token_does_not_log_out(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    client.post("/logout")
    assert client.get("/").status_code == 200


def test_admin_action_without_token_changes_nothing(client, auth, make_user):
    admin = make_user("admin")
    victim = make_user("counselor")
    auth.login(admin)
    response = client.post(f"/admin/users/{victim.user.id}/disable")
    assert response.status_code == 400
    assert victim.user.is_enabled


def test_json_post_without_csrf_header_is_refused(client, auth, make_user):
    counselor = make_user("counselor")
    auth.login(counselor)
    response = client.post("/language", json={"locale": "en"})
    assert response.status_code == 400


def test_a_new_session_has_its_token_before_any_page_asks_for_one(client, auth, make_user):
    """Tabs opened at once right after logging in each read the session's token:
    made at login, there is one token for all of them (made by the first page
    each would make its own, the last saved winning and the others' forms
    answering 'expired')."""
    counselor = make_user("counselor")
    response = auth.login(counselor, follow=False)  # the login's own answer, no page after
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    with client.session_transaction() as session:
        assert session.get("csrf_token")
