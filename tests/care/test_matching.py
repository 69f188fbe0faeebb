"""Duplicates and repeat offenders: found at intake from blind indexes alone, never by
decrypting another case; the intake sees only "ask your supervisor", a supervisor of
both cases sees the references and links or dismisses; linking opens nothing."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from caseapp import clock
from caseapp.cases import queries, retention
from caseapp.cases.data import OffenderAccountData
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.cases.models import Case
from caseapp.crypto import aead
from caseapp.extensions import db
from caseapp.matching import service as matching
from caseapp.matching.models import CaseMatch
from caseapp.notifications.models import Notification
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules
from caseapp.permissions import matching as match_rules
from tests.case_actions import section_links
from tests.case_screens.conftest import api_token, token
from tests.case_screens.test_web_lifecycle import intake_form, reference_of
from tests.cases.conftest import CHILD_NAME, CHILD_PHONE, SECRETS, audit_rows

# Synthetic: another child who shares nothing with the default one.
OTHER_CHILD = {"full_name": "Trần Minh Khôi", "date_of_birth": None, "estimated_age": 11,
               "phone": "0977 111 222", "guardian_name": "Trần Văn Lực",
               "guardian_contact": "0977 333 444"}
SECOND_NAME = "Nguyễn Thị Bé Ngoan"  # the second report's child, when the name must differ


def other_child(**child):
    """Intake overrides for a report sharing nothing with the default one (except ``child``)."""
    from caseapp.cases.data import ReporterData

    return {"child": {**OTHER_CHILD, **child}, "offender_accounts": (),
            "reporter": ReporterData("Đỗ Văn Hải", "thầy giáo", "0355 000 111")}


def matches_of(case, kind=None):
    query = select(CaseMatch).where(CaseMatch.case_id == case.id)
    if kind:
        query = query.where(CaseMatch.kind == kind)
    return list(db.session.scalars(query.order_by(CaseMatch.found_at)))


def page(client, case) -> str:
    """The case page, and, where it links to the matches' own page (a
    supervisor's), that page too, as the person reaches it."""
    response = client.get(f"/cases/{case.reference}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    href = section_links(html).get("matches")
    if href is None:
        return html
    section = client.get(href)
    assert section.status_code == 200
    return html + section.get_data(as_text=True)


def decide(client, case, match, what="link", *, with_token=True):
    data = {"csrf_token": token(client, f"/cases/{case.reference}")} if with_token else {}
    return client.post(f"/cases/{case.reference}/matches/{match.id}/{what}", data=data)


def panel(html: str) -> str:
    found = re.search(r'<section class="card notice" id="matches">(.*?)</section>', html, re.DOTALL)
    return found.group(1) if found else ""


# --- finding --------------------------------------------------------------------------------

def test_same_child_phone_is_a_child_match(make_case):
    first = make_case("support")
    second = make_case(**other_child(phone="+84 912-345-678"))  # CHILD_PHONE, written otherwise
    (match,) = matches_of(second)
    assert (match.other_case_id, match.kind, match.status) == (first.id, "child", "open")
    assert matches_of(first) == []  # recorded on the new case only


def test_same_date_of_birth_and_family_name_is_a_child_match(make_case):
    first = make_case()
    # "Phạm" again, another given name, no phone: date of birth + family name match.
    second = make_case(**other_child(full_name="Phạm Thị Như", date_of_birth=date(2012, 3, 4),
                                     estimated_age=None, phone=None))
    assert [(m.other_case_id, m.kind) for m in matches_of(second)] == [(first.id, "child")]


def test_different_child_is_no_match_and_tells_no_one(make_case, people):
    make_case()
    second = make_case(**other_child())
    assert matches_of(second) == []
    assert audit_rows(action="case.match_found") == []
    assert db.session.scalars(select(Notification).where(
        Notification.kind == "match_found")).all() == []


def test_reporter_phone_alone_is_not_a_match(make_case):
    from caseapp.cases.data import ReporterData
    from tests.cases.conftest import REPORTER_PHONE

    make_case()
    second = make_case(**{**other_child(),
                          "reporter": ReporterData("Lê Thị Hường", "cô giáo", REPORTER_PHONE)})
    assert matches_of(second) == []


@pytest.mark.parametrize(("earlier", "later", "platforms"), [
    ("https://www.facebook.com/Abc/", "@abc", ("facebook",)),
    ("https://www.facebook.com/Abc.Xyz/", "@abc.xyz", ("facebook",)),
    ("@abc.xyz", "https://m.facebook.com/ABC.xyz", ()),
    ("facebook.com/abc.xyz", "fb.com/abc.xyz/", ()),
    ("https://www.tiktok.com/@abc.xyz?lang=vi", "@Abc.Xyz", ("tiktok",)),
])
def test_offender_handle_in_other_forms_is_an_offender_match(make_case, earlier, later,
                                                             platforms):
    first = make_case(**{**other_child(), "offender_accounts": (OffenderAccountData(earlier),)})
    second = make_case(**{**other_child(full_name="Lý Văn Tài", phone="0966 555 444"),
                          "platforms": platforms,
                          "offender_accounts": (OffenderAccountData("@someone.else"),
                                                OffenderAccountData(later))})
    assert {(m.other_case_id, m.kind) for m in matches_of(second)} == {(first.id, "offender")}


@pytest.mark.parametrize(("earlier", "later"), [
    (OffenderAccountData("https://www.facebook.com/abc.xyz"),
     OffenderAccountData("@abc.xyz", "tiktok")),
    (OffenderAccountData("@abc.xyz", "tiktok"),
     OffenderAccountData("https://www.facebook.com/abc.xyz")),
])
def test_a_bare_name_matches_only_on_its_platform(make_case, earlier, later):
    make_case(**{**other_child(), "platforms": ("tiktok",), "offender_accounts": (earlier,)})
    second = make_case(**{**other_child(full_name="Lý Văn Tài", phone="0966 555 444"),
                          "platforms": ("tiktok",), "offender_accounts": (later,)})
    assert matches_of(second) == []


def test_a_purged_case_never_matches(app, make_case):
    old = make_case("closure")
    clock.travel(timedelta(days=app.config["RETENTION_DAYS"] + 1))
    assert retention.purge() == 1
    db.session.commit()
    young = {"child": {"date_of_birth": None, "estimated_age": 10}}  # years have passed
    new = make_case(**young)  # the same phone, the same offender account
    assert new.child_phone_index is not None and matches_of(new) == []
    # Nor does a purged case whose indexes were somehow left behind.
    old.child_phone_index = new.child_phone_index
    db.session.commit()
    third = make_case(**young)
    assert {m.other_case_id for m in matches_of(third)} == {new.id}


def test_matches_are_capped_newest_first(make_case, monkeypatch):
    monkeypatch.setattr(matching, "MAX_MATCHES_PER_KIND", 2)
    made = []
    for hours in (5, 4, 3):
        made.append(make_case(received_at=clock.now().replace(second=0, microsecond=0)
                              - timedelta(hours=hours)))
    new = make_case()
    child = matches_of(new, "child")
    assert {m.other_case_id for m in child} == {made[2].id, made[1].id}
    assert len(matches_of(new, "offender")) == 2


def test_a_failing_check_never_loses_the_report(make_case, monkeypatch):
    make_case()

    def broken(case, kind):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(matching, "_candidates", broken)
    new = make_case()
    assert db.session.get(Case, new.id) is not None and matches_of(new) == []


# --- no decryption of the other case ---------------------------------------------------------

@pytest.fixture
def forbid_keys(monkeypatch):
    """``forbid_keys(*cases)``: any unwrap of those cases' data keys, or any AES-GCM open
    with them, is recorded (and refused) -- the test then asserts none happened."""
    touched: list[str] = []
    forbidden: set[str] = set()
    real_unwrap, real_open = aead.unwrap_with, aead.FieldKey.open

    def unwrap_with(aesgcm, wrapped, *, data_key_id, kek_version):
        if data_key_id in forbidden:
            touched.append(f"unwrap {data_key_id}")
            raise AssertionError("the other case's data key was unwrapped")
        return real_unwrap(aesgcm, wrapped, data_key_id=data_key_id, kek_version=kek_version)

    def open_(self, blob, aad_prefix, row_id, *, table, column):
        if self.key_id in forbidden:
            touched.append(f"open {table}.{column}")
            raise AssertionError("a value of the other case was decrypted")
        return real_open(self, blob, aad_prefix, row_id, table=table, column=column)

    monkeypatch.setattr(aead, "unwrap_with", unwrap_with)
    monkeypatch.setattr(aead.FieldKey, "open", open_)

    def forbid(*cases):
        forbidden.clear()
        forbidden.update(c.data_key_id for c in cases)
        return touched
    return forbid


def test_duplicate_detection_decrypts_nothing_of_the_other_case(people, login, make_case,
                                                                forbid_keys):
    earlier = make_case("support")
    touched = forbid_keys(earlier)
    counselor = login(people.counselor)
    # Intake on the screen: same child phone, same offender account.
    response = counselor.post("/cases/new", data=intake_form(
        counselor, child_name=SECOND_NAME, child_dob="2011-06-07", child_phone=CHILD_PHONE,
        offender_accounts="facebook.com/ke.la.mat.danh.9999"))
    assert response.status_code == 302
    new = db.session.scalar(select(Case).where(Case.reference == reference_of(response)))
    assert {m.kind for m in matches_of(new)} == {"child", "offender"}
    # Intake through the API too.
    api = counselor.post("/api/v1/cases", headers={"X-CSRFToken": api_token(counselor)},
                         json=api_intake(phone="0912.345.678"))
    assert api.status_code == 201 and api.json["possible_duplicate"] is True
    # The new case's pages, for the counselor, the supervisor, the province supervisor.
    supervisor, officer = login(people.supervisor), login(people.officer)
    for client in (counselor, supervisor, login(people.province_supervisor)):
        assert 'id="matches"' in page(client, new)
    assert touched == []
    # The other way round: the earlier case's pages never open the new case.
    touched = forbid_keys(new)
    assert 'id="matches"' in page(supervisor, earlier)
    # (An open match is not shown to the earlier case's officer: nothing is decided yet.)
    assert 'id="matches"' not in page(officer, earlier)
    assert touched == []
    # The seam works: opening the earlier case's data is caught.
    touched = forbid_keys(earlier)
    officer.get(f"/cases/{earlier.reference}")
    assert touched


def api_intake(**child):
    from tests.case_screens.test_api import intake_json

    body = intake_json()
    body["child"] = {**body["child"], "full_name": SECOND_NAME, **child}
    return body


# --- what each person sees ---------------------------------------------------------------------

def test_intake_counselor_sees_only_ask_the_supervisor(people, login, make_case):
    earlier = make_case("support")
    counselor = login(people.counselor)
    response = counselor.post("/cases/new", data=intake_form(
        counselor, child_name=SECOND_NAME, child_phone=CHILD_PHONE))
    new_ref = reference_of(response)
    html = counselor.get(f"/cases/{new_ref}").get_data(as_text=True)
    section = panel(html)
    assert 'class="match-child"' in section and 'class="match-ask"' in section
    assert "gs.tuan" in section and 'class="match-offender"' not in section
    assert earlier.reference not in html and "HS-" not in section
    assert people.commune.name not in section and 'data-action="match_link"' not in html
    assert "gs.tinh" not in section  # the nearest supervisors only
    # The API says yes or no, nothing more.
    created = counselor.post("/api/v1/cases", headers={"X-CSRFToken": api_token(counselor)},
                             json=api_intake(phone=CHILD_PHONE))
    assert created.status_code == 201
    assert created.json["possible_duplicate"] is True and created.json["repeat_offender"] is False
    assert earlier.reference not in created.get_data(as_text=True)
    fresh = counselor.post("/api/v1/cases", headers={"X-CSRFToken": api_token(counselor)},
                           json={**api_intake(full_name="Hoàng Văn Vui",
                                              date_of_birth="2014-01-01"),
                                 "reporter": {"name": "X", "phone": "0355 999 888"}})
    assert (fresh.json["possible_duplicate"], fresh.json["repeat_offender"]) == (False, False)


def test_no_panel_without_a_match(people, login, make_case):
    case = make_case(**other_child())
    for user in (people.counselor, people.supervisor):
        assert 'id="matches"' not in page(login(user), case)


def test_supervisor_sees_references_and_links(people, login, make_case):
    earlier = make_case("support")
    new = make_case("assessment", lead=people.officer2, child={"full_name": SECOND_NAME})
    supervisor = login(people.supervisor)
    section = panel(page(supervisor, new))
    assert f'href="/cases/{earlier.reference}"' in section
    child_match, offender_match = (matches_of(new, "child")[0], matches_of(new, "offender")[0])
    assert f'/matches/{child_match.id}/link' in section
    response = decide(supervisor, new, child_match)
    assert response.status_code == 302
    db.session.refresh(child_match)
    assert (child_match.status, child_match.decided_by_id) == ("linked", people.supervisor.id)
    assert child_match.decided_at is not None
    entries = audit_rows(action="case.match_linked")
    assert {e.object_id for e in entries} == {earlier.reference, new.reference}
    # Both pages list each other for the supervisor...
    assert new.reference in panel(page(supervisor, earlier))
    assert earlier.reference in panel(page(supervisor, new))
    # ... the officers on each case see "linked", never the reference.
    officer2_page = page(login(people.officer2), new)
    assert 'data-linked="1"' in panel(officer2_page)
    assert earlier.reference not in officer2_page
    officer_page = page(login(people.officer), earlier)
    assert new.reference not in officer_page and 'id="matches"' in officer_page
    # Dismissing the other match, linking twice is refused (422, nothing written).
    assert decide(supervisor, earlier, offender_match, "dismiss").status_code == 302
    db.session.refresh(offender_match)
    assert offender_match.status == "dismissed"
    again = decide(supervisor, new, child_match, "link")
    assert again.status_code == 422
    assert len(audit_rows(action="case.match_linked")) == 2
    # And a link can be undone.
    assert decide(supervisor, new, child_match, "dismiss").status_code == 302
    db.session.refresh(child_match)
    assert child_match.status == "dismissed"


def test_linking_opens_nothing_of_the_other_case(people, login, make_case):
    earlier = make_case("support")  # officer's case
    new = make_case("assessment", lead=people.officer2,
                    child={"full_name": SECOND_NAME})  # officer2's case
    for match in matches_of(new):
        matching.link_match(people.supervisor, match)
    db.session.commit()
    officer2 = login(people.officer2)
    assert officer2.get(f"/cases/{earlier.reference}").status_code == 404
    assert officer2.get(f"/api/v1/cases/{earlier.reference}").status_code == 404
    html = page(officer2, new)
    assert SECOND_NAME in html and "Quỳnh Như" not in html and earlier.reference not in html
    assert not rules.can_view_child_data(people.officer2, earlier)
    with pytest.raises(CaseNotFound):
        queries.load_case(people.officer2, earlier.reference)
    # The supervisor who linked them still sees metadata only.
    sup = page(login(people.supervisor), earlier)
    assert CHILD_NAME not in sup and SECOND_NAME not in sup and 'id="metadata-only"' in sup


def test_an_officer_cannot_decide(people, login, make_case):
    earlier = make_case("support")
    new = make_case("assessment", lead=people.officer2, child={"full_name": SECOND_NAME})
    match = matches_of(new, "child")[0]
    officer2 = login(people.officer2)
    assert decide(officer2, new, match).status_code == 403
    (denial,) = audit_rows(action="case.denied")[-1:]
    assert json.loads(denial.details) == {"action": "match_link"}
    assert denial.actor_id == people.officer2.id
    # Someone outside both cases: 404, audited by the scoped query.
    other = login(people.other_officer)
    before = len(audit_rows(action="case.denied"))
    response = other.post(f"/cases/{new.reference}/matches/{match.id}/link",
                          data={"csrf_token": token(other)})
    assert response.status_code == 404
    assert len(audit_rows(action="case.denied")) == before + 1
    with pytest.raises(PermissionDenied):
        matching.link_match(people.officer, match)
    with pytest.raises(CaseNotFound):
        matching.dismiss_match(people.other_supervisor, match)
    db.session.refresh(match)
    assert match.status == "open" and audit_rows(action="case.match_linked") == []
    assert earlier.id == match.other_case_id


def test_forged_or_misdirected_posts(people, login, make_case):
    make_case("support")
    new = make_case(child={"full_name": SECOND_NAME})
    lone = make_case(**other_child())
    match = matches_of(new, "child")[0]
    supervisor = login(people.supervisor)
    # No CSRF token: 400, nothing changed.
    assert decide(supervisor, new, match, with_token=False).status_code == 400
    # Another case's URL, an unknown id, a junk id: 404.
    assert decide(supervisor, lone, match).status_code == 404
    form = {"csrf_token": token(supervisor)}
    assert supervisor.post(f"/cases/{new.reference}/matches/{'0' * 36}/link",
                           data=form).status_code == 404
    assert supervisor.post(f"/cases/{new.reference}/matches/{CHILD_NAME}/link",
                           data=form).status_code == 404
    assert supervisor.get(f"/cases/{new.reference}/matches/{match.id}/link").status_code == 405
    db.session.refresh(match)
    assert match.status == "open"
    for entry in audit_rows():
        assert CHILD_NAME not in (entry.details or "") and CHILD_NAME not in (entry.object_id
                                                                              or "")


def test_across_units_only_the_common_supervisor_sees_both(people, login, make_case):
    earlier = make_case("support", unit=people.other_district, recorder=people.other_officer,
                        lead=people.other_officer, supervisor=people.other_supervisor)
    new = make_case(child={"full_name": SECOND_NAME})
    match = matches_of(new, "child")[0]
    # The district supervisor: "a case in another unit", who to ask, no reference, no form.
    section = panel(page(login(people.supervisor), new))
    assert earlier.reference not in section and people.other_district.name not in section
    assert "gs.tinh" in section and f"/matches/{match.id}/link" not in section
    assert not match_rules.can_decide_match(people.supervisor, match)
    with pytest.raises(PermissionDenied):
        matching.link_match(people.supervisor, match)
    # The other district's supervisor sees their case's side the same way.
    section = panel(page(login(people.other_supervisor), earlier))
    assert new.reference not in section and people.commune.name not in section
    # The province supervisor sees both and links.
    province = login(people.province_supervisor)
    section = panel(page(province, new))
    assert earlier.reference in section
    assert decide(province, new, match).status_code == 302
    # Notified: the new case's unit's nearest supervisors, the one over both units, and
    # the earlier case's own (an intake is also a question about their child).
    notified = {(n.user_id, n.case_reference) for n in db.session.scalars(
        select(Notification).where(Notification.kind == "match_found"))}
    assert notified == {(people.supervisor.id, new.reference),
                        (people.province_supervisor.id, new.reference),
                        (people.other_supervisor.id, earlier.reference)}
    (entry,) = audit_rows(action="case.matched_by_intake")
    assert entry.object_id == earlier.reference and new.reference not in entry.details
    assert entry.actor_type == "system" and entry.actor_id is None


def test_supervisors_of_the_unit_are_notified(people, make_case):
    earlier = make_case()
    new = make_case(child={"full_name": SECOND_NAME})
    rows = db.session.scalars(select(Notification).where(
        Notification.kind == "match_found")).all()
    # The same unit: its supervisor is told about both cases (each one theirs).
    assert sorted((n.user_id, n.case_reference) for n in rows) == sorted(
        [(people.supervisor.id, new.reference), (people.supervisor.id, earlier.reference)])


def test_audit_entries_carry_no_child_data_and_no_other_reference(people, make_case):
    earlier = make_case()
    new = make_case(child={"full_name": SECOND_NAME})
    (found,) = audit_rows(action="case.match_found")
    details = json.loads(found.details)
    assert found.object_id == new.reference and found.actor_id == people.counselor.id
    assert (details["child"], details["offender"]) == (1, 1)
    assert sorted(details["match_ids"]) == sorted(m.id for m in matches_of(new))
    match = matches_of(new, "offender")[0]
    matching.dismiss_match(people.supervisor, match)
    entries = audit_rows(action="case.match_found") + audit_rows(action="case.match_dismissed")
    assert len(entries) == 3
    assert {e.object_id for e in entries} == {new.reference, earlier.reference}
    for entry in entries:
        details = json.loads(entry.details)
        assert set(details) <= {"child", "offender", "match_ids", "match_id", "kind", "from"}
        assert "HS-" not in entry.details
        for secret in [*SECRETS, SECOND_NAME]:
            assert secret not in entry.details, secret


def test_rules(people, make_case):
    make_case("support")
    new = make_case(child={"full_name": SECOND_NAME})
    match = matches_of(new)[0]
    assert match_rules.can_decide_match(people.supervisor, match)
    assert match_rules.can_decide_match(people.province_supervisor, match)
    for user in (people.counselor, people.officer, people.officer2, people.other_supervisor,
                 people.admin):
        assert not match_rules.can_decide_match(user, match)
        assert not match_rules.can_see_match_references(user, match)
    assert not match_rules.can_see_matches(people.counselor, new)
    matching.dismiss_match(people.supervisor, match)
    with pytest.raises(CaseError):
        matching.dismiss_match(people.supervisor, match)


def test_intakes_are_limited_per_user_across_web_and_api(people, login, app, monkeypatch):
    """A report also asks "is this child known?": a script cannot ask it at will.
    Counted from the audit log: the web form and the API share it, every worker
    agrees, and a refused form does not count."""
    from caseapp.cases.models import Case
    from tests.case_screens.test_web_lifecycle import intake_form

    monkeypatch.setitem(app.config, "INTAKE_LIMIT_PER_HOUR", 2)
    counselor = login(people.counselor)
    csrf = api_token(counselor)
    bad = counselor.post("/cases/new", data=intake_form(counselor, child_name=""))
    assert bad.status_code == 422  # refused input does not use the allowance
    assert counselor.post("/api/v1/cases", headers={"X-CSRFToken": csrf},
                          json=api_intake(phone="0912 000 001")).status_code == 201
    assert counselor.post("/cases/new", data=intake_form(counselor)).status_code == 302
    over = counselor.post("/api/v1/cases", headers={"X-CSRFToken": csrf},
                          json=api_intake(phone="0912 000 003"))
    assert over.status_code == 429
    page = counselor.post("/cases/new", data=intake_form(counselor, child_name="Đinh Thị Mơ"))
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "Đinh Thị Mơ" in html  # the typed report is kept
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    assert audit_rows(action="case.denied")[-1].details == '{"action":"intake_limit"}'
    # Another user is not held back by the first one's limit.
    other = login(people.officer)
    response = other.post("/api/v1/cases", headers={"X-CSRFToken": api_token(other)},
                          json=api_intake(phone="0912 000 009"))
    assert response.status_code == 201


def test_a_restricted_child_is_not_matched(people, make_case):
    """A granted "restrict" request stops the processing of the child's data:
    no new report is matched with it (the offender still is)."""
    from caseapp.data_rights.service import (
        DataAnswerData,
        DataRequestData,
        answer_request,
        record_request,
    )

    earlier = make_case("support")
    row = record_request(people.officer, earlier, DataRequestData("restrict", "child"))
    answer_request(people.supervisor, earlier, row.id, DataAnswerData("granted", "Đồng ý"))
    new = make_case()
    assert {(m.other_case_id, m.kind) for m in matches_of(new)} == {(earlier.id, "offender")}


@pytest.mark.parametrize("handle", ["@", "//", "http://", "facebook.com", "https://tiktok.com/",
                                    "---", "youtube.com/watch", "tiktok.com/foryou",
                                    "https://m.me/", "facebook.com/profile.php?id="])
def test_a_handle_naming_no_account_is_refused(people, handle):
    from caseapp.cases import service
    from tests.cases.conftest import intake_data

    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, intake_data(
            people.commune.code, offender_accounts=(OffenderAccountData(handle, "facebook"),)))
    assert error.value.field == "offender_accounts.0"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_links_to_different_posts_are_different_offenders(make_case):
    """Only what names an account or a post counts: two photo links of one platform
    are not "the same offender" (the id in the query is kept, tracking dropped)."""
    first = make_case(offender_accounts=(OffenderAccountData(
        "https://www.facebook.com/photo.php?fbid=1111&set=a.1", "facebook"),))
    second = make_case(**{**other_child(), "offender_accounts": (OffenderAccountData(
        "https://facebook.com/photo.php?fbid=2222", "facebook"),)})
    assert [m for m in matches_of(second) if m.kind == "offender"] == []
    third = make_case(**{**other_child(full_name="Lý Văn Tài", phone="0966 555 444"),
                         "offender_accounts": (OffenderAccountData(
                             "facebook.com/photo.php?fbid=1111&ref=share", "facebook"),)})
    assert {m.other_case_id for m in matches_of(third) if m.kind == "offender"} == {first.id}
