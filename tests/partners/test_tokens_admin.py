"""Issuing, listing and revoking tokens: the command line and the admin screen;
only admins (and the host's operator) may, and each is audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.partners import service
from caseapp.partners.models import ApiToken
from tests.case_screens.conftest import api_token
from tests.case_screens.conftest import token as csrf_of
from tests.sql_statements import statements_run

from .conftest import bearer, intake_json
from .test_partner_api import INTAKES, entries

SECRET_RE = re.compile(r'<code class="secret" id="token-secret">(cat_[A-Za-z0-9_-]+)</code>')


def test_the_cli_issues_lists_and_revokes(runner, client, people):
    result = runner.invoke(args=["tokens", "issue", "--unit", "XA", "--scope", "intake:create",
                                 "--scope", "case:status", "--name", "Tổng đài 111",
                                 "--days", "30"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"cat_[A-Za-z0-9_-]{43}", secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash ==
                                                     service.digest(secret)))
    assert token.unit.code == "XA" and token.scope_list == ("intake:create", "case:status")
    assert entries(action="partner_token.issue", object_id=token.id)
    assert client.post(INTAKES, json=intake_json(), headers=bearer(secret)).status_code == 201

    listed = runner.invoke(args=["tokens", "list"])
    assert token.id in listed.output and secret not in listed.output
    assert "active" in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", token.id])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert entries(action="partner_token.revoke", object_id=token.id)
    assert client.post(INTAKES, json=intake_json(), headers=bearer(secret)).status_code == 401
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output


@pytest.mark.parametrize("args", [
    ["--unit", "NOPE", "--scope", "case:status", "--name", "X", "--days", "5"],
    ["--unit", "XA", "--scope", "case:status", "--name", "X", "--days", "366"],
    ["--unit", "XA", "--scope", "case:status", "--name", "X", "--days", "0"],
    ["--unit", "XA", "--scope", "admin:all", "--name", "X", "--days", "5"],
    ["--unit", "XA", "--scope", "case:status", "--name", "X"],
])
def test_the_cli_refuses_a_token_without_a_sound_unit_scope_or_expiry(runner, people, args):
    result = runner.invoke(args=["tokens", "issue", *args])
    assert result.exit_code != 0
    assert db.session.scalar(select(ApiToken)) is None


def test_an_admin_issues_on_the_screen_and_sees_the_secret_once(people, login):
    admin = login(people.admin)
    page = admin.get("/admin/tokens")
    assert page.status_code == 200
    issued = admin.post("/admin/tokens", data={
        "csrf_token": csrf_of(admin, "/admin/tokens"), "partner_name": "Nền tảng trường học",
        "unit": "XA", "scopes": ["case:status"], "days": "60"})
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    secret = SECRET_RE.search(issued.get_data(as_text=True)).group(1)
    # The form under the secret is empty: a second tap must not issue another.
    answer = issued.get_data(as_text=True)
    assert 'value="Nền tảng trường học"' not in answer and " checked" not in answer
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash ==
                                                     service.digest(secret)))
    assert token.created_by_id == people.admin.id and token.scope_list == ("case:status",)
    again = admin.get("/admin/tokens").get_data(as_text=True)
    assert secret not in again and token.secret_hint in again

    revoked = admin.post(f"/admin/tokens/{token.id}/revoke",
                         data={"csrf_token": csrf_of(admin, "/admin/tokens")})
    assert revoked.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None and token.revoked_by_id == people.admin.id


def test_the_screen_refuses_a_form_without_its_csrf_token(people, login):
    admin = login(people.admin)
    issued = admin.post("/admin/tokens", data={"partner_name": "X", "unit": "XA",
                                               "scopes": ["case:status"], "days": "5"})
    assert issued.status_code == 400
    token, _ = service.issue_token("system", service.NewToken("X", "XA", ("case:status",), 5))
    db.session.commit()
    assert admin.post(f"/admin/tokens/{token.id}/revoke").status_code == 400
    db.session.refresh(token)
    assert token.revoked_at is None and db.session.scalar(
        select(ApiToken).where(ApiToken.partner_name == "X", ApiToken.id != token.id)) is None


def test_the_screen_says_what_is_wrong(people, login):
    admin = login(people.admin)
    answer = admin.post("/admin/tokens", data={
        "csrf_token": csrf_of(admin, "/admin/tokens"), "partner_name": "X", "unit": "XA",
        "scopes": ["case:status"], "days": "4000"})
    assert answer.status_code == 200 and 'id="token-secret"' not in answer.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


@pytest.mark.parametrize("role", ["counselor", "officer", "supervisor"])
def test_other_roles_cannot_issue_or_revoke(people, login, role):
    person = login({"counselor": people.counselor, "officer": people.officer,
                    "supervisor": people.supervisor}[role])
    token, _ = service.issue_token("system", service.NewToken("X", "XA", ("case:status",), 5))
    db.session.commit()
    csrf = api_token(person)  # a valid CSRF token of this person's session
    assert person.get("/admin/tokens").status_code == 403
    assert person.post("/admin/tokens", data={"csrf_token": csrf, "partner_name": "Y",
                                              "unit": "XA", "scopes": ["case:status"],
                                              "days": "5"}).status_code == 403
    assert person.post(f"/admin/tokens/{token.id}/revoke",
                       data={"csrf_token": csrf}).status_code == 403
    db.session.refresh(token)
    assert token.revoked_at is None
    with pytest.raises(Exception, match="permission denied"):
        service.issue_token(people.supervisor,
                            service.NewToken("Y", "XA", ("case:status",), 5))


def test_nobody_logged_in_is_sent_to_the_login(client):
    assert client.get("/admin/tokens").status_code == 302


TOKEN_ROW = re.compile(r'<tr id="token-([0-9a-f-]{36})">')


def test_the_tokens_screen_pages_through_every_token_newest_first(
        people, login, issue, monkeypatch):
    issued = [issue(name=f"Đối tác {n}")[0].id for n in range(5)]
    newest_first = [t.id for t in service.all_tokens()]
    assert sorted(newest_first) == sorted(issued)
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    admin = login(people.admin)
    seen, url, pages = [], "/admin/tokens", 0
    for _ in range(10):  # bounded: a pager that does not move on fails, not hangs
        if not url:
            break
        (response, statements) = statements_run(lambda u=url: admin.get(u))
        html = response.get_data(as_text=True)
        rows = TOKEN_ROW.findall(html)
        seen += rows
        if pages == 0:
            first_statements = statements
            assert "1–2 trong 5" in html
        elif len(rows) == 2:  # a page of the same size costs the same statements
            assert statements == first_statements
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert seen == newest_first and pages == 3
    # The pager opens at the list (below the issuing form), and revoking a token
    # on the second page comes back to the second page.
    second = admin.get("/admin/tokens").get_data(as_text=True)
    next_url = re.search(r'rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert next_url.endswith("#tokens")
    html = admin.get(next_url.split("#")[0]).get_data(as_text=True)
    action = re.search(r'action="(/admin/tokens/[^"]+/revoke\?[^"]+)"', html).group(1)
    revoked = admin.post(action.replace("&amp;", "&"),
                         data={"csrf_token": csrf_of(admin, "/admin/tokens")})
    assert revoked.status_code == 302 and "after=" in revoked.headers["Location"]
    # Not an admin: no page of it.
    assert login(people.supervisor).get("/admin/tokens?after=x").status_code == 403


def test_issuing_and_revoking_a_token_is_told_to_the_units_supervisors_and_other_admins(
        people, login, make_user):
    """No intake channel opens or closes unseen: the supervisors over the unit
    (its reports land in their queue) and every other admin get a notice; the
    admin who did it, officers and another branch's supervisor do not."""
    other_admin = make_user("admin", people.province, "qtv.hai").user
    admin = login(people.admin)
    admin.post("/admin/tokens", data={
        "csrf_token": csrf_of(admin, "/admin/tokens"), "partner_name": "Tổng đài 111",
        "unit": "XA", "scopes": ["intake:create"], "days": "30"})
    token = db.session.scalar(select(ApiToken))
    told = {"partner_token_issued": {people.supervisor.id, people.province_supervisor.id,
                                     other_admin.id}}
    assert notices("partner_token_issued") == told["partner_token_issued"]
    admin.post(f"/admin/tokens/{token.id}/revoke",
               data={"csrf_token": csrf_of(admin, "/admin/tokens")})
    assert notices("partner_token_revoked") == told["partner_token_issued"]
    page = login(people.supervisor).get("/notifications").get_data(as_text=True)
    assert "được cấp mã truy cập" in page and "đã bị thu hồi" in page


def notices(kind: str) -> set[str]:
    return set(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))
