"""Crypto-shredding, and that the purged bytes leave the SQLite files."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import delete, text, update

from caseapp.crypto import (
    KeyDestroyed,
    ScrubIncomplete,
    destroy_data_key,
    destroy_owner_key,
    key_scope,
    new_data_key,
    sqlite_scrub,
    unlock,
)

from .conftest import SampleCase, SampleNote, grant_for, raw_files, tdb

NAME = "Vũ Minh Châu (shred me)"


def seed(session, keyring, name=NAME):
    with key_scope(keyring):
        case = SampleCase()
        new_data_key(session, case)
        case.child_name = name
        note = SampleNote(case=case)
        note.text = "ghi chú bị huỷ"
        session.add_all([case, note])
        ids = case.id, case.data_key_id, note.id
        session.commit()
    session.expunge_all()
    return ids


def test_destroyed_key_makes_reads_fail_for_good(session, keyring):
    case_id, key_id, note_id = seed(session, keyring)
    keep_id, _, _ = seed(session, keyring, name="kept")
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        assert case.child_name == NAME
        destroy_data_key(session, key_id)
        session.commit()
        with pytest.raises(KeyDestroyed):  # the open scope forgets it at once
            case.child_name  # noqa: B018
    session.expunge_all()
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        keep = session.get(SampleCase, keep_id)
        unlock([case, keep], grant=grant_for(case, keep))
        with pytest.raises(KeyDestroyed, match=key_id):
            case.child_name  # noqa: B018
        with pytest.raises(KeyDestroyed):
            session.get(SampleNote, note_id).text  # noqa: B018
        with pytest.raises(KeyDestroyed):
            case.child_name = "resurrect"
        assert keep.child_name == "kept"
    owner = session.get(SampleCase, case_id)
    assert owner.data_key_wrapped is None and owner.data_key_destroyed_at is not None
    assert owner.data_key_destroyed and owner.data_key_id == key_id
    destroy_data_key(session, key_id)  # idempotent
    with pytest.raises(LookupError):
        destroy_data_key(session, "00000000-0000-4000-8000-000000000000")


def test_destroy_owner_key(session, keyring):
    case_id, key_id, _ = seed(session, keyring)
    destroy_owner_key(session, session.get(SampleCase, case_id))
    session.commit()
    session.expunge_all()
    owner = session.get(SampleCase, case_id)
    assert owner.data_key_id == key_id and owner.data_key_wrapped is None


def test_a_shredded_key_put_back_from_an_old_copy_stays_shredded(session, keyring):
    """A database writer restores the wrapped key from a backup: the row still
    says destroyed, and nothing opens. (Clearing that too is caught by the row
    MAC on cases: tests/cases/test_retention.py.)"""
    case_id, key_id, note_id = seed(session, keyring)
    old = session.get(SampleCase, case_id).data_key_wrapped
    destroy_data_key(session, key_id)
    session.commit()
    session.execute(update(SampleCase).where(SampleCase.id == case_id)
                    .values(data_key_wrapped=old))
    session.commit()
    session.expunge_all()
    with key_scope(keyring):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        with pytest.raises(KeyDestroyed):
            case.child_name  # noqa: B018
        with pytest.raises(KeyDestroyed):
            session.get(SampleNote, note_id).text  # noqa: B018


def test_secure_delete_and_checkpoint_purge_the_bytes(app, session, keyring, db_path):
    case_id, key_id, _ = seed(session, keyring)
    wrapped = session.get(SampleCase, case_id).data_key_wrapped
    ciphertext = session.get(SampleCase, case_id)._sealed_child_name
    assert session.execute(text("PRAGMA secure_delete")).scalar() == 1
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    session.rollback()
    # Before: the wrapped key is on disk (WAL or main file); the plaintext never is.
    assert wrapped in raw_files(db_path)
    assert NAME.encode() not in raw_files(db_path)

    destroy_data_key(session, key_id)
    session.execute(delete(SampleNote).where(SampleNote.case_id == case_id))
    session.execute(delete(SampleCase).where(SampleCase.id == case_id))  # end of retention
    session.commit()
    session.close()
    result = sqlite_scrub(tdb.engine)
    assert result["busy"] == 0
    assert os.path.getsize(f"{db_path}-wal") == 0
    data = raw_files(db_path)
    assert wrapped not in data
    assert ciphertext not in data
    assert ciphertext[17:40] not in data  # not even a fragment of the sealed value
    assert NAME.encode() not in data


def test_scrub_reports_a_busy_wal(app, session, keyring, db_path):
    seed(session, keyring)
    reader = tdb.engine.connect().execution_options(sqlite_begin="DEFERRED")
    reader.begin()
    reader.execute(text("SELECT count(*) FROM sample_cases")).scalar()
    with key_scope(keyring):  # a write after the reader's snapshot
        seed(session, keyring)
    session.close()
    with pytest.raises(ScrubIncomplete):
        sqlite_scrub(tdb.engine, attempts=2)
    reader.rollback()
    reader.close()
    assert sqlite_scrub(tdb.engine)["busy"] == 0
