"""The surveys job at scale, and the reply parser's speed.

For each database (SQLite; PostgreSQL with --pg or REDRESS_TEST_DATABASE_URL) this migrates a fresh
database, loads the demo directory, bulk-seeds 100,000 service deliveries (three hours old, each to a
different phone), then times one run of the surveys job at a time inside the allowed hours: scheduling
a survey for every delivery, then finding the due invitations and enqueuing them (the provider's rate
set high enough to take them all in one run). Target: find and enqueue ≤ 10 s. Then it parses a mix of
realistic replies (scores and yes/no) and prints how many per second (median of five passes).

    .venv/bin/python bench/surveys.py [--deliveries 100000] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app import migrate, schema  # noqa: E402, F401 - schema: every table mapped
from app.demo import DIRECTORY  # noqa: E402
from core.db import bulk_insert, make_engine, make_sessionmaker, transaction  # noqa: E402
from core.outbox import OutboxMessage  # noqa: E402
from directory.services import load_file  # noqa: E402
from intake.models import Office  # noqa: E402
from surveys import schedule  # noqa: E402
from surveys.models import ServiceDelivery  # noqa: E402
from surveys.policy import SurveyPolicy  # noqa: E402
from surveys.replies import parse_score, parse_yes_no  # noqa: E402
from tests.databases import throwaway_database  # noqa: E402

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 10:45 in Kathmandu: inside the allowed hours
CHUNK = 20_000
REPLIES = ["5", "1", "३", "٤", "4 stars", "very good", "ramro", "naramro", "👍", "2 or 3", "maybe", "yes", "no",
           "हो", "hoina", "yse", "The clerk was rude and sent me away twice", "⭐⭐⭐", "fiev", "STOP"]


def seed(factory, *, deliveries: int) -> None:  # noqa: ANN001
    with factory() as session:
        offices = session.scalars(select(Office.id).where(Office.active)).all()
    for start in range(0, deliveries, CHUNK):
        rows = [{"reference": f"B-{n:07d}", "phone": f"+97798{n:08d}", "office_id": offices[n % len(offices)],
                 "service": ("new_connection", "renewal", "certificate")[n % 3],
                 "delivered_at": NOW - timedelta(hours=3, seconds=n % 3600), "created_at": NOW, "source": "csv"}
                for n in range(start, min(start + CHUNK, deliveries))]
        with transaction(factory) as session:
            bulk_insert(session, ServiceDelivery.__table__, rows)


def bench(url: str, *, deliveries: int) -> dict[str, float]:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            load_file(session, path=DIRECTORY, actor="bench", now=NOW)
        seed(factory, deliveries=deliveries)
        policy = SurveyPolicy(default_timezone="Asia/Kathmandu", rate_per_minute=deliveries,
                              interval=timedelta(minutes=1))
        counts = schedule.Counts()
        began = time.perf_counter()
        with transaction(factory) as session:
            schedule.schedule_deliveries(session, now=NOW, policy=policy, counts=counts,
                                         recent=schedule.recently_surveyed(session, now=NOW, policy=policy))
        scheduled = time.perf_counter() - began
        began = time.perf_counter()
        with transaction(factory) as session:
            schedule.send_due(session, now=NOW, policy=policy, counts=counts)
        enqueued = time.perf_counter() - began
        with factory() as session:
            queued = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert counts.scheduled == counts.sent == queued == deliveries, (counts, queued)
        return {"schedule_s": scheduled, "enqueue_s": enqueued, "queued": queued}
    finally:
        engine.dispose()


def parsing_rate(passes: int = 5, replies: int = 100_000) -> float:
    texts = [REPLIES[n % len(REPLIES)] for n in range(replies)]
    rates = []
    for _ in range(passes):
        began = time.perf_counter()
        for n, text in enumerate(texts):
            (parse_score if n % 2 else parse_yes_no)(text)
        rates.append(replies / (time.perf_counter() - began))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("REDRESS_TEST_DATABASE_URL"),
                        help="PostgreSQL server for a second run (default: REDRESS_TEST_DATABASE_URL)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{args.deliveries:,} deliveries, all due for an invitation now")
    print(f"{'database':<12}{'schedule':>10}{'find+enqueue':>14}{'queued':>10}")
    for name in args.databases.split(","):
        if name == "postgresql" and not args.pg:
            print("postgresql  skipped: no --pg URL")
            continue
        if name == "postgresql":
            url, drop = throwaway_database(args.pg, prefix="redress_surveybench")
        else:
            url, drop = f"sqlite:///{tempfile.mkdtemp(prefix='redress-surveybench-')}/redress.db", (lambda: None)
        try:
            f = bench(url, deliveries=args.deliveries)
        finally:
            drop()
        print(f"{name:<12}{f['schedule_s']:>9.2f}s{f['enqueue_s']:>13.2f}s{f['queued']:>10,}", flush=True)
    print(f"reply parsing: {parsing_rate():,.0f} replies per second (median of 5 passes of 100,000)")


if __name__ == "__main__":
    main()
