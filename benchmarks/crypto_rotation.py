"""KEK rotation throughput: re-wrapping the data keys of N cases on SQLite.

    python benchmarks/crypto_rotation.py [--cases 10000] [--batch-size 500 ...]

Seeds N cases (each with its own data key and a few sealed fields) under KEK
version 1, adds version 2 and times ``rotate_data_keys`` for each batch size
(re-seeding the version-1 state each time). Only the key columns of the case
rows change (the wrapped key and its KEK version); every sealed field is
checked to be byte-identical afterwards.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import MetaData, String, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from caseapp.crypto import (
    KeyRing,
    Sealed,
    SealedOwner,
    add_kek_version,
    configure_sqlite_engine,
    key_scope,
    new_data_key,
    rotate_data_keys,
    sqlite_scrub,
)
from caseapp.database import new_id


class RotBase(DeclarativeBase):
    metadata = MetaData()


class RotCase(RotBase, SealedOwner):
    __tablename__ = "rot_cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    child_name = Sealed(str)
    child_phone = Sealed(str)
    narrative = Sealed(str)


def engine_for(path: str):
    engine = create_engine(f"sqlite:///{path}")
    configure_sqlite_engine(engine, synchronous="NORMAL")
    return engine


def seed(path: str, ring: KeyRing, n: int) -> float:
    engine = engine_for(path)
    RotBase.metadata.create_all(engine)
    start = time.perf_counter()
    with key_scope(ring), Session(engine) as session:
        for i in range(n):
            case = RotCase()
            new_data_key(session, case)
            case.child_name = f"Nguyễn Thị Hồng {i}"
            case.child_phone = f"09{i:08d}"
            case.narrative = "Em bị đe doạ qua tin nhắn. " * 30
            session.add(case)
            if i % 1000 == 999:
                session.commit()
        session.commit()
    elapsed = time.perf_counter() - start
    sqlite_scrub(engine)  # checkpoint, so the copies below are complete
    engine.dispose()
    return elapsed


def case_rows(engine) -> int:
    with engine.connect() as conn:
        t = RotCase.__table__
        kept = [c for c in t.c if c.name not in ("data_key_wrapped", "data_key_version")]
        return hash(tuple(conn.execute(select(*kept).order_by(t.c.id)).all()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[100, 500, 2000])
    args = parser.parse_args(argv)
    ring = KeyRing.generate()
    ring2 = add_kek_version(ring)
    folder = tempfile.mkdtemp()
    try:
        template = os.path.join(folder, "template.db")
        seeded = seed(template, ring, args.cases)
        print(f"{args.cases} cases seeded in {seeded:.2f} s "
              f"(SQLite WAL, synchronous=NORMAL, Python {sys.version.split()[0]})")
        print(f"{'batch':>6}{'seconds':>10}{'keys/s':>10}{'s per 10k':>11}{'batches':>9}")
        for batch in args.batch_size:
            path = os.path.join(folder, f"run-{batch}.db")
            shutil.copyfile(template, path)
            engine = engine_for(path)
            before = case_rows(engine)
            calls: list[int] = []
            start = time.perf_counter()
            count = rotate_data_keys(engine, ring2, batch_size=batch,
                                     progress=lambda d, _t, calls=calls: calls.append(d))
            elapsed = time.perf_counter() - start
            with Session(engine) as session:
                left = session.scalar(select(func.count()).select_from(RotCase)
                                      .where(RotCase.data_key_version != 2))
            assert count == args.cases and left == 0
            assert case_rows(engine) == before, "case data must not change"
            engine.dispose()
            print(f"{batch:>6}{elapsed:>10.3f}{count / elapsed:>10.0f}"
                  f"{elapsed / count * 10_000:>11.3f}{len(calls):>9}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
