"""What case care costs: the duplicate check at intake, and evidence files.

Makes a throw-away instance (keys, SQLite, migrations), fills it with
``caseapp demo-data`` (synthetic cases through the real services), then:

* intake: records the same synthetic reports through ``record_intake`` with
  the duplicate / repeat-offender check (blind indexes compared in SQL) and,
  in the same process, with the check switched off; prints both per intake
  and the ratio;
* evidence: uploads an 8 MiB PDF (the configured maximum) through
  ``caseapp.evidence.service.upload`` (content check incl. parsing the PDF for
  active content with pikepdf, SHA-256, AES-GCM, audit entry) and downloads it (grant,
  audit entry, decryption), against the
  baseline of the same bytes written to and read from a plain BLOB table in
  the same database; prints time and peak Python memory (tracemalloc) of
  each and the ratios.

    python benchmarks/case_care.py                 # 5,000 background cases
    python benchmarks/case_care.py --cases 20000
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import date
from pathlib import Path

from caseapp.admin import service as admin_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def big_pdf(size: int) -> bytes:
    """A valid one-page PDF just under ``size`` bytes (an incompressible page stream)."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(os.urandom(size - 4096))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    assert len(out.getvalue()) <= size
    return out.getvalue()


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--intakes", type=int, default=200)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import text

    from caseapp import MIGRATIONS_DIR, create_app
    from caseapp.accounts.service import find_user
    from caseapp.cases import service
    from caseapp.cases.data import OffenderAccountData
    from caseapp.cli.cases import demo_data
    from caseapp.crypto import KeyRing, key_scope
    from caseapp.evidence import service as evidence
    from caseapp.extensions import db
    from caseapp.matching import service as matching
    from tests.cases.conftest import intake_data

    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o700)
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "benchmark-" + "x" * 40,
                          "CASEAPP_KEYRING": KeyRing.generate(),
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db"},
                         env="testing")
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
            admin_service.create_unit("system", "HUYEN", "Huyện đoàn (benchmark)")
            db.session.commit()
            result = app.test_cli_runner().invoke(demo_data, ["--cases", str(args.cases)])
            assert result.exit_code == 0, result.output
            db.session.remove()
            counselor = find_user("demo.tvv1")
            unit = counselor.unit.code

            # --- intake with and without the duplicate check (alternating) ---
            real = matching.flag_matches
            with_check, without = [], []
            for i in range(args.intakes):
                # A different child and offender each time: most intakes match nothing,
                # as most reports do (a match adds its rows, an audit entry, notifications).
                data = intake_data(unit, offender_accounts=(OffenderAccountData(
                    f"https://www.facebook.com/bench.{i}.{os.getpid()}/", "facebook"),))
                data = replace(data, child=replace(
                    data.child, phone=f"09{i % 97:02d} 555 {i:03d}",
                    full_name=f"Bench{i} Văn An",
                    date_of_birth=date(2010 + i % 6, 1 + i % 12, 1 + i % 28)))
                for switched_on in ((True, False) if i % 2 else (False, True)):
                    matching.flag_matches = real if switched_on else (lambda case, actor=None: [])
                    with key_scope():
                        t0 = time.perf_counter()
                        service.record_intake(counselor, data)
                        db.session.commit()
                        (with_check if switched_on else without).append(
                            time.perf_counter() - t0)
            matching.flag_matches = real
            on = sorted(with_check)[len(with_check) // 2]
            off = sorted(without)[len(without) // 2]
            print(f"intake, median of {args.intakes} over {args.cases} cases: "
                  f"{on * 1000:.2f} ms with the duplicate check, {off * 1000:.2f} ms without "
                  f"-> {on / off:.2f}x")

            # --- evidence: 8 MiB up and down, against a plain BLOB ---
            size = app.config["ATTACHMENT_MAX_BYTES"]
            content = big_pdf(size)
            with key_scope():
                case = service.record_intake(counselor, intake_data(
                    unit, harm_categories=("cyberbullying",)))
                db.session.commit()
            db.session.execute(text("CREATE TABLE plain_blobs (id INTEGER PRIMARY KEY, "
                                    "body BLOB NOT NULL)"))
            db.session.commit()

            def plain_up():
                db.session.execute(text("INSERT INTO plain_blobs (id, body) VALUES (1, :b)"),
                                   {"b": content})
                db.session.commit()

            def plain_down():
                return db.session.execute(text("SELECT body FROM plain_blobs WHERE id = 1")
                                          ).scalar_one()

            def sealed_up():
                with key_scope():
                    row = evidence.upload(counselor, case, evidence.UploadData(
                        content=content, filename="bang-chung.pdf", confirmed_no_abuse=True))
                    db.session.commit()
                    return row.id

            def sealed_down(attachment_id):
                db.session.expire_all()
                with key_scope():
                    return evidence.download(counselor, case, attachment_id).content

            from caseapp.evidence import pdf_scan

            check_t, _, verdict = timed(lambda: pdf_scan.check(content))
            assert verdict is None, verdict
            base_up_t, base_up_m, _ = timed(plain_up)
            base_down_t, base_down_m, _ = timed(plain_down)
            up_t, up_m, attachment_id = timed(sealed_up)
            down_t, down_m, back = timed(lambda: sealed_down(attachment_id))
            assert back == content
            mib = 1024 * 1024
            # tracemalloc counts Python objects only (SQLite's own buffers are not in it):
            # memory is shown as a multiple of the file's size.
            print(f"evidence upload of {size / mib:.0f} MiB: {up_t * 1000:.1f} ms vs plain BLOB "
                  f"{base_up_t * 1000:.1f} ms -> {up_t / base_up_t:.2f}x time; peak Python "
                  f"memory {up_m / size:.1f}x the file (plain {base_up_m / size:.1f}x)")
            print(f"  of which the PDF check in its capped child process: {check_t * 1000:.1f} ms")
            print(f"evidence download: {down_t * 1000:.1f} ms vs plain BLOB "
                  f"{base_down_t * 1000:.1f} ms -> {down_t / base_down_t:.2f}x time; peak "
                  f"Python memory {down_m / size:.1f}x the file (plain {base_down_m / size:.1f}x)")
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
