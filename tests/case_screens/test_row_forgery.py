"""Rows that grant access cannot be forged in the database.

Each test is a database writer without the key file: they insert an
assignment, raise a role, re-enable an account, move a case to their unit or
lift a restriction by hand. Each forgery opens nothing, and the first read of
the forged row is reported in the audit log as "integrity.violation".
"""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select, text

from caseapp import clock
from caseapp.admin import service as admin_service
from caseapp.cases.models import Case
from caseapp.crypto import AccessNotGranted, key_scope
from caseapp.extensions import db
from tests.cases.conftest import CHILD_NAME, audit_count
from tests.conftest import Auth

from .conftest import api_token, enrol


def forge(sql: str, **params) -> None:
    """What a database writer does: plain SQL, no app, no keys."""
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def violations(object_id: str) -> int:
    return audit_count(action="integrity.violation", object_id=object_id)


def test_an_assignment_inserted_by_hand_gives_no_case(people, make_case, login):
    case = make_case("support", lead=people.officer)
    outsider = people.other_officer
    forge("INSERT INTO case_assignees (case_id, user_id, assigned_at, assigned_by_id) "
          "VALUES (:c, :u, :t, :by)", c=case.id, u=outsider.id, t=clock.now(),
          by=people.supervisor.id)
    client = login(outsider)
    assert client.get(f"/cases/{case.reference}").status_code == 404
    assert case.reference not in client.get("/cases").get_data(as_text=True)
    assert client.get(f"/api/v1/cases/{case.reference}").status_code == 404
    assert violations(outsider.id) >= 1  # each attempt is reported
    # The genuine lead officer still works on the case.
    lead = login(people.officer)
    assert CHILD_NAME in lead.get(f"/cases/{case.reference}").get_data(as_text=True)


def test_an_assignment_copied_from_another_case_gives_no_case(people, make_case, login):
    """A genuine row's MAC copied onto a row for another case does not match it."""
    theirs = make_case("support", lead=people.officer, assignees=(people.officer2,))
    target = make_case("support", lead=people.officer)
    row = db.session.execute(text("SELECT assigned_at, assigned_by_id, access_mac FROM "
                                  "case_assignees WHERE case_id = :c"), {"c": theirs.id}).one()
    forge("INSERT INTO case_assignees (case_id, user_id, assigned_at, assigned_by_id, access_mac)"
          " VALUES (:c, :u, :t, :by, :m)", c=target.id, u=people.officer2.id,
          t=row.assigned_at, by=row.assigned_by_id, m=row.access_mac)
    client = login(people.officer2)
    assert client.get(f"/cases/{theirs.reference}").status_code == 200
    assert client.get(f"/cases/{target.reference}").status_code == 404


def test_a_role_raised_by_hand_logs_the_account_out_and_in_nowhere(app, people, make_case):
    case = make_case("support")
    client = app.test_client()
    counselor = enrol(people.counselor)
    assert Auth(client).login(counselor, follow=False).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    forge("UPDATE users SET role = 'supervisor', unit_id = :u WHERE id = :i",
          u=people.district.id, i=people.counselor.id)
    assert client.get("/api/v1/me").status_code == 401  # the session no longer has a user
    assert client.get(f"/cases/{case.reference}").status_code == 302  # to the login page
    fresh = app.test_client()
    answer = Auth(fresh).login(counselor)
    assert answer.status_code == 401  # refused like a wrong password
    assert fresh.get("/api/v1/me").status_code == 401
    assert violations(people.counselor.id) >= 1


def test_an_account_enabled_by_hand_stays_shut(app, people, make_user):
    from caseapp.accounts import service

    made = make_user("counselor")
    admin_service.set_enabled(service.SYSTEM, made.user, False)
    db.session.commit()
    forge("UPDATE users SET is_enabled = :t WHERE id = :i", t=True, i=made.user.id)
    client = app.test_client()
    answer = Auth(client).login(made)
    assert answer.status_code == 401  # the login form again, with the same refusal
    assert client.get("/api/v1/me").status_code == 401


def test_a_case_moved_to_another_unit_by_hand_opens_nothing_there(people, make_case, login):
    case = make_case("support")
    forge("UPDATE cases SET unit_id = :u WHERE id = :i", u=people.other_district.id, i=case.id)
    client = login(people.other_supervisor)
    assert client.get(f"/cases/{case.reference}").status_code == 404
    assert case.reference not in client.get("/supervision").get_data(as_text=True)
    assert violations(case.reference) + violations(case.id) >= 1


def test_a_restriction_lifted_by_hand_opens_nothing(people, make_case, login):
    case = make_case("support")
    db.session.get(Case, case.id)
    forge("UPDATE cases SET restricted_at = :t WHERE id = :i", t=clock.now(), i=case.id)
    # Restricted through the app would need a supervisor's grant; here the writer
    # first sets it, and the app refuses the row: nobody reads the child.
    client = login(people.officer)
    assert client.get(f"/cases/{case.reference}").status_code == 404


