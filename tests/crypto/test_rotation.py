"""KEK rotation: re-wrap without rewriting data, resumable, readers unaffected."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from caseapp.crypto import (
    READ_ONLY_OPTIONS,
    KeyRing,
    RetireRefused,
    RotationError,
    add_kek_version,
    destroy_data_key,
    key_scope,
    key_status,
    new_data_key,
    retire_version,
    rotate_data_keys,
    unlock,
    write_keyfile,
)
from caseapp.crypto.rotation import _rewrap

from .conftest import SampleCase, SampleReporter, create_tables, grant_for, sqlite_engine

WORKER = os.path.join(os.path.dirname(__file__), "rotation_worker.py")


def expected_name(i: int) -> str:
    return f"Nguyễn Văn Bình {i:05d}"


def seed_many(engine, ring: KeyRing, n: int, chunk: int = 1000) -> dict[str, int]:
    ids: dict[str, int] = {}
    with key_scope(ring), Session(engine) as session:
        for start in range(0, n, chunk):
            for i in range(start, min(n, start + chunk)):
                case = SampleCase()
                new_data_key(session, case)
                case.child_name = expected_name(i)
                case.narrative = f"Tường thuật số {i}"
                session.add(case)
                ids[case.id] = i
            session.commit()
    return ids


def versions(engine) -> dict[int, int]:
    with Session(engine) as session:
        rows = session.execute(select(SampleCase.data_key_version,
                                      SampleCase.data_key_wrapped)).all()
    out: dict[int, int] = {}
    for version, wrapped in rows:
        if wrapped is not None:
            out[version] = out.get(version, 0) + 1
    return out


def sealed_blobs(engine) -> dict[str, bytes]:
    with engine.connect() as conn:
        return dict(conn.execute(select(SampleCase.id, SampleCase._sealed_child_name)).all())


def read_all(engine, ring: KeyRing, ids: dict[str, int]) -> int:
    """Read every case with ``ring``; return the number that failed."""
    bad = 0
    with key_scope(ring), Session(engine.execution_options(**READ_ONLY_OPTIONS)) as session:
        cases = session.scalars(select(SampleCase)).all()
        assert len(cases) == len(ids)
        unlock(cases, grant=grant_for(*cases))
        for case in cases:
            try:
                ok = case.child_name == expected_name(ids[case.id])
            except Exception:  # noqa: BLE001 -- any failure is an unreadable record
                ok = False
            bad += not ok
    return bad


@pytest.fixture
def engine(tmp_path):
    engine = sqlite_engine(tmp_path / "rot.db")
    create_tables(engine)
    yield engine
    engine.dispose()


def test_rotate_small_set(engine, keyring):
    ids = seed_many(engine, keyring, 120, chunk=50)
    blobs_before = sealed_blobs(engine)
    ring2 = add_kek_version(keyring)
    assert ring2.current_version == 2 and ring2.versions == (1, 2)
    calls = []
    count = rotate_data_keys(engine, ring2, batch_size=50,
                             progress=lambda d, t: calls.append((d, t)))
    assert count == 120
    assert calls == [(50, 120), (100, 120), (120, 120)]
    assert versions(engine) == {2: 120}
    assert sealed_blobs(engine) == blobs_before  # no case data rewritten
    assert read_all(engine, ring2, ids) == 0
    # idempotent
    assert rotate_data_keys(engine, ring2) == 0


def test_session_factory_target_and_status(engine, keyring):
    seed_many(engine, keyring, 30)
    ring2 = add_kek_version(keyring)
    with Session(engine) as session:
        assert key_status(session, ring2) == [(1, False, False, 30), (2, True, False, 0)]
    assert rotate_data_keys(sessionmaker(engine), ring2, batch_size=7) == 30
    with Session(engine) as session:
        status = key_status(session, ring2)
    assert [tuple(s) for s in status] == [(1, False, False, 0), (2, True, False, 30)]
    assert status[1].current and status[1].wrapped_count == 30
    with pytest.raises(TypeError):
        rotate_data_keys(Session(engine), ring2)


def test_retire_refuses_while_in_use(engine, keyring):
    ids = seed_many(engine, keyring, 10)
    ring2 = add_kek_version(keyring)
    with Session(engine) as session:
        with pytest.raises(RetireRefused, match="still wraps 10"):
            retire_version(ring2, session, 1)
        with pytest.raises(RetireRefused, match="current"):
            retire_version(ring2, session, 2)
    rotate_data_keys(engine, ring2)
    with Session(engine) as session:
        ring3 = retire_version(ring2, session, 1)
        assert ring3.versions == (2,) and ring3.retired == {1}
        assert key_status(session, ring3)[0] == (1, False, True, 0)
    assert read_all(engine, ring3, ids) == 0


def test_destroyed_keys_stay_destroyed(engine, keyring):
    seed_many(engine, keyring, 10)
    with Session(engine) as session, key_scope(keyring):
        victim = session.scalars(select(SampleCase.data_key_id)).first()
        destroy_data_key(session, victim)
        session.commit()
    ring2 = add_kek_version(keyring)
    assert rotate_data_keys(engine, ring2) == 9
    with Session(engine) as session:
        dk = session.scalars(select(SampleCase).where(SampleCase.data_key_id == victim)).one()
        assert dk.data_key_wrapped is None and dk.data_key_destroyed_at is not None
        assert dk.data_key_version == 1
        retire_version(ring2, session, 1)  # destroyed keys do not hold a version


def test_compare_and_swap_never_resurrects(engine, keyring):
    """A key destroyed (or re-wrapped) between a batch's read and its write is left alone."""
    seed_many(engine, keyring, 3)
    ring2 = add_kek_version(keyring)
    t = SampleCase.__table__
    with engine.connect() as conn:
        stale = conn.execute(select(t.c.id, t.c.data_key_id, t.c.data_key_version,
                                    t.c.data_key_wrapped).order_by(t.c.id)).all()
    victim = stale[0].data_key_id
    with Session(engine) as session, key_scope(keyring):
        destroy_data_key(session, victim)  # meanwhile, another process shreds it
        session.commit()
    failed: list[str] = []
    with engine.begin() as conn:
        changed = _rewrap(conn, t, stale, ring2, failed)
    assert changed == 2 and failed == []
    with Session(engine) as session:
        dk = session.scalars(select(SampleCase).where(SampleCase.data_key_id == victim)).one()
        assert dk.data_key_wrapped is None and dk.data_key_version == 1
    assert versions(engine) == {2: 2}
    with engine.begin() as conn:  # replaying the same stale batch changes nothing
        assert _rewrap(conn, t, stale, ring2, failed) == 0


