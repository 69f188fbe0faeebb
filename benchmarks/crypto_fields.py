"""Field encryption overhead: sealed vs plaintext models of the same shape, on SQLite.

    python benchmarks/crypto_fields.py [--cases 2000] [--repeat 3] [--clock wall|cpu]
                                       [--shape bare|case|both]

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

Two shapes of row, each sealed against plain (``--shape both``, the default):

* bare: the 12 fields, a unit code and a stage, and no index but the primary
  key on the plain side -- the sealed side's two key indexes (``data_key_id``
  unique, ``data_key_version``) are then the only indexes written;
* case: the row the app writes for a case: both sides also carry the cases
  table's clear columns that its indexes cover (unit, stage, people, dates),
  with every index of ``caseapp.cases.models.Case`` over them (copied from the
  model, partial conditions included), and the duplicate search's two
  lookups -- the sealed side's blind indexes (an HMAC each, computed at
  write), the plain side's index on the phone and on date of birth and name.
  "The same work with the fields in clear" as the app would do it.
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
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import Date, Index, MetaData, String, Text, create_engine, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
)

from caseapp.cases.models import Case
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
from caseapp.crypto.blind_index import blind_index
from caseapp.database import new_id

grants.allow_issuer(__name__)  # stands in for caseapp.permissions


class BenchBase(DeclarativeBase):
    metadata = MetaData()


TEXT_FIELDS = ("child_name", "child_phone", "child_address", "school", "class_name",
               "parent_name", "parent_phone", "reporter_name", "reporter_phone",
               "offender_handle", "narrative")


def sealed_fields() -> dict:
    """The 12 personal fields, sealed (a class's attributes)."""
    return {"child_dob": Sealed(date), **{name: Sealed(str) for name in TEXT_FIELDS}}


def plain_fields() -> dict:
    """The same 12 fields in clear."""
    return {"child_dob": mapped_column(Date, nullable=True),
            **{name: mapped_column(Text, nullable=True) for name in TEXT_FIELDS}}


def row_identity() -> dict:
    """What every benchmark row has besides its fields."""
    return {"id": mapped_column(String(36), primary_key=True, default=new_id),
            "unit_code": mapped_column(String(16)), "stage": mapped_column(String(16))}


SealedCase = type("SealedCase", (BenchBase, SealedOwner), {
    "__tablename__": "bench_sealed_cases", **row_identity(), **sealed_fields()})
PlainCase = type("PlainCase", (BenchBase,), {
    "__tablename__": "bench_plain_cases", **row_identity(), **plain_fields(),
    "data_key_id": mapped_column(String(36), nullable=True)})


FIELDS = TEXT_FIELDS + ("child_dob",)

# --- the case table's shape ------------------------------------------------------------------

# The cases table's clear columns that its indexes cover (the key owner's two
# and the blind indexes apart: those are what sealing adds).
CASE_COLUMNS = ("unit_id", "stage", "recorded_by_id", "lead_officer_id", "received_at",
                "next_deadline_at", "closure_requested_at", "plan_drafted_at",
                "immediate_danger", "closed_at")


class CaseRowColumns:
    """The clear columns of a case row, typed as the app's table types them."""
    unit_id: Mapped[int] = mapped_column(Case.__table__.c.unit_id.type)
    recorded_by_id: Mapped[str] = mapped_column(String(36))
    lead_officer_id: Mapped[str | None] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(Case.__table__.c.received_at.type)
    next_deadline_at: Mapped[datetime | None] = mapped_column(
        Case.__table__.c.next_deadline_at.type)
    closure_requested_at: Mapped[datetime | None] = mapped_column(
        Case.__table__.c.closure_requested_at.type)
    plan_drafted_at: Mapped[datetime | None] = mapped_column(
        Case.__table__.c.plan_drafted_at.type)
    immediate_danger: Mapped[bool] = mapped_column(Case.__table__.c.immediate_danger.type)
    closed_at: Mapped[datetime | None] = mapped_column(Case.__table__.c.closed_at.type)


SealedCaseRow = type("SealedCaseRow", (BenchBase, SealedOwner, CaseRowColumns), {
    "__tablename__": "bench_sealed_case_rows", **row_identity(), **sealed_fields(),
    "child_phone_index": mapped_column(Case.__table__.c.child_phone_index.type, index=True,
                                       nullable=True),
    "child_dob_family_index": mapped_column(Case.__table__.c.child_dob_family_index.type,
                                            index=True, nullable=True)})
PlainCaseRow = type("PlainCaseRow", (BenchBase, CaseRowColumns), {
    "__tablename__": "bench_plain_case_rows", **row_identity(), **plain_fields(),
    "__table_args__": (Index("ix_bench_plain_phone", "child_phone"),
                       Index("ix_bench_plain_dob_name", "child_dob", "child_name"))})


def _copy_case_indexes(table) -> int:
    """Every index of the app's cases table over the clear columns, on ``table``."""
    copied = 0
    for index in Case.__table__.indexes:
        names = [column.name for column in index.columns]
        if set(names) <= set(CASE_COLUMNS) | {"id"}:
            Index(f"{table.name}_{index.name}", *(table.c[n] for n in names),
                  unique=index.unique, **index.dialect_kwargs)
            copied += 1
    return copied


CASE_INDEXES_COPIED = {model.__table__.name: _copy_case_indexes(model.__table__)
                       for model in (SealedCaseRow, PlainCaseRow)}
SHAPES = {"bare": (PlainCase, SealedCase), "case": (PlainCaseRow, SealedCaseRow)}


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

def make_row_columns(rng: random.Random) -> dict:
    """A case row's clear columns, as intake leaves them (the case shape only)."""
    received = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
    return {"unit_id": 1 + rng.randrange(60), "stage": "intake",
            "recorded_by_id": f"00000000-0000-4000-8000-{rng.randrange(40):012d}",
            "lead_officer_id": None, "received_at": received,
            "next_deadline_at": received + timedelta(hours=24),
            "closure_requested_at": None, "plan_drafted_at": None,
            "immediate_danger": rng.random() < 0.1, "closed_at": None}


def fill(case, values, ring):
    """``values`` set on the new row ``case``; the caller has opened the key scope
    and made the row's data key when it is sealed."""
    fields, columns = values
    for k, v in fields.items():
        setattr(case, k, v)
    if hasattr(case, "received_at"):
        for k, v in columns.items():
            setattr(case, k, v)
    if hasattr(case, "child_phone_index"):  # what intake adds for the duplicate search
        key = ring.blind_index_key
        case.child_phone_index = blind_index("child_phone", fields["child_phone"], key)
        case.child_dob_family_index = blind_index(
            "child_dob_family", (fields["child_dob"], fields["child_name"].split()[0]), key)
    return case


def is_sealed(model) -> bool:
    return issubclass(model, SealedOwner)


def write_per_request(engine, model, rows, ring):
    ids = []
    sealed = is_sealed(model)
    for values in rows:
        with Session(engine) as session:
            case = model(id=new_id(), unit_code="D01", stage="intake")
            if sealed:
                with key_scope(ring):
                    new_data_key(session, case)
                    fill(case, values, ring)
            else:
                fill(case, values, ring)
            session.add(case)
            ids.append(case.id)
            session.commit()
    return ids


def read_per_request(engine, model, ids, ring):
    sealed = is_sealed(model)
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
    sealed = is_sealed(model)
    with Session(engine) as session:
        for start in range(0, len(rows), chunk):
            with key_scope(ring):
                for values in rows[start:start + chunk]:
                    case = model(id=new_id(), unit_code="D01", stage="intake")
                    if sealed:
                        new_data_key(session, case)
                    session.add(fill(case, values, ring))
                session.commit()


def read_bulk(engine, model, ring):
    sealed = is_sealed(model)
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


def run(n: int, repeat: int, shape: str = "bare",
        ) -> tuple[list[tuple[str, float, float]], dict[str, float]]:
    """Best-of times per workload, and the median of the rounds' own ratios:
    each round times plain and sealed back to back, so a neighbour's load that
    comes and goes between rounds cancels out of the paired ratio."""
    rng = random.Random(20260101)
    rows = [(make_values(rng), make_row_columns(rng)) for _ in range(n)]
    plain_model, sealed_model = SHAPES[shape]
    ring = KeyRing.generate()
    best: dict[tuple[str, str], float] = {}
    rounds: list[dict[tuple[str, str], float]] = []
    for _ in range(repeat):
        this: dict[tuple[str, str], float] = {}
        rounds.append(this)
        with tempfile.TemporaryDirectory() as folder:
            for label, model in (("plain", plain_model), ("sealed", sealed_model)):
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
    parser.add_argument("--shape", choices=["bare", "case", "both"], default="both",
                        help="bare: the 12 fields alone; case: in the cases table's row "
                             "shape, its indexes on both sides (see the top of this file)")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    for shape in (("bare", "case") if args.shape == "both" else (args.shape,)):
        results, paired = run(args.cases, args.repeat, shape)
        indexes = (f"{CASE_INDEXES_COPIED[PlainCaseRow.__tablename__]} indexes of the cases "
                   "table on both sides" if shape == "case" else "no index on the plain side")
        print(f"{shape} shape ({indexes}): {args.cases} cases x 12 fields, SQLite WAL, "
              f"best of {args.repeat}, {args.clock} clock "
              f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]})")
        print(f"{'workload':<20}{'plain s':>10}{'sealed s':>10}{'ratio':>8}"
              f"{'plain/case ms':>15}{'sealed/case ms':>16}{'paired':>9}")
        for op, plain, sealed in results:
            print(f"{op:<20}{plain:>10.3f}{sealed:>10.3f}{sealed / plain:>7.2f}x"
                  f"{plain / args.cases * 1000:>15.3f}{sealed / args.cases * 1000:>16.3f}"
                  f"{paired[op]:>8.2f}x")
        print()
    print("ratio: of the best times; paired: the median of each round's sealed/plain")
    return 0


if __name__ == "__main__":
    sys.exit(main())