def test_the_api_list_leaves_out_a_forged_row(people, make_case, login):
    case = make_case("support", lead=people.officer)
    forge("UPDATE cases SET lead_officer_id = :o WHERE id = :i", o=people.officer2.id,
          i=case.id)
    client = login(people.officer2)
    listed = client.get("/api/v1/cases").json["cases"]
    assert case.reference not in [c["reference"] for c in listed]
    assert api_token(client)


def test_seal_rows_seals_only_rows_without_a_mac(people, make_case):
    """What `caseapp keys seal-rows` does once after the upgrade that added row MACs."""
    from caseapp.crypto.row_integrity import is_intact, seal_rows, sealed_models, unsealed_rows

    case = make_case("support")
    forge("UPDATE users SET access_mac = NULL WHERE id = :i", i=people.officer2.id)
    forge("UPDATE users SET role = 'supervisor' WHERE id = :i", i=people.officer.id)
    found = unsealed_rows(db.session, sealed_models())
    assert [u.id for u in found["users"]] == [people.officer2.id]
    assert set(found) == {"users", "cases", "case_assignees", "break_glass_accesses", "units",
                          "account_changes", "case_transfers", "partner_tokens"}
    assert seal_rows(db.session, found["users"]) == 1
    db.session.commit()
    db.session.expire_all()
    officer2 = db.session.get(type(people.officer2), people.officer2.id)
    officer = db.session.get(type(people.officer), people.officer.id)
    assert is_intact(officer2) and not is_intact(officer)
    assert case.reference


def test_a_row_put_back_with_its_old_mac_is_refused(app, people, make_user):
    """Rollback: a disabled account re-enabled by writing back its earlier row
    (with the earlier, genuine MAC) no longer matches the newest anchor."""
    from caseapp.accounts import service

    made = make_user("counselor")
    old = db.session.execute(text("SELECT is_enabled, access_mac, access_version FROM users "
                                  "WHERE id = :i"), {"i": made.user.id}).one()
    admin_service.set_enabled(service.SYSTEM, made.user, False)
    db.session.commit()
    forge("UPDATE users SET is_enabled = :e, access_mac = :m, access_version = :v "
          "WHERE id = :i", e=old.is_enabled, m=old.access_mac, v=old.access_version,
          i=made.user.id)
    client = app.test_client()
    assert Auth(client).login(made).status_code == 401
    assert violations(made.user.id) >= 1


def _forge_anchor(row, version: int, *, chained: bool = True) -> None:
    """Append a "row.sealed" entry naming ``version`` for ``row``, as a database
    writer can (at the head, chained to the head's MAC when ``chained``), but
    without the key: its own MAC is made up."""
    from caseapp.crypto.row_integrity import row_anchor_id

    head = db.session.execute(text("SELECT seq, mac FROM audit_entries ORDER BY seq DESC "
                                   "LIMIT 1")).one()
    forge("INSERT INTO audit_entries (seq, occurred_at, actor_type, action, object_type, "
          "object_id, outcome, details, prev_mac, mac) VALUES (:seq, :at, 'system', "
          "'row.sealed', 'users', :obj, 'ok', :details, :prev, :mac)",
          seq=head.seq + 1, at=clock.now(), obj=row_anchor_id(row),
          details=f'{{"version":{version}}}', prev=head.mac if chained else "0" * 64,
          mac="f" * 64)


@pytest.mark.parametrize("chained", [True, False])
def test_a_row_put_back_with_a_forged_anchor_entry_is_refused(app, people, make_user, chained):
    """Rollback with the anchor forged too: the earlier row (genuine MAC) and a
    "row.sealed" entry naming its version appended at the log's head. The entry
    is not genuine, so the row is not believed; the genuine newest entry is
    not looked past either."""
    from caseapp.accounts import service

    made = make_user("counselor")
    old = db.session.execute(text("SELECT is_enabled, access_mac, access_version FROM users "
                                  "WHERE id = :i"), {"i": made.user.id}).one()
    admin_service.set_enabled(service.SYSTEM, made.user, False)
    db.session.commit()
    forge("UPDATE users SET is_enabled = :e, access_mac = :m, access_version = :v "
          "WHERE id = :i", e=old.is_enabled, m=old.access_mac, v=old.access_version,
          i=made.user.id)
    _forge_anchor(made.user, old.access_version, chained=chained)
    client = app.test_client()
    assert Auth(client).login(made).status_code == 401
    assert violations(made.user.id) >= 1


