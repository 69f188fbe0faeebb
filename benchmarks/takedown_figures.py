"""What do the takedown figures and the overdue scan cost with many requests?

Makes a throw-away SQLite instance (or the PostgreSQL database given with
``--database-url``, whose name must start with "bench": its schema is
dropped) with the units, people and N cases of ``figures_at_scale.py`` (same
seeding), then gives a third of the cases 1-3 harmful items with 1-2 removal
requests each (platforms, channels, days and outcomes at random; the links
and tickets left empty: the figures never read them), written with
SQLAlchemy Core. Then, best of ``--repeat`` after a warm-up:

  (a) the baseline: one hand-written statement counting every item with a
      request and those removed, by platform, over all units (no scope, no
      median): the least a database must do to read the items once;
  (b) ``takedown.figures.by_platform`` for the province's supervisor (the whole
      tree) and a district's (shares and medians, scoped);
  (c) the chart of the province's figures, drawn anew (matplotlib, SVG);
  (d) the overdue scanner ``service.overdue_notices``: its first run (every
      overdue request announced and marked), then a later run (nothing new).

Each as seconds and as a ratio to (a).

    python benchmarks/takedown_figures.py                 # SQLite, 20,000 cases
    python benchmarks/takedown_figures.py --cases 100000
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures_at_scale as scale  # noqa: E402  (the same instance and seeding)

PLATFORMS = ("facebook", "tiktok", "youtube", "zalo", "instagram", "telegram", "x", "discord",
             "other")
WEIGHTS = (35, 25, 10, 15, 5, 4, 2, 2, 2)
CHANNELS = ("platform_report", "trusted_flagger", "information_safety", "police")
OUTCOMES = (None, "removed", "restricted", "refused", "no_answer")
OUTCOME_WEIGHTS = (20, 45, 10, 15, 10)


def add_takedown(rng: random.Random) -> tuple[int, int]:
    """Items and requests for a third of the cases (Core, in batches)."""
    from sqlalchemy import select

    from caseapp import clock
    from caseapp.cases.models import Case
    from caseapp.extensions import db
    from caseapp.takedown.models import TakedownItem, TakedownRequest
    from caseapp.takedown.service import answer_due

    today = clock.now().date()
    cases = db.session.execute(select(Case.id, Case.lead_officer_id)).all()
    items, requests = [], []
    for case_id, lead in cases:
        if rng.random() > 1 / 3 or lead is None:
            continue
        for _ in range(rng.choice((1, 1, 2, 3))):
            item_id = str(uuid.uuid4())
            items.append({"id": item_id, "case_id": case_id,
                          "platform": rng.choices(PLATFORMS, WEIGHTS)[0], "kind": "post",
                          "link_index": rng.randrange(1 << 16), "recorded_by_id": lead,
                          "recorded_at": datetime.now(UTC)})
            sent = today - timedelta(days=rng.randrange(1, 400))
            for _ in range(rng.choice((1, 1, 2))):
                outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
                answered = min(sent + timedelta(days=rng.randrange(0, 30)), today) \
                    if outcome else None
                requests.append({"id": str(uuid.uuid4()), "case_id": case_id,
                                 "item_id": item_id, "channel": rng.choice(CHANNELS),
                                 "sent_on": sent, "answer_due_at": answer_due(sent),
                                 "recorded_by_id": lead, "recorded_at": datetime.now(UTC),
                                 "outcome": outcome, "outcome_on": answered,
                                 "outcome_by_id": lead if outcome else None})
                sent = min(sent + timedelta(days=rng.randrange(1, 20)), today)
    connection = db.session.connection()
    for start in range(0, len(items), scale.BATCH):
        connection.execute(TakedownItem.__table__.insert(), items[start:start + scale.BATCH])
    for start in range(0, len(requests), scale.BATCH):
        connection.execute(TakedownRequest.__table__.insert(),
                           requests[start:start + scale.BATCH])
    db.session.commit()
    return len(items), len(requests)


BASELINE = """
SELECT platform, count(*), count(removed) FROM (
  SELECT i.id, i.platform,
         min(CASE WHEN r.outcome = 'removed' THEN r.outcome_on END) AS removed
  FROM case_takedown_items i JOIN case_takedown_requests r ON r.item_id = i.id
  GROUP BY i.id, i.platform) per_item
GROUP BY platform
"""


def best(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from caseapp import clock, create_app
    from caseapp.accounts.models import User
    from caseapp.core import charts
    from caseapp.crypto import KeyRing
    from caseapp.extensions import db
    from caseapp.takedown import figures, service

    if args.database_url and not (make_url(args.database_url).database or "").startswith("bench"):
        parser.error("the PostgreSQL database's name must start with 'bench'")
    with tempfile.TemporaryDirectory(prefix="bench-takedown-") as tmp:
        os.chmod(tmp, 0o700)
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "benchmark-" + "x" * 40,
                          "CASEAPP_KEYRING": KeyRing.generate(),
                          "SQLALCHEMY_DATABASE_URI": args.database_url
                          or f"sqlite:///{tmp}/bench.db"}, env="testing")
        app.test_client_class = scale.isolated_client_class()
        app.extensions["caseapp_audit_started"] = True
        with app.app_context():
            scopes = scale.prepare(app, args.cases, args.seed)
            t0 = time.perf_counter()
            made = add_takedown(random.Random(args.seed))
            if db.engine.dialect.name == "sqlite":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            print(f"{made[0]:,} items and {made[1]:,} requests written in "
                  f"{time.perf_counter() - t0:.1f} s")
            baseline = best(lambda: db.session.execute(text(BASELINE)).all(), args.repeat)
            rows = [("(a) baseline: one statement, all units, no median", baseline)]
            for name, uid, _username, _secret, _unit_id, _code in scopes:
                user = db.session.get(User, uid)
                rows.append((f"(b) figures.by_platform, {name}",
                             best(lambda user=user: figures.by_platform(user), args.repeat)))
            province = db.session.get(User, scopes[0][1])
            found, _total = figures.by_platform(province)

            def draw():
                charts._bars.cache_clear()
                charts.bars("Share removed", [r.platform for r in found],
                            {"removed": [None if r.share is None else 100 * r.share
                                         for r in found]}, percent=True)
            rows.append(("(c) the province's chart, drawn anew", best(draw, args.repeat)))
            now = clock.now()
            t0 = time.perf_counter()
            announced = service.overdue_notices(now, None)
            rows.append((f"(d) scan, first run ({len(announced):,} overdue announced)",
                         time.perf_counter() - t0))
            db.session.commit()
            again = best(lambda: service.overdue_notices(now, None), args.repeat)
            rows.append(("(d) scan, a later run (nothing new)", again))
            print(f"\n{db.engine.dialect.name}, {args.cases:,} cases, best of {args.repeat}")
            for label, seconds in rows:
                print(f"  {label:<58} {seconds * 1000:9.1f} ms  x{seconds / baseline:6.1f}")
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