def test_unreadable_keys_are_reported_not_looped(engine, keyring):
    seed_many(engine, keyring, 20)
    with Session(engine) as session:
        bad_id = session.scalars(select(SampleCase.data_key_id)
                                 .order_by(SampleCase.id)).first()
        session.execute(update(SampleCase).where(SampleCase.data_key_id == bad_id)
                        .values(data_key_wrapped=b"\x01" + bytes(60)))
        session.commit()
    ring2 = add_kek_version(keyring)
    with pytest.raises(RotationError) as err:
        rotate_data_keys(engine, ring2, batch_size=5)
    assert err.value.failed == [bad_id] and err.value.rotated == 19
    assert bad_id in str(err.value)
    assert versions(engine) == {1: 1, 2: 19}


class Killed(Exception):
    """Stands in for the process dying between two batches."""


def test_rotation_killed_mid_run_and_resumed_over_every_owner_table(engine, keyring):
    """Two owner tables; the job dies after its third batch (its committed batches
    stay); a second run finishes the rest; every record of both tables reads
    with the new KEK alone, and the old version can be retired."""
    ids = seed_many(engine, keyring, 40)
    reporters: dict[str, str] = {}
    with key_scope(keyring), Session(engine) as session:
        for i in range(25):
            reporter = SampleReporter()
            new_data_key(session, reporter)
            reporter.contact_name = f"Người báo tin {i:03d}"
            session.add(reporter)
            reporters[reporter.id] = reporter.contact_name
        session.commit()
    ring2 = add_kek_version(keyring)
    seen: list[tuple[int, int]] = []

    def die_after_three(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) == 3:
            raise Killed

    with pytest.raises(Killed):
        rotate_data_keys(engine, ring2, batch_size=10, progress=die_after_three)
    assert seen[-1] == (30, 65)
    with Session(engine) as session:
        assert [tuple(s) for s in key_status(session, ring2)] == [
            (1, False, False, 35), (2, True, False, 30)]
    assert rotate_data_keys(engine, ring2, batch_size=10) == 35
    with Session(engine) as session:
        ring3 = retire_version(ring2, session, 1)
    assert read_all(engine, ring3, ids) == 0
    with key_scope(ring3), Session(engine) as session:
        found = session.scalars(select(SampleReporter)).all()
        unlock(found, grant=grant_for(*found))
        assert {r.id: r.contact_name for r in found} == reporters


