"""Declaring and using sealed fields: round trips, types, repr, introspection."""
from __future__ import annotations

import logging
import pickle
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import LargeBinary, select

from caseapp.crypto import (
    AccessNotGranted,
    DecryptionError,
    Sealed,
    current_scope,
    destroy_owner_key,
    key_scope,
    new_data_key,
    sealed_fields,
    unlock,
)

from .conftest import (
    SampleCase,
    SampleGuardian,
    SampleNote,
    SampleReporter,
    grant_for,
    raw_files,
)

VIETNAMESE = st.text(
    alphabet=st.one_of(
        st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩị"
                        "òóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐĂÂÊÔƠƯ "),
        st.characters(codec="utf-8")),
    max_size=300)
JSONABLE = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12)


def make_case(session, keyring, **values) -> SampleCase:
    case = SampleCase()
    new_data_key(session, case)
    for name, value in values.items():
        setattr(case, name, value)
    session.add(case)
    return case


def test_sealed_adds_a_private_binary_column():
    table = SampleCase.__table__
    assert isinstance(table.c.child_name.type, LargeBinary)
    assert table.c.child_name.nullable
    assert "_sealed_child_name" in SampleCase.__mapper__.column_attrs
    assert "child_name" not in SampleCase.__mapper__.attrs
    assert set(sealed_fields(SampleCase)) == {"child_name", "child_dob", "child_phone",
                                              "narrative", "details", "attachment"}
    # the wrapped data key lives on the owner's own row
    assert table.c.data_key_id.unique and not table.c.data_key_id.foreign_keys
    assert isinstance(table.c.data_key_wrapped.type, LargeBinary)
    assert {"data_key_version", "data_key_destroyed_at"} <= set(table.c.keys())


def test_id_assigned_at_construction():
    case = SampleCase()
    assert isinstance(case.id, str) and len(case.id) == 36
    assert SampleCase(id="x-given").id == "x-given"


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=VIETNAMESE, dob=st.dates(), narrative=st.text(max_size=2000),
       details=st.dictionaries(st.text(max_size=10), JSONABLE, max_size=5),
       attachment=st.binary(max_size=4096))
def test_round_trip_through_the_database(session, keyring, name, dob, narrative, details,
                                         attachment):
    with key_scope(keyring):
        case = make_case(session, keyring, child_name=name, child_dob=dob,
                         narrative=narrative, details=details, attachment=attachment)
        note = SampleNote(case=case)
        note.text = narrative
        session.add(note)
        session.commit()
        case_id, note_id = case.id, note.id
    session.expunge_all()
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        assert case.child_name == name
        assert case.child_dob == dob
        assert case.narrative == narrative
        assert case.details == details
        assert case.attachment == attachment
        assert case.child_phone is None
        assert session.get(SampleNote, note_id).text == narrative
    session.rollback()


def test_types_are_checked_without_echoing_the_value(session, keyring):
    with key_scope(keyring):
        case = make_case(session, keyring)
        with pytest.raises(TypeError) as err:
            case.child_name = 12345
        assert "12345" not in str(err.value)
        with pytest.raises(TypeError):
            case.child_dob = datetime(2012, 1, 1)  # a datetime is not a date
        with pytest.raises(TypeError) as err:
            case.details = {"secret-value": object()}
        assert "secret-value" not in str(err.value)
        case.attachment = bytearray(b"ok")
        assert case.attachment == b"ok"


def test_other_codecs():
    class Thing:
        pass
    with pytest.raises(TypeError):
        Sealed(Thing)


def test_none_and_delete(session, keyring):
    with key_scope(keyring):
        case = make_case(session, keyring, child_name="Lan")
        assert case._sealed_child_name is not None
        case.child_name = None
        assert case._sealed_child_name is None and case.child_name is None
        case.child_name = ""
        assert case.child_name == "" and case._sealed_child_name is not None
        del case.child_name
        assert case.child_name is None


def test_dict_reads_are_copies(session, keyring):
    with key_scope(keyring):
        case = make_case(session, keyring, details={"a": 1})
        case.details["a"] = 2
        assert case.details == {"a": 1}
        changed = case.details
        changed["a"] = 2
        case.details = changed
        assert case.details == {"a": 2}


