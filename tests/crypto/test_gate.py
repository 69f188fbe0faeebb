"""The decryption gate: no grant, no plaintext."""
from __future__ import annotations

import threading

import pytest
from flask import jsonify

from caseapp.crypto import (
    AccessNotGranted,
    Grant,
    IssuerNotAllowed,
    current_scope,
    key_scope,
    new_data_key,
    unlock,
)
from caseapp.crypto import grants as grants_module

from .conftest import SampleCase, SampleNote, grant_for, limited_grant, tdb


def seed(session, keyring, name="Lê Thị Hồng"):
    with key_scope(keyring):
        case = SampleCase()
        new_data_key(session, case)
        case.child_name = name
        session.add(case)
        session.commit()
        case_id = case.id
    session.expunge_all()
    return case_id


def test_reading_without_a_scope(session, keyring):
    case_id = seed(session, keyring)
    case = session.get(SampleCase, case_id)
    with pytest.raises(AccessNotGranted, match="no key scope"):
        case.child_name  # noqa: B018
    with pytest.raises(AccessNotGranted):
        case.child_name = "overwrite"


def test_reading_without_unlock(session, keyring):
    case_id = seed(session, keyring)
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        with pytest.raises(AccessNotGranted, match="not unlocked"):
            case.child_name  # noqa: B018
        with pytest.raises(AccessNotGranted):
            case.child_name = "overwrite"


def test_unlock_needs_a_covering_grant(session, keyring):
    a_id, b_id = seed(session, keyring), seed(session, keyring)
    with key_scope(keyring):
        a, b = session.get(SampleCase, a_id), session.get(SampleCase, b_id)
        with pytest.raises(AccessNotGranted, match="does not cover"):
            unlock(b, grant=grant_for(a))
        with pytest.raises(AccessNotGranted):
            unlock([a, b], grant=grant_for(a))
        with pytest.raises(AccessNotGranted):
            b.child_name  # noqa: B018
        unlock(a, grant=grant_for(a))
        assert a.child_name == "Lê Thị Hồng"


def test_unlock_needs_a_scope(session, keyring):
    case_id = seed(session, keyring)
    case = session.get(SampleCase, case_id)
    with pytest.raises(AccessNotGranted, match="no key scope"):
        unlock(case, grant=grant_for(case))


def test_grants_cannot_be_forged(session, keyring):
    case_id = seed(session, keyring)
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        with pytest.raises(IssuerNotAllowed):
            Grant(reason="x", actor_id="me", owner_ids=frozenset([case_id]),
                  capability=object())
        fake = object.__new__(Grant)
        with pytest.raises(AccessNotGranted, match="Grant issued by"):
            unlock(case, grant=fake)

        class LookAlike:
            owner_ids = frozenset([case_id])

            def covers(self, _):
                return True
        with pytest.raises(AccessNotGranted):
            unlock(case, grant=LookAlike())
        with pytest.raises(AccessNotGranted):
            case.child_name  # noqa: B018


def test_only_registered_modules_issue_grants():
    with pytest.raises(IssuerNotAllowed, match="caseapp.permissions"):
        grants_module.issue_grant("case.view", "u1", "some-case")
    assert "caseapp.permissions" in grants_module.registered_issuers()


def test_grants_are_immutable(session, keyring):
    case_id = seed(session, keyring)
    case = session.get(SampleCase, case_id)
    g = grant_for(case)
    with pytest.raises(AttributeError):
        g.owner_ids = frozenset(["other"])
    with pytest.raises(AttributeError):
        del g.reason
    assert repr(g) == "<Grant 'test.view' actor=tester owners=1>"


def test_closed_scope_forgets_keys(session, keyring):
    case_id = seed(session, keyring)
    with key_scope(keyring) as scope:
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        assert case.child_name
    assert current_scope() is None
    assert repr(scope) == "<KeyScope closed>"
    with pytest.raises(AccessNotGranted):
        case.child_name  # noqa: B018


def test_nested_scope_starts_empty(session, keyring):
    case_id = seed(session, keyring)
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        with key_scope(keyring), pytest.raises(AccessNotGranted):
            case.child_name  # noqa: B018
        assert case.child_name == "Lê Thị Hồng"