def test_a_removed_assignment_put_back_is_refused(people, make_case, login):
    from caseapp.cases import service
    from caseapp.cases.data import AssignmentData

    case = make_case("support", lead=people.officer, assignees=(people.officer2,))
    row = db.session.execute(text("SELECT * FROM case_assignees WHERE case_id = :c"),
                             {"c": case.id}).mappings().one()
    service.assign(people.supervisor, case, AssignmentData(people.officer.id, ()))
    db.session.commit()
    forge("INSERT INTO case_assignees (case_id, user_id, assigned_at, assigned_by_id, "
          "access_mac, access_version) VALUES (:case_id, :user_id, :assigned_at, "
          ":assigned_by_id, :access_mac, :access_version)", **dict(row))
    client = login(people.officer2)
    assert client.get(f"/cases/{case.reference}").status_code == 404


def test_a_password_hash_copied_from_another_account_opens_nothing(app, people, make_user):
    """The attacker's own hash on the victim's row: the row MAC covers credentials."""
    mine = make_user("counselor")
    victim = make_user("officer")
    forge("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = :m), "
          "totp_enabled_at = NULL WHERE id = :v", m=mine.user.id, v=victim.user.id)
    client = app.test_client()
    answer = Auth(client).login(victim, password=mine.password)
    assert answer.status_code == 401
    assert client.get("/login/enrol").status_code == 302  # no enrolment offered


def test_a_unit_moved_under_another_by_hand_widens_nobodys_scope(people, make_case, login):
    case = make_case("support")
    forge("UPDATE units SET path = :p WHERE id = :i",
          p=people.other_district.path + f"{people.commune.id}/", i=people.commune.id)
    client = login(people.other_supervisor)
    assert client.get(f"/cases/{case.reference}").status_code == 404
    assert case.reference not in client.get("/cases").get_data(as_text=True)


def test_a_forged_account_change_cannot_be_confirmed(app, people, make_user):
    from caseapp.admin import changes
    from caseapp.permissions import PermissionDenied

    forge("INSERT INTO account_changes (id, user_id, kind, status, new_role, new_unit_id, "
          "requested_by_id, requested_at) VALUES ('11111111-1111-1111-1111-111111111111', :u, "
          "'role_unit', 'pending', 'supervisor', :unit, NULL, :t)",
          u=people.officer.id, unit=people.district.id, t=clock.now())
    change = changes.load("11111111-1111-1111-1111-111111111111")
    assert change not in changes.decidable_by(people.supervisor)
    import pytest

    with pytest.raises(PermissionDenied):
        changes.confirm(people.supervisor, change)
    assert people.officer.role == "officer"


def test_a_case_key_copied_onto_a_kept_form_opens_nothing_of_the_case(people, make_case):
    """A database writer copies a case's key columns onto their own kept form
    (no row MAC there) and opens the form under their own grant: the key is
    admitted for the form's row only, and the case's fields stay closed."""
    from sqlalchemy import select, update

    from caseapp.accounts import kept
    from caseapp.accounts.models import KeptForm

    victim = make_case("assessment")
    attacker = people.other_officer
    with key_scope():
        kept.keep(attacker.id, "/home", "x", {"a": ["b"]})
    db.session.commit()
    row = db.session.execute(select(Case.data_key_id, Case.data_key_wrapped,
                                    Case.data_key_version).where(Case.id == victim.id)).one()
    db.session.execute(update(KeptForm.__table__).where(KeptForm.user_id == attacker.id)
                       .values(data_key_id=row[0], data_key_wrapped=row[1],
                               data_key_version=row[2]))
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, victim.id)
    with key_scope():
        with contextlib.suppress(Exception):  # the form's own text no longer opens
            kept.waiting_page(attacker)
        with pytest.raises(AccessNotGranted):
            _ = case.child_full_name
        with pytest.raises(AccessNotGranted):
            _ = case.narrative


def test_a_unit_put_back_with_a_forged_anchor_takes_no_session(app, people, make_unit, login):
    """A school moved out of the supervisor's district by the app, then put back
    by a database writer (its earlier row, genuine MAC) with a "row.sealed"
    entry naming that version: the session form's choices read anchors in
    bulk (not MAC-checked, fine for a list); the unit a session is filed under
    is checked in full before them, so the forged entry is not believed (review)."""
    from caseapp.awareness.models import AwarenessSession
    from caseapp.units.models import Unit
    from tests.awareness.test_sessions import form

    school = make_unit("TRUONG", parent=people.district)
    old = db.session.execute(text("SELECT parent_id, path, access_mac, access_version FROM "
                                  "units WHERE id = :i"), {"i": school.id}).one()
    school.parent_id = people.other_district.id  # a move the app makes: sealed anew
    school.path = people.other_district.path + f"{school.id}/"
    db.session.commit()
    forge("UPDATE units SET parent_id = :p, path = :path, access_mac = :m, access_version = :v "
          "WHERE id = :i", p=old.parent_id, path=old.path, m=old.access_mac,
          v=old.access_version, i=school.id)
    _forge_anchor(db.session.get(Unit, school.id), old.access_version)
    client = login(people.supervisor)
    answer = client.post("/awareness", data=form(client, unit="TRUONG"))
    assert answer.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(AwarenessSession)) == 0
