"""Field encryption overhead: sealed vs plaintext models of the same shape, on SQLite.

    python benchmarks/crypto_fields.py [--cases 2000] [--repeat 3] [--clock wall|cpu]

Each case has 12 personal fields (names, date of birth, phones, address,
school, class, account handle, a ~1 KB narrative) plus clear metadata. Two
workloads, each timed for writing and reading, sealed and plain:

* per-request: every case written in its own transaction, and read back in a
  session of its own (get by id, unlock with a grant, read all 12 fields) --
  what the app does for one intake / one case view;
* bulk: cases written 500 per transaction and read with one query and one
  ``unlock`` for all of them -- the worst case for the crypto share.

The sealed side includes everything the app pays: data-key generation and
wrapping (the wrapped key is stored on the case's own row), grant issuance,
unwrapping once per scope.
SQLite runs in WAL with synchronous=NORMAL, as the app configures it.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import Date, MetaData, String, Text, create_engine, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
)

from caseapp.crypto import (
    KeyRing,
    Sealed,
    SealedOwner,
    configure_sqlite_engine,
    grants,
    key_scope,
    new_data_key,
    unlock,
)
from caseapp.database import new_id

grants.allow_issuer(__name__)  # stands in for caseapp.permissions


class BenchBase(DeclarativeBase):
    metadata = MetaData()


TEXT_FIELDS = ("child_name", "child_phone", "child_address", "school", "class_name",
               "parent_name", "parent_phone", "reporter_name", "reporter_phone",
               "offender_handle", "narrative")


class SealedCase(BenchBase, SealedOwner):
    __tablename__ = "bench_sealed_cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_code: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    child_name = Sealed(str)
    child_dob = Sealed(date)
    child_phone = Sealed(str)
    child_address = Sealed(str)
    school = Sealed(str)
    class_name = Sealed(str)
    parent_name = Sealed(str)
    parent_phone = Sealed(str)
    reporter_name = Sealed(str)
    reporter_phone = Sealed(str)
    offender_handle = Sealed(str)
    narrative = Sealed(str)


class PlainCase(BenchBase):
    __tablename__ = "bench_plain_cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_code: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    data_key_id: Mapped[str | None] = mapped_column(String(36))
    child_name: Mapped[str | None] = mapped_column(Text)
    child_dob: Mapped[date | None] = mapped_column(Date)
    child_phone: Mapped[str | None] = mapped_column(Text)
    child_address: Mapped[str | None] = mapped_column(Text)
    school: Mapped[str | None] = mapped_column(Text)
    class_name: Mapped[str | None] = mapped_column(Text)
    parent_name: Mapped[str | None] = mapped_column(Text)
    parent_phone: Mapped[str | None] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(Text)
    offender_handle: Mapped[str | None] = mapped_column(Text)
    narrative: Mapped[str | None] = mapped_column(Text)


FIELDS = TEXT_FIELDS + ("child_dob",)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Đức", "Hữu", "Gia", "Bảo", "Khánh"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Khoa", "Lan", "Linh",
         "Mai", "Nam", "Ngân", "Phúc", "Quân", "Thảo", "Thủy", "Trang", "Tuấn", "Vy", "Yến"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt"]
SCHOOLS = ["THCS Lê Quý Đôn", "THCS Nguyễn Du", "Tiểu học Kim Đồng", "THPT Chu Văn An"]
STORY = ("Em nhận được tin nhắn đe doạ từ một tài khoản lạ trên mạng xã hội, người này "
         "yêu cầu em gửi ảnh riêng tư và dọa sẽ đăng lên nhóm lớp nếu em không làm theo. ")


def make_values(rng: random.Random) -> dict:
    def person() -> str:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"

    def phone() -> str:
        return f"09{rng.randrange(10**8):08d}"

    return {
        "child_name": person(),
        "child_dob": date(2008 + rng.randrange(10), 1 + rng.randrange(12), 1 + rng.randrange(28)),
        "child_phone": phone(),
        "child_address": f"Số {rng.randrange(1, 300)} {rng.choice(STREETS)}, phường "
                         f"{rng.randrange(1, 20)}, quận {rng.randrange(1, 12)}",
        "school": rng.choice(SCHOOLS),
        "class_name": f"Lớp {rng.randrange(6, 10)}A{rng.randrange(1, 8)}",
        "parent_name": person(),
        "parent_phone": phone(),
        "reporter_name": person(),
        "reporter_phone": phone(),
        "offender_handle": f"https://www.facebook.com/user.{rng.randrange(10**9)}",
        "narrative": (STORY * 6)[:1000 + rng.randrange(100)],
    }


def fresh_engine(folder: str, name: str):
    engine = create_engine(f"sqlite:///{os.path.join(folder, name)}")
    configure_sqlite_engine(engine, synchronous="NORMAL")
    BenchBase.metadata.create_all(engine)
    return engine


# --- workloads ------------------------------------------------------------------------------

def write_per_request(engine, model, rows, ring):
    ids = []
    sealed = model is SealedCase
    for values in rows:
        with Session(engine) as session:
            case = model(id=new_id(), unit_code="D01", stage="intake")
            if sealed:
                with key_scope(ring):
                    new_data_key(session, case)
                    for k, v in values.items():
                        setattr(case, k, v)
            else:
                for k, v in values.items():
                    setattr(case, k, v)
            session.add(case)
            ids.append(case.id)
            session.commit()
    return ids


def read_per_request(engine, model, ids, ring):
    sealed = model is SealedCase
    total = 0
    for case_id in ids:
        with Session(engine) as session:
            case = session.get(model, case_id)  # the wrapped key comes with the row
            if sealed:
                with key_scope(ring):
                    unlock(case, grant=grants.issue_grant("case.view", "bench", case.id))
                    total += sum(len(str(getattr(case, f))) for f in FIELDS)
            else:
                total += sum(len(str(getattr(case, f))) for f in FIELDS)
            session.rollback()
    return total


def write_bulk(engine, model, rows, ring, chunk=500):
    sealed = model is SealedCase
    with Session(engine) as session:
        for start in range(0, len(rows), chunk):
            with key_scope(ring):
                for values in rows[start:start + chunk]:
                    case = model(id=new_id(), unit_code="D01", stage="intake")
                    if sealed:
                        new_data_key(session, case)
                    for k, v in values.items():
                        setattr(case, k, v)
                    session.add(case)
                session.commit()


def read_bulk(engine, model, ring):
    sealed = model is SealedCase
    with Session(engine) as session:
        cases = session.scalars(select(model)).all()
        if sealed:
            with key_scope(ring):
                unlock(cases, grant=grants.issue_grant("report", "bench", [c.id for c in cases]))
                return sum(len(str(getattr(c, f))) for c in cases for f in FIELDS)
        return sum(len(str(getattr(c, f))) for c in cases for f in FIELDS)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def timed(fn, *args):
    start = clock()
    result = fn(*args)
    return clock() - start, result


def run(n: int, repeat: int) -> tuple[list[tuple[str, float, float]], dict[str, float]]:
    """Best-of times per workload, and the median of the rounds' own ratios:
    each round times plain and sealed back to back, so a neighbour's load that
    comes and goes between rounds cancels out of the paired ratio."""
    rng = random.Random(20260101)
    rows = [make_values(rng) for _ in range(n)]
    ring = KeyRing.generate()
    best: dict[tuple[str, str], float] = {}
    rounds: list[dict[tuple[str, str], float]] = []
    for _ in range(repeat):
        this: dict[tuple[str, str], float] = {}
        rounds.append(this)
        with tempfile.TemporaryDirectory() as folder:
            for label, model in (("plain", PlainCase), ("sealed", SealedCase)):
                engine = fresh_engine(folder, f"{label}.db")
                t_w, ids = timed(write_per_request, engine, model, rows, ring)
                t_r, size = timed(read_per_request, engine, model, ids, ring)
                engine.dispose()
                engine = fresh_engine(folder, f"{label}-bulk.db")
                t_bw, _ = timed(write_bulk, engine, model, rows, ring)
                t_br, size_b = timed(read_bulk, engine, model, ring)
                engine.dispose()
                assert size == size_b
                for key, t in ((("per-request write", label), t_w),
                               (("per-request read", label), t_r),
                               (("bulk write", label), t_bw), (("bulk read", label), t_br)):
                    best[key] = min(best.get(key, float("inf")), t)
                    this[key] = t
    ops = ["per-request write", "per-request read", "bulk write", "bulk read"]
    out = [(op, best[(op, "plain")], best[(op, "sealed")]) for op in ops]
    plain_total = best[("per-request write", "plain")] + best[("per-request read", "plain")]
    sealed_total = best[("per-request write", "sealed")] + best[("per-request read", "sealed")]
    out.append(("per-request total", plain_total, sealed_total))
    plain_total = best[("bulk write", "plain")] + best[("bulk read", "plain")]
    sealed_total = best[("bulk write", "sealed")] + best[("bulk read", "sealed")]
    out.append(("bulk total", plain_total, sealed_total))
    paired = {}
    for op, parts in (*((op, (op,)) for op in ops),
                      ("per-request total", ("per-request write", "per-request read")),
                      ("bulk total", ("bulk write", "bulk read"))):
        paired[op] = statistics.median(
            sum(r[(p, "sealed")] for p in parts) / sum(r[(p, "plain")] for p in parts)
            for r in rounds)
    return out, paired


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="cpu: this process's CPU time, steadier on a busy shared machine")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    results, paired = run(args.cases, args.repeat)
    print(f"{args.cases} cases x 12 fields, SQLite WAL, best of {args.repeat}, "
          f"{args.clock} clock "
          f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]})")
    print(f"{'workload':<20}{'plain s':>10}{'sealed s':>10}{'ratio':>8}"
          f"{'plain/case ms':>15}{'sealed/case ms':>16}{'paired':>9}")
    for op, plain, sealed in results:
        print(f"{op:<20}{plain:>10.3f}{sealed:>10.3f}{sealed / plain:>7.2f}x"
              f"{plain / args.cases * 1000:>15.3f}{sealed / args.cases * 1000:>16.3f}"
              f"{paired[op]:>8.2f}x")
    print("ratio: of the best times; paired: the median of each round's sealed/plain")
    return 0


if __name__ == "__main__":
    sys.exit(main())