def test_note_uses_case_key_but_binds_its_own_row(session, keyring):
    with key_scope(keyring):
        case = make_case(session, keyring)
        first, second = SampleNote(case=case), SampleNote(case=case)
        first.text, second.text = "một", "hai"
        session.add_all([first, second])
        assert first.sealed_key_id() == case.data_key_id
        session.commit()
        first._sealed_text, second._sealed_text = second._sealed_text, first._sealed_text
        with pytest.raises(DecryptionError):
            _ = first.text


def test_note_without_case_has_no_key(keyring):
    with key_scope(keyring):
        note = SampleNote()
        with pytest.raises(AccessNotGranted):
            note.text = "orphan"


def test_class_access_returns_descriptor_and_repr_has_no_plaintext(session, keyring, caplog):
    assert isinstance(SampleCase.child_name, Sealed)
    assert "child_name" in repr(SampleCase.child_name)
    with key_scope(keyring) as scope:
        case = make_case(session, keyring, child_name="Phạm Bảo Ngọc",
                         narrative="bị bắt nạt trên mạng")
        session.commit()
        key = scope.key(case.data_key_id)
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("test").info("case %r %s key %r scope %r", case, case, key, scope)
        text = caplog.text + repr(case) + str(case) + repr(key) + repr(scope) + repr(vars(case))
        for secret in ("Phạm Bảo Ngọc", "bị bắt nạt"):
            assert secret not in text
        assert case.id in repr(case)


def test_sealed_fields_cannot_be_used_in_sql():
    with pytest.raises(TypeError):
        select(SampleCase).where(SampleCase.child_name == "Lan")
    with pytest.raises(TypeError):
        SampleCase.child_name != "Lan"  # noqa: B015
    with pytest.raises(TypeError):
        SampleCase.child_name == None  # noqa: B015, E711 (the operator is what is tested)
    assert SampleCase.child_name == SampleCase.child_name
    assert SampleCase.child_name != SampleCase.narrative
    assert SampleCase.child_name in [object(), SampleCase.child_name]  # identity fallback
    # the ciphertext column stays reachable for IS NULL filters
    assert "child_name IS NULL" in str(select(SampleCase.id).where(
        SampleCase.child_name.column_attr.is_(None)))


def test_secrets_are_not_picklable(session, keyring):
    with key_scope(keyring) as scope:
        case = make_case(session, keyring)
        with pytest.raises(TypeError):
            pickle.dumps(scope)
        with pytest.raises(TypeError):
            pickle.dumps(scope.key(case.data_key_id))
        with pytest.raises(TypeError):
            pickle.dumps(keyring)
        with pytest.raises(TypeError):
            pickle.dumps(grant_for(case))


def test_seeded_personal_data_never_reaches_the_database_file(app, session, keyring, db_path):
    seeded = []
    with key_scope(keyring):
        for i in range(30):
            name = f"Hoàng Thị Mỹ Duyên {i:03d}"
            phone = f"09{i:02d}123456"
            story = f"Em bị người lạ trên Zalo đe doạ tung ảnh, lần {i:03d}. " * 20
            make_case(session, keyring, child_name=name, child_phone=phone, narrative=story,
                      child_dob=date(2011, 5, 1 + i % 28),
                      details={"school": f"THCS Lê Quý Đôn {i:03d}"})
            seeded += [name, phone, story[:60], f"THCS Lê Quý Đôn {i:03d}"]
        session.commit()
    data = raw_files(db_path)
    assert len(data) > 10_000
    for secret in seeded:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in data, secret


def test_timestamps_are_utc(session, keyring):
    with key_scope(keyring):
        case = make_case(session, keyring)
        session.commit()
        destroy_owner_key(session, case)
        session.commit()
        session.expire_all()
        destroyed = session.get(SampleCase, case.id).data_key_destroyed_at
        assert destroyed.tzinfo is not None
        assert destroyed.utcoffset() == UTC.utcoffset(None)


