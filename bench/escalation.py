"""The escalation sweep at scale: 1,000,000 open grievances, 10 % of them past their silence deadline.

For each database (SQLite; PostgreSQL with --pg or REDRESS_TEST_DATABASE_URL) this migrates a fresh
database, loads the demo directory, bulk-seeds open grievances assigned to the demo offices, each with
a first-response deadline (a tenth already passed, each of those with a citizen to notify), then
times one sweep that escalates them all (escalations, events, office alerts and citizen messages
written) and one empty sweep right after. Targets on PostgreSQL: ≤ 5 s and ≤ 200 ms.

Where the passed deadlines sit matters to the database, so each is measured two ways (--spreads):
`arrival`, as a live store has them — grievances numbered in the order they came in, the oldest tenth
past its deadline — and `scattered`, every tenth grievance, which puts passed deadlines on every page
of every table and index: the worst case.

    .venv/bin/python bench/escalation.py [--grievances 1000000] [--due-share 0.1] [--pg URL]
        [--databases sqlite,postgresql] [--spreads arrival,scattered]
"""

from __future__ import annotations

import argparse
import os
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
from escalation import sweep  # noqa: E402
from escalation.models import Basis, Deadline, DeadlineKind  # noqa: E402
from intake import tracking  # noqa: E402
from intake.models import (  # noqa: E402
    ESCALATION_STEPS,
    Category,
    Channel,
    Citizen,
    Confidentiality,
    Grievance,
    GrievanceEvent,
    Office,
    Priority,
    Status,
)
from tests.databases import throwaway_database  # noqa: E402

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHUNK = 20_000


def seed(factory, *, grievances: int, due_share: float, spread: str) -> int:  # noqa: ANN001
    with factory() as session:
        offices = session.execute(select(Office.id, Category.id).join(Office.categories)).all()
    due_every, oldest = round(1 / due_share), round(grievances * due_share)
    due = 0
    for start in range(1, grievances + 1, CHUNK):
        ids = range(start, min(start + CHUNK, grievances + 1))
        citizens, rows, clocks = [], [], []
        for gid in ids:
            office_id, category_id = offices[gid % len(offices)]
            passed = gid <= oldest if spread == "arrival" else gid % due_every == 0  # see the docstring
            received = NOW - timedelta(days=5 if passed else 0, hours=gid % 7)
            if passed:
                citizens.append({"id": gid, "phone": f"+97798{gid:08d}", "created_at": received})
                due += 1
            rows.append({"id": gid, "tracking_number": tracking.number_for(gid), "secret_hash": "0" * 64,
                         "channel": Channel.SMS, "text": "No water in our tole for three days", "language": "en",
                         "category_id": category_id, "office_id": office_id, "citizen_id": gid if passed else None,
                         "status": Status.ASSIGNED, "priority": Priority.NORMAL,
                         "confidentiality": Confidentiality.NORMAL, "received_at": received, "updated_at": received,
                         "transfer_count": 0, "reopen_count": 0})
            deadline = received + timedelta(hours=16) if passed else NOW + timedelta(days=2, hours=gid % 48)
            clocks.append({"grievance_id": gid, "kind": DeadlineKind.FIRST_RESPONSE, "office_id": office_id,
                           "basis": Basis.CALENDAR, "hours": 16.0, "escalation_hours": 16.0, "started_at": received,
                           "due_at": deadline, "warn_at": None, "level": 0, "next_at": deadline})
        with transaction(factory) as session:  # COPY on PostgreSQL
            bulk_insert(session, Citizen.__table__, citizens)
            bulk_insert(session, Grievance.__table__, rows)
            bulk_insert(session, Deadline.__table__, clocks)
    return due


def settle(engine) -> None:  # noqa: ANN001
    """What a live database has had time to do after a bulk load: statistics, visibility map, a checkpoint.

    Without it PostgreSQL plans the sweep's joins from an empty table's estimates and spends the sweep
    writing the seeding's checkpoint."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def bench(url: str, *, grievances: int, due_share: float, spread: str) -> dict[str, float]:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            load_file(session, path=DIRECTORY, actor="bench", now=NOW)
        began = time.perf_counter()
        due = seed(factory, grievances=grievances, due_share=due_share, spread=spread)
        seeded = time.perf_counter() - began
        settle(engine)
        began = time.perf_counter()
        escalated = sweep.run(factory, now=NOW)
        full = time.perf_counter() - began
        began = time.perf_counter()
        again = sweep.run(factory, now=NOW)
        empty = time.perf_counter() - began
        with factory() as session:
            rows = session.scalar(select(func.count()).select_from(GrievanceEvent).where(ESCALATION_STEPS))
            notices = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert escalated == due == rows and again == 0, (escalated, due, rows, again)
        return {"seeded_s": seeded, "due": due, "sweep_s": full, "empty_ms": empty * 1000, "notices": notices}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grievances", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.1)
    parser.add_argument("--pg", default=os.environ.get("REDRESS_TEST_DATABASE_URL"),
                        help="PostgreSQL server for a second run (default: REDRESS_TEST_DATABASE_URL)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--spreads", default="arrival,scattered",
                        help="where the passed deadlines sit: arrival (the oldest), scattered (every tenth)")
    args = parser.parse_args()
    print(f"{args.grievances:,} open grievances, {args.due_share:.0%} past their first-response deadline")
    print(f"{'database':<12}{'spread':<11}{'seeded in':>10}{'due':>9}{'sweep':>9}{'empty sweep':>13}"
          f"{'outbox rows':>13}")
    for name in args.databases.split(","):
        if name == "postgresql" and not args.pg:
            print("postgresql  skipped: no --pg URL")
            continue
        for spread in args.spreads.split(","):
            if name == "postgresql":
                url, drop = throwaway_database(args.pg, prefix="redress_escbench")
            else:
                url, drop = f"sqlite:///{tempfile.mkdtemp(prefix='redress-escbench-')}/redress.db", (lambda: None)
            try:
                f = bench(url, grievances=args.grievances, due_share=args.due_share, spread=spread)
            finally:
                drop()
            print(f"{name:<12}{spread:<11}{f['seeded_s']:>9.0f}s{f['due']:>9,}{f['sweep_s']:>8.2f}s"
                  f"{f['empty_ms']:>11.0f}ms{f['notices']:>13,}", flush=True)


if __name__ == "__main__":
    main()