def test_threads_do_not_share_scopes(session, keyring):
    case_id = seed(session, keyring)
    outcome = {}
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        session.refresh(case)
        ciphertext_loaded = case._sealed_child_name  # noqa: F841

        def other_thread():
            try:
                case.child_name  # noqa: B018
                outcome["result"] = "read"
            except AccessNotGranted:
                outcome["result"] = "denied"
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert outcome["result"] == "denied"


def test_per_request_scope_in_flask(app, session, keyring):
    case_id = seed(session, keyring)

    @app.get("/skip-check/<case_id>")
    def skip_check(case_id):
        case = tdb.session.get(SampleCase, case_id)
        return jsonify(name=case.child_name)  # no permission check: must fail

    @app.get("/checked/<case_id>")
    def checked(case_id):
        case = tdb.session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        return jsonify(name=case.child_name)

    @app.get("/scope")
    def scope_state():
        return jsonify(open=current_scope() is not None)

    app.config["PROPAGATE_EXCEPTIONS"] = True
    client = app.test_client()
    with pytest.raises(AccessNotGranted):
        client.get(f"/skip-check/{case_id}")
    assert client.get(f"/checked/{case_id}").json == {"name": "Lê Thị Hồng"}
    assert client.get("/scope").json == {"open": True}
    # Between requests no scope lingers, and the next request starts empty.
    assert current_scope() is None
    with pytest.raises(AccessNotGranted):
        client.get(f"/skip-check/{case_id}")


def test_creator_is_authorised_via_new_data_key(session, keyring):
    with key_scope(keyring):
        case = SampleCase()
        new_data_key(session, case)
        case.child_name = "mới"
        assert case.child_name == "mới"
        with pytest.raises(ValueError):
            new_data_key(session, case)
    with pytest.raises(AccessNotGranted):
        new_data_key(session, SampleCase())


# --- column-limited grants: a purpose-bound reading ------------------------------------------

def seed_with_note(session, keyring):
    with key_scope(keyring):
        case = SampleCase()
        new_data_key(session, case)
        case.child_name, case.child_phone, case.narrative = "Lê Thị Hồng", "0912345678", "n"
        note = SampleNote(case=case)
        note.text, note.summary = "the plan", "contacts inside"
        session.add_all([case, note])
        session.commit()
        ids = case.id, note.id
    session.expunge_all()
    return ids


def test_a_limited_grant_opens_its_columns_and_no_other(session, keyring):
    case_id, note_id = seed_with_note(session, keyring)
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        note = session.get(SampleNote, note_id)
        unlock(case, grant=limited_grant(case, columns={"sample_notes.text",
                                                        "sample_cases.narrative"}))
        assert note.text == "the plan"
        assert case.narrative == "n"
        for read in (lambda: case.child_name, lambda: case.child_phone, lambda: note.summary):
            with pytest.raises(AccessNotGranted, match="other columns only"):
                read()
        with pytest.raises(AccessNotGranted):
            case.child_phone = "0999999999"  # writing is limited alike
        # A second limited grant adds its columns; a full grant opens the rest.
        unlock(case, grant=limited_grant(case, columns={"sample_notes.summary"}))
        assert note.summary == "contacts inside"
        with pytest.raises(AccessNotGranted):
            case.child_name  # noqa: B018
        unlock(case, grant=grant_for(case))
        assert case.child_name == "Lê Thị Hồng"


def test_a_limited_grant_never_narrows_a_full_one(session, keyring):
    case_id, _ = seed_with_note(session, keyring)
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        unlock(case, grant=limited_grant(case, columns={"sample_notes.text"}))
        assert case.child_phone == "0912345678"


def test_a_limited_grant_names_columns(session, keyring):
    case_id, _ = seed_with_note(session, keyring)
    case = session.get(SampleCase, case_id)
    for bad in (set(), {"text"}, {""}):
        with pytest.raises(ValueError):
            limited_grant(case, columns=bad)


def test_limited_keys_do_not_outlive_the_scope(session, keyring):
    case_id, note_id = seed_with_note(session, keyring)
    with key_scope(keyring) as scope:
        case = session.get(SampleCase, case_id)
        unlock(case, grant=limited_grant(case, columns={"sample_notes.text"}))
    assert not scope._limited
    with key_scope(keyring):
        note = session.get(SampleNote, note_id)
        with pytest.raises(AccessNotGranted, match="not unlocked"):
            note.text  # noqa: B018