def test_new_data_keys_are_written_with_their_owner_and_dropped_on_rollback(session, keyring):
    t = SampleCase.__table__
    with key_scope(keyring):
        case = make_case(session, keyring, child_name="rolled back")
        key_id = case.data_key_id
        session.rollback()
        assert session.scalar(select(t.c.id).where(t.c.data_key_id == key_id)) is None
        kept = make_case(session, keyring, child_name="kept")
        session.flush()
        row = session.execute(select(t.c.id, t.c.data_key_wrapped, t.c.data_key_version)
                              .where(t.c.data_key_id == kept.data_key_id)).one()
        assert row.id == kept.id and len(row.data_key_wrapped) == 61
        assert row.data_key_version == keyring.current_version
        session.commit()


def test_unlock_in_the_creating_transaction(session, keyring):
    with key_scope(keyring):
        case = make_case(session, keyring, child_name="same transaction")
    with key_scope(keyring):  # e.g. a nested command re-reading what it just made
        unlock(case, grant=grant_for(case), session=session)
        assert case.child_name == "same transaction"
    session.rollback()


def test_sealed_fields_on_a_mixin_bind_each_table(session, keyring):
    assert "contact_name" in SampleReporter.__table__.c
    assert "contact_name" in SampleGuardian.__table__.c
    with key_scope(keyring):
        reporter, guardian = SampleReporter(), SampleGuardian()
        for owner in (reporter, guardian):
            new_data_key(session, owner)
            owner.contact_name = f"name of {type(owner).__name__}"
        session.add_all([reporter, guardian])
        session.commit()
        assert reporter.contact_name == "name of SampleReporter"
        assert SampleReporter.contact_name.table_for(SampleGuardian) == "sample_guardians"
        # same column name, same row id, same key: only the table differs
        guardian_blob = guardian._sealed_contact_name
        clone = SampleGuardian(id=reporter.id)
        clone.data_key_id = reporter.data_key_id
        clone._sealed_contact_name = reporter._sealed_contact_name
        # The key was admitted for the reporter's row: the scope refuses it to another row
        with pytest.raises(AccessNotGranted, match="not admitted for this record's owner"):
            _ = clone.contact_name
        # and were the clone's own key admitted from that id, the table in the
        # associated data still refuses the reporter's value.
        scope = current_scope()
        scope._places[reporter.data_key_id] = ("sample_guardians", reporter.id)
        with pytest.raises(DecryptionError, match="sample_guardians.contact_name"):
            _ = clone.contact_name
        assert guardian_blob != reporter._sealed_contact_name


def test_values_sealed_for_a_row_by_a_bulk_writer_open_like_the_descriptors(session, keyring):
    # What `caseapp demo-data` does in bulk: a key made and wrapped by hand, the
    # values sealed for rows not loaded as objects, the rows inserted with SQL.
    from caseapp.crypto import aead
    from caseapp.database import new_id

    case_id, note_id, key_id = new_id(), new_id(), new_id()
    dek = aead.new_data_key_bytes()
    version, wrapped = keyring.wrap(dek, data_key_id=key_id)
    key = aead.FieldKey(key_id, dek)
    session.execute(SampleCase.__table__.insert(), [{
        "id": case_id, "data_key_id": key_id, "data_key_wrapped": wrapped,
        "data_key_version": version,
        "child_name": SampleCase.child_name.seal_for_row(SampleCase, key, "Võ Thị Yến", case_id),
        "child_dob": SampleCase.child_dob.seal_for_row(SampleCase, key, date(2012, 5, 1),
                                                        case_id),
        "narrative": SampleCase.narrative.seal_for_row(SampleCase, key, None, case_id)}])
    session.execute(SampleNote.__table__.insert(), [{
        "id": note_id, "case_id": case_id,
        "text": SampleNote.text.seal_for_row(SampleNote, key, "ghi chú", note_id,
                                             owner_id=case_id)}])
    session.commit()
    with pytest.raises(TypeError):
        SampleCase.child_dob.seal_for_row(SampleCase, key, "2012-05-01", case_id)
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        assert case.child_name == "Võ Thị Yến" and case.child_dob == date(2012, 5, 1)
        assert case.narrative is None
        assert session.get(SampleNote, note_id).text == "ghi chú"
        # Bound to its row: the name moved to another case's row does not open there.
        other = make_case(session, keyring)
        other._sealed_child_name = case._sealed_child_name
        with pytest.raises(DecryptionError):
            _ = other.child_name