@pytest.mark.slow
def test_rotation_of_10000_with_readers_and_a_kill(tmp_path, engine, keyring):
    n = 10_000
    ids = seed_many(engine, keyring, n)
    id_list = list(ids)
    ring2 = add_kek_version(keyring)
    instance = tmp_path / "instance"
    write_keyfile(str(instance / "keys.json"), ring2)

    stop = threading.Event()
    errors: list[str] = []
    reads = [0]
    reader_engine = engine.execution_options(**READ_ONLY_OPTIONS)

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            try:
                with key_scope(ring2), Session(reader_engine) as session:
                    wanted = rng.sample(id_list, 40)
                    cases = session.scalars(
                        select(SampleCase).where(SampleCase.id.in_(wanted))).all()
                    unlock(cases, grant=grant_for(*cases))
                    for case in cases:
                        if case.child_name != expected_name(ids[case.id]):
                            errors.append(f"wrong value for {case.id}")
                    reads[0] += len(cases)
            except Exception as exc:  # noqa: BLE001 -- any failure to read counts
                errors.append(repr(exc))
            time.sleep(0.002)

    threads = [threading.Thread(target=reader, args=(s,), daemon=True) for s in (1, 2)]
    for t in threads:
        t.start()
    try:
        env = dict(os.environ, PYTHONPATH=os.getcwd())
        env.pop("CASEAPP_KEYS", None)
        proc = subprocess.Popen(
            [sys.executable, WORKER, str(tmp_path / "rot.db"), str(instance), "250"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        seen = 0
        try:
            for line in proc.stdout:
                if line.startswith("progress"):
                    seen += 1
                    if seen >= 8:  # 2,000 of 10,000 re-wrapped: kill mid-way
                        os.kill(proc.pid, signal.SIGKILL)
                        break
                elif line.startswith("done"):
                    break
        finally:
            proc.wait(timeout=60)
            proc.stdout.close()
            stderr = proc.stderr.read()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, stderr
        midway = versions(engine)
        assert midway.get(1, 0) > 0 and midway.get(2, 0) >= 2000, midway
        assert midway[1] + midway[2] == n

        resumed = rotate_data_keys(engine, ring2, batch_size=500)
        assert resumed == midway[1]
        time.sleep(0.2)  # let readers run against the finished state too
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    assert errors == []
    assert reads[0] > 0
    assert versions(engine) == {2: n}
    with Session(engine) as session:
        ring3 = retire_version(ring2, session, 1)  # nothing left on version 1
    assert read_all(engine, ring3, ids) == 0  # zero unreadable records, without v1


def test_retire_refuses_when_a_relabelled_key_would_not_open(engine, keyring):
    """A database writer sets one row's version to the new KEK without
    re-wrapping its key: the rotation skips it and no count shows version 1
    in use, but retiring 1 would lose that key. Retiring tries every key."""
    ids = seed_many(engine, keyring, 10)
    ring2 = add_kek_version(keyring)
    with Session(engine) as session:
        victim = session.scalars(select(SampleCase.id).order_by(SampleCase.id)).first()
        session.execute(update(SampleCase).where(SampleCase.id == victim)
                        .values(data_key_version=2))
        session.commit()
    assert rotate_data_keys(engine, ring2) == 9
    with Session(engine) as session:
        assert [tuple(s) for s in key_status(session, ring2)] == [
            (1, False, False, 0), (2, True, False, 10)]
        with pytest.raises(RetireRefused, match="1 live data key") as refused:
            retire_version(ring2, session, 1)
    assert victim not in str(refused.value)  # a count, no row named
    assert ring2.versions == (1, 2)
    # The key is not lost: put back its true version, rotate, then retire.
    with Session(engine) as session:
        session.execute(update(SampleCase).where(SampleCase.id == victim)
                        .values(data_key_version=1))
        session.commit()
    assert rotate_data_keys(engine, ring2) == 1
    with Session(engine) as session:
        ring3 = retire_version(ring2, session, 1)
    assert read_all(engine, ring3, ids) == 0


def test_a_key_without_a_version_is_counted_unreadable_not_a_crash(engine, keyring):
    seed_many(engine, keyring, 6)
    ring2 = add_kek_version(keyring)
    with Session(engine) as session:
        victim, key_id = session.execute(select(SampleCase.id, SampleCase.data_key_id)
                                         .order_by(SampleCase.id)).first()
        session.execute(update(SampleCase).where(SampleCase.id == victim)
                        .values(data_key_version=None))
        session.commit()
    with pytest.raises(RotationError) as err:
        rotate_data_keys(engine, ring2)
    assert err.value.failed == [key_id] and err.value.rotated == 5
    with Session(engine) as session:
        assert [tuple(s) for s in key_status(session, ring2)] == [
            (1, False, False, 0), (2, True, False, 5), (None, False, False, 1)]
        with pytest.raises(RetireRefused, match="1 live data key"):
            retire_version(ring2, session, 1)
