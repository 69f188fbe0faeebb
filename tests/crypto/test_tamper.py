"""Tampered, misplaced or wrong-key values fail loudly, never as garbage."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from caseapp.crypto import (
    DecryptionError,
    KeyRing,
    UnknownKeyVersion,
    add_kek_version,
    current_scope,
    key_scope,
    new_data_key,
    unlock,
)

from .conftest import SampleCase, SampleNote, grant_for

NAME = "Trần Văn Khoa"


def seed(session, keyring, n=2):
    ids = []
    with key_scope(keyring):
        for i in range(n):
            case = SampleCase()
            new_data_key(session, case)
            case.child_name = f"{NAME} {i}"
            case.narrative = f"narrative {i}"
            case.child_phone = f"0912 000 00{i}"
            case.child_dob = date(2012, 1, 1 + i)
            note = SampleNote(case=case)
            note.text, note.summary = f"note text {i}", f"note summary {i}"
            session.add_all([case, note])
            ids.append(case.id)
        session.commit()
    session.expunge_all()
    return ids


def load(session, keyring, ids):
    cases = [session.get(SampleCase, i) for i in ids]
    unlock(cases, grant=grant_for(*cases))
    return cases


def expect_decryption_error(fn, *, column=None, row_id=None):
    with pytest.raises(DecryptionError) as err:
        fn()
    full = str(err.value)
    # Ids are random hex: take them out before looking for a plaintext's digits.
    message = full.replace(str(err.value.row_id), "<id>")
    for plaintext in (NAME, "narrative 0", "note text", "0912"):
        assert plaintext not in message
    if column:
        assert err.value.column == column
    if row_id:
        assert err.value.row_id == row_id and row_id in full
    return err.value


def test_every_single_flipped_byte_is_detected(session, keyring):
    (case_id,) = seed(session, keyring, 1)
    with key_scope(keyring):
        (case,) = load(session, keyring, [case_id])
        original = case._sealed_child_name
        for i in range(len(original)):
            flipped = bytearray(original)
            flipped[i] ^= 0x80
            case._sealed_child_name = bytes(flipped)
            err = expect_decryption_error(lambda: case.child_name, column="child_name",
                                          row_id=case_id)
            assert NAME not in str(err)
        case._sealed_child_name = original
        assert case.child_name == f"{NAME} 0"


def test_flipped_byte_in_the_database(session, keyring):
    (case_id,) = seed(session, keyring, 1)
    blob = session.get(SampleCase, case_id)._sealed_narrative
    tampered = blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:]
    session.execute(update(SampleCase).where(SampleCase.id == case_id)
                    .values(_sealed_narrative=tampered))
    session.commit()
    session.expunge_all()
    with key_scope(keyring):
        (case,) = load(session, keyring, [case_id])
        expect_decryption_error(lambda: case.narrative, column="narrative", row_id=case_id)
        assert case.child_name == f"{NAME} 0"  # the other fields still read


def test_swapped_between_rows_of_the_same_case(session, keyring):
    (case_id,) = seed(session, keyring, 1)
    with key_scope(keyring):
        (case,) = load(session, keyring, [case_id])
        extra = SampleNote(case=case)
        extra.text = "second note"
        session.add(extra)
        first = case.notes[0]
        first._sealed_text, extra._sealed_text = extra._sealed_text, first._sealed_text
        expect_decryption_error(lambda: first.text, column="text", row_id=first.id)
        expect_decryption_error(lambda: extra.text, column="text", row_id=extra.id)


def test_swapped_between_columns(session, keyring):
    (case_id,) = seed(session, keyring, 1)
    with key_scope(keyring):
        (case,) = load(session, keyring, [case_id])
        case._sealed_child_name, case._sealed_narrative = (case._sealed_narrative,
                                                           case._sealed_child_name)
        expect_decryption_error(lambda: case.child_name, column="child_name")
        expect_decryption_error(lambda: case.narrative, column="narrative")
        note = case.notes[0]
        note._sealed_text, note._sealed_summary = note._sealed_summary, note._sealed_text
        expect_decryption_error(lambda: note.text, column="text")


def test_swapped_between_cases_even_with_both_unlocked(session, keyring):
    a_id, b_id = seed(session, keyring, 2)
    with key_scope(keyring):
        a, b = load(session, keyring, [a_id, b_id])
        a._sealed_child_name, b._sealed_child_name = b._sealed_child_name, a._sealed_child_name
        expect_decryption_error(lambda: a.child_name, row_id=a_id)
        expect_decryption_error(lambda: b.child_name, row_id=b_id)
        # a note moved to another case
        note = a.notes[0]
        note.case = b
        expect_decryption_error(lambda: note.text, row_id=note.id)


def test_case_pointed_at_another_cases_data_key(session, keyring):
    a_id, b_id = seed(session, keyring, 2)
    a_key = session.get(SampleCase, a_id).data_key_id
    b_key = session.get(SampleCase, b_id).data_key_id
    session.expunge_all()
    # the database refuses two records sharing one data key ...
    with pytest.raises(IntegrityError):
        session.execute(update(SampleCase).where(SampleCase.id == a_id)
                        .values(data_key_id=b_key))
    session.rollback()
    # ... and swapped pointers are caught at unlock: each wrap names its key id
    for case_id, key in ((a_id, None), (b_id, a_key), (a_id, b_key)):
        session.execute(update(SampleCase).where(SampleCase.id == case_id)
                        .values(data_key_id=key))
    session.commit()
    session.expunge_all()
    with key_scope(keyring):
        a = session.get(SampleCase, a_id)
        # a grant for A must not unlock B's key through A's tampered pointer
        with pytest.raises(DecryptionError, match="failed to unwrap"):
            unlock(a, grant=grant_for(a))


KEY_COLUMNS = ("data_key_id", "data_key_wrapped", "data_key_version")


def _key_columns(session, case_id):
    t = SampleCase.__table__
    return dict(session.execute(select(*(t.c[c] for c in KEY_COLUMNS))
                                .where(t.c.id == case_id)).one()._mapping)


def test_wrapped_key_copied_with_its_id_to_another_owner_opens_nothing(session, keyring):
    a_id, b_id = seed(session, keyring, 2)
    a_cols, b_cols = _key_columns(session, a_id), _key_columns(session, b_id)
    # A database writer swaps the whole keys (id, wrap, version) between two cases.
    t = SampleCase.__table__
    session.execute(update(t).where(t.c.id == a_id).values(data_key_id=None))
    session.execute(update(t).where(t.c.id == b_id).values(**a_cols))
    session.execute(update(t).where(t.c.id == a_id).values(**b_cols))
    session.commit()
    session.expunge_all()
    with key_scope(keyring):
        a, b = load(session, keyring, [a_id, b_id])  # the wraps themselves are genuine
        for case in (a, b):
            for read in (lambda c=case: c.child_name, lambda c=case: c.narrative,
                         lambda c=case: c.child_dob, lambda c=case: c.notes[0].text):
                expect_decryption_error(read)


def test_wrapped_key_relabelled_with_another_kek_version(session, keyring):
    ring2 = add_kek_version(keyring)
    (case_id,) = seed(session, keyring, 1)
    key_id = session.get(SampleCase, case_id).data_key_id
    session.execute(update(SampleCase).where(SampleCase.data_key_id == key_id)
                    .values(data_key_version=2))
    session.commit()
    session.expunge_all()
    with key_scope(ring2):
        case = session.get(SampleCase, case_id)
        with pytest.raises(DecryptionError, match="KEK version 2"):
            unlock(case, grant=grant_for(case))


def test_wrapped_key_swapped_between_owner_rows(session, keyring):
    a_id, b_id = seed(session, keyring, 2)
    a, b = session.get(SampleCase, a_id), session.get(SampleCase, b_id)
    a.data_key_wrapped, b.data_key_wrapped = b.data_key_wrapped, a.data_key_wrapped
    session.commit()
    session.expunge_all()
    with key_scope(keyring):
        a = session.get(SampleCase, a_id)
        with pytest.raises(DecryptionError, match="failed to unwrap"):
            unlock(a, grant=grant_for(a))


def test_unknown_or_wrong_kek(session, keyring):
    (case_id,) = seed(session, keyring, 1)
    with key_scope(KeyRing.generate()):  # another installation's keys
        case = session.get(SampleCase, case_id)
        with pytest.raises(DecryptionError):
            unlock(case, grant=grant_for(case))
    key_id = case.data_key_id
    session.execute(update(SampleCase).where(SampleCase.data_key_id == key_id)
                    .values(data_key_version=7))
    session.commit()
    session.expunge_all()
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        with pytest.raises(UnknownKeyVersion, match="version 7"):
            unlock(case, grant=grant_for(case))


def test_value_sealed_under_another_key_or_format(session, keyring):
    (case_id,) = seed(session, keyring, 1)
    with key_scope(keyring):
        (case,) = load(session, keyring, [case_id])
        blob = bytearray(case._sealed_child_name)
        other_key = bytearray(blob)
        other_key[1:17] = bytes(16)
        case._sealed_child_name = bytes(other_key)
        expect_decryption_error(lambda: case.child_name)
        future = bytearray(blob)
        future[0] = 2
        case._sealed_child_name = bytes(future)
        with pytest.raises(DecryptionError, match="unsupported sealed-value format 2"):
            case.child_name  # noqa: B018


def test_a_record_binds_its_cases_id(session, keyring):
    """A note's value opens only as a record of its own case: its associated
    data carries the case id besides its own row id."""
    from caseapp.crypto import aead

    (a_id, b_id) = seed(session, keyring, 2)
    with key_scope(keyring):
        a, b = load(session, keyring, [a_id, b_id])
        note = a.notes[0]
        key = current_scope().key(a.data_key_id)
        prefix = aead.field_aad_prefix("sample_notes", "text")
        blob = note._sealed_text
        assert key.open(blob, prefix, f"{note.id}@{a.id}", table="t", column="c")
        with pytest.raises(DecryptionError):
            key.open(blob, prefix, f"{note.id}@{b.id}", table="t", column="c")
        with pytest.raises(DecryptionError):
            key.open(blob, prefix, note.id, table="t", column="c")


def test_a_record_sealed_before_the_binding_still_opens(session, keyring):
    """Values written before records bound their case's id stay readable."""
    from caseapp.crypto import aead

    (a_id,) = seed(session, keyring, 1)
    with key_scope(keyring):
        (a,) = load(session, keyring, [a_id])
        note = a.notes[0]
        key = current_scope().key(a.data_key_id)
        legacy = key.seal(b"older note", aead.field_aad_prefix("sample_notes", "text"), note.id)
        note._sealed_text = legacy
        assert note.text == "older note"
