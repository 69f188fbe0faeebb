"""Awareness sessions: recorded by the unit's own people and the supervisors
above it, refused with a message for bad input (nothing saved), invisible to
other units, audited with facts only, counted per school year."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.awareness.models import AwarenessSession
from caseapp.cases.deadlines import VIETNAM
from caseapp.extensions import db
from tests.case_screens.conftest import token
from tests.cases.conftest import audit_rows

TOPIC = "An toàn trên mạng cho học sinh lớp 8"


def today():
    return clock.now().astimezone(VIETNAM).date()


def form(client, **fields) -> dict:
    base = {"csrf_token": token(client, "/awareness"), "unit": "XA",
            "held_on": today().isoformat(), "audiences": ["children", "teachers"],
            "attendees": "120", "topic": TOPIC, "notes": ""}
    base.update(fields)
    return base


def count() -> int:
    return db.session.scalar(select(func.count(AwarenessSession.id)))


def test_a_counselor_records_a_session_of_their_unit(people, login):
    client = login(people.counselor)
    response = client.post("/awareness", data=form(client))
    assert response.status_code == 302
    (session,) = db.session.scalars(select(AwarenessSession)).all()
    assert (session.unit.code, session.attendees, session.audiences) == (
        "XA", 120, ("children", "teachers"))
    (entry,) = audit_rows(action="awareness.create")
    details = json.loads(entry.details)
    assert details["facts"][:3] == [today().isoformat(), 120, "children,teachers"]
    assert TOPIC not in entry.details  # free text stays out of the log
    page = client.get("/awareness").get_data(as_text=True)
    assert TOPIC in page and f'data-id="{session.id}"' in page


@pytest.mark.parametrize("fields,message", [
    ({"held_on": "01/01/2030"}, "không phải ngày trong tương lai"),
    ({"held_on": "2099-01-01"}, "quá xa trong tương lai"),
    ({"held_on": "hôm qua"}, "Nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/09/2011."),
    ({"held_on": "31/02/2026"}, "Ngày này không có trên lịch"),
    ({"audiences": []}, "Chọn đối tượng"),
    ({"audiences": ["children", "pirates"]}, "Chọn đối tượng"),
    ({"attendees": "0"}, "từ 1 đến 100.000"),
    ({"attendees": "mười"}, "từ 1 đến 100.000"),
    ({"attendees": "100001"}, "từ 1 đến 100.000"),
    ({"topic": "   "}, "chủ đề"),
    ({"topic": "x" * 201}, "chủ đề"),
    ({"notes": "x" * 2001}, "2.000 ký tự"),
    ({"unit": "HUYEN2"}, "Chọn một đơn vị"),
    ({"unit": "HUYEN"}, "Chọn một đơn vị"),  # the counselor's unit is XA, not above it
])
def test_bad_input_is_refused_with_a_message_and_nothing_saved(people, login, fields, message):
    client = login(people.counselor)
    response = client.post("/awareness", data=form(client, **fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count() == 0
    assert audit_rows(action="awareness.create") == []


def test_a_post_without_the_form_token_is_refused(people, login):
    client = login(people.counselor)
    data = form(client)
    del data["csrf_token"]
    assert client.post("/awareness", data=data).status_code == 400
    assert count() == 0


def test_supervisors_above_record_and_edit_other_units_do_not_see(people, login):
    supervisor = login(people.supervisor)
    assert supervisor.post("/awareness", data=form(supervisor)).status_code == 302
    (session,) = db.session.scalars(select(AwarenessSession)).all()
    # The province's supervisor may edit it; a sibling district's may not even see it.
    province = login(people.province_supervisor)
    assert province.get(f"/awareness/{session.id}").status_code == 200
    other = login(people.other_supervisor)
    assert other.get(f"/awareness/{session.id}").status_code == 404
    assert TOPIC not in other.get("/awareness").get_data(as_text=True)
    refused = other.post(f"/awareness/{session.id}", data={
        **form(other, unit=""), "topic": "đã sửa", "version": "1"})
    assert refused.status_code == 404
    assert other.post(f"/awareness/{session.id}/delete", data={
        "csrf_token": token(other, "/awareness"), "confirm": "y"}).status_code == 404
    # The district's officer sees the commune's sessions (below theirs); an officer of
    # the sibling district does not, nor may they open it.
    assert TOPIC in login(people.officer2).get("/awareness").get_data(as_text=True)
    sibling = login(people.other_officer)
    assert TOPIC not in sibling.get("/awareness").get_data(as_text=True)
    assert sibling.get(f"/awareness/{session.id}").status_code == 404
    db.session.refresh(session)
    assert session.topic == TOPIC


def test_edit_checks_the_version_and_delete_is_audited(people, login):
    client = login(people.counselor)
    client.post("/awareness", data=form(client))
    (session,) = db.session.scalars(select(AwarenessSession)).all()
    edit = f"/awareness/{session.id}"
    saved = client.post(edit, data={**form(client), "csrf_token": token(client, edit),
                                    "attendees": "80", "version": "1"})
    assert saved.status_code == 302
    stale = client.post(edit, data={**form(client), "csrf_token": token(client, edit),
                                    "attendees": "999", "version": "1"})
    assert stale.status_code == 302
    db.session.refresh(session)
    assert (session.attendees, session.version) == (80, 2)
    bad = client.post(edit, data={**form(client), "csrf_token": token(client, edit),
                                  "attendees": "-3", "version": "2"})
    assert bad.status_code == 422
    db.session.refresh(session)
    assert session.attendees == 80
    unconfirmed = client.post(f"{edit}/delete", data={"csrf_token": token(client, edit)})
    assert unconfirmed.status_code == 422 and "Đánh dấu" in unconfirmed.get_data(as_text=True)
    assert count() == 1
    gone = client.post(f"{edit}/delete", data={"csrf_token": token(client, edit),
                                               "confirm": "y"})
    assert gone.status_code == 302
    assert count() == 0
    assert [json.loads(r.details)["facts"][1] for r in audit_rows(action="awareness.update")] \
        == [80]
    assert len(audit_rows(action="awareness.delete")) == 1


def test_the_figures_show_the_schools_without_a_session(people, login, make_unit):
    school = make_unit("THCS1", parent=people.district, name="Trường THCS Số 1")
    admin_service.set_school_type("system", school, "lower_secondary")
    admin_service.set_school_type("system", people.commune, "primary")
    db.session.commit()
    supervisor = login(people.supervisor)
    page = supervisor.get("/figures").get_data(as_text=True)
    assert 'data-unit="THCS1"' in page and 'data-unit="XA"' in page
    assert "0 trên 2 trường" in page
    supervisor.post("/awareness", data=form(supervisor, unit="THCS1"))
    page = supervisor.get("/figures").get_data(as_text=True)
    assert 'data-unit="THCS1"' not in page and 'data-unit="XA"' in page
    assert "1 trên 2 trường" in page
    # Last school year's session does not count for this one.
    last_year = today() - timedelta(days=400)
    supervisor.post("/awareness", data=form(supervisor, unit="XA",
                                            held_on=last_year.isoformat()))
    assert 'data-unit="XA"' in supervisor.get("/figures").get_data(as_text=True)
    # The other district's supervisor counts none of these schools.
    other = login(people.other_supervisor)
    assert "THCS1" not in other.get("/figures").get_data(as_text=True)


def test_an_admin_marks_a_school_and_it_is_audited(people, login):
    admin = login(people.admin)
    response = admin.post("/admin/units/school", data={
        "csrf_token": token(admin, "/admin/units"), "unit": "XA",
        "school_type": "upper_secondary"})
    assert response.status_code == 302
    db.session.refresh(people.commune)
    assert people.commune.school_type == "upper_secondary"
    (entry,) = audit_rows(action="unit.school")
    assert json.loads(entry.details) == {"school": "upper_secondary"}
    bad = admin.post("/admin/units/school", data={
        "csrf_token": token(admin, "/admin/units"), "unit": "XA", "school_type": "castle"})
    assert bad.status_code in (400, 422)
    db.session.refresh(people.commune)
    assert people.commune.school_type == "upper_secondary"
    # Not an admin: refused.
    supervisor = login(people.supervisor)
    refused = supervisor.post("/admin/units/school", data={
        "csrf_token": token(supervisor, "/awareness"), "unit": "XA", "school_type": ""})
    assert refused.status_code == 403


def test_a_communes_counselor_records_the_session_held_at_its_school(people, login,
                                                                     make_unit):
    school = make_unit("THCS-XA", parent=people.commune, name="Liên đội THCS xã")
    admin_service.set_school_type("system", school, "lower_secondary")
    db.session.commit()
    client = login(people.counselor)
    page = client.get("/awareness").get_data(as_text=True)
    assert "Liên đội THCS xã" in page and 'value="THCS-XA"' in page
    # With two units to choose from, none is chosen for them.
    assert client.post("/awareness", data=form(client, unit="")).status_code == 422
    assert client.post("/awareness", data=form(client, unit="THCS-XA")).status_code == 302
    assert "1 / 1" in client.get("/awareness").get_data(as_text=True)


def test_every_wrong_field_is_named_at_once(people, login):
    client = login(people.counselor)
    response = client.post("/awareness", data=form(client, held_on="", audiences=[],
                                                   attendees="0", topic=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("không phải ngày trong tương lai", "Chọn đối tượng", "từ 1 đến 100.000",
                    "chủ đề"):
        assert message in html


def test_a_session_of_last_school_year_says_where_it_went(people, login):
    client = login(people.counselor)
    day = today() - timedelta(days=400)
    response = client.post("/awareness", data=form(client, held_on=day.isoformat()),
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and TOPIC in html
    assert "năm học" in html and "-" in html.split("năm học", 1)[1][:20]


def test_admins_have_no_awareness_pages(people, login):
    admin = login(people.admin)
    assert admin.get("/awareness").status_code == 403
    assert 'href="/awareness"' not in admin.get("/admin/units").get_data(as_text=True)


@pytest.mark.parametrize("fields", [{"topic": "a\x00b"}, {"notes": "n\x00"},
                                    {"topic": "\u202eevil"}])
def test_control_characters_are_refused(people, login, fields):
    client = login(people.counselor)
    response = client.post("/awareness", data=form(client, **fields))
    assert response.status_code == 422
    assert "ký tự không được phép" in response.get_data(as_text=True)
    assert count() == 0


@pytest.mark.parametrize("path", ["/awareness/%00", "/awareness/abc", "/awareness/" + "9" * 40])
def test_odd_ids_are_not_found(people, login, path):
    assert login(people.counselor).get(path).status_code == 404


def test_notes_are_sealed_and_refusals_recorded(people, login):
    from sqlalchemy import text

    secret = "Ghi chú riêng của buổi"
    client = login(people.counselor)
    client.post("/awareness", data=form(client, notes=secret))
    (session,) = db.session.scalars(select(AwarenessSession)).all()
    raw = db.session.execute(text("SELECT notes FROM awareness_sessions")).scalar()
    assert raw and secret.encode() not in bytes(raw)
    assert secret in client.get(f"/awareness/{session.id}").get_data(as_text=True)
    assert secret not in client.get("/awareness").get_data(as_text=True)
    other = login(people.other_officer)
    assert other.get(f"/awareness/{session.id}").status_code == 404
    assert len(audit_rows(action="awareness.denied")) == 1
    other.post("/awareness", data=form(other, unit="XA"))
    assert len(audit_rows(action="awareness.denied")) == 2
    # Deleting shreds the notes' key.
    key_id, session_id = session.data_key_id, session.id
    edit = f"/awareness/{session.id}"
    client.post(f"{edit}/delete", data={"csrf_token": token(client, edit), "confirm": "y"})
    db.session.expire_all()
    # The row and the wrapped key on it are gone (shredded first, then deleted).
    assert db.session.get(AwarenessSession, session_id) is None
    assert db.session.scalar(select(AwarenessSession).where(
        AwarenessSession.data_key_id == key_id)) is None
