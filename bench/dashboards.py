"""Staff and public pages at scale: the inbox, the dashboard, the public figures over 1,000,000 grievances.

For each database (SQLite; PostgreSQL with --pg or REDRESS_TEST_DATABASE_URL) this migrates a fresh
database, loads the demo directory, bulk-seeds grievances over the last year across the demo offices
(a tenth still open, each grievance with its first-response and resolution deadlines), runs the
`rollups` job (timing its first count of the whole year, and a recount of 20 changed days as a later
run does), starts `redress serve`, signs in an officer, a district head and a province manager, and
times each page over loopback; then the public pages, the open-data file and the KPI API (one count, the
same figures as the dashboard's). Prints p50 and p95 per page and role. Target: p95 < 300 ms.

    .venv/bin/python bench/dashboards.py [--grievances 1000000] [--requests 30] [--pg URL] [--databases ...]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app import migrate, schema  # noqa: E402, F401 - schema: every table mapped
from app.demo import DIRECTORY, load_staff  # noqa: E402
from core.db import bulk_insert, make_engine, make_sessionmaker, transaction  # noqa: E402
from dashboards import rollups  # noqa: E402
from dashboards.auth import token_hash  # noqa: E402
from directory.services import load_file  # noqa: E402
from escalation.models import Basis, Deadline, DeadlineKind  # noqa: E402
from intake import tracking  # noqa: E402
from intake.models import (  # noqa: E402
    Category,
    Channel,
    Confidentiality,
    Grievance,
    Office,
    Priority,
    StaffSession,  # noqa: E402
    StaffUser,
    Status,
)
from tests.databases import throwaway_database  # noqa: E402
from tests.live import free_port, wait_ready  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
CHUNK = 20_000
CHANNELS = [Channel.SMS, Channel.WEB, Channel.CALL_CENTRE, Channel.TELEGRAM]
SEATS = [("officer", "rv-n-water.officer"), ("district head", "rv-n.head"), ("province manager", "rv.manager")]
PAGES = [("inbox", "/staff/inbox"), ("inbox, overdue", "/staff/inbox?overdue=1"),
         ("dashboard, 8 weeks", "/staff/dashboard"), ("meeting pack", "/staff/meeting")]
PUBLIC = [("public, 90 days", "/public"), ("public office page", "/public/offices/RV-N-WATER"),
          ("open data, offices", "/open-data/offices.csv")]


def seed(factory, *, grievances: int) -> None:  # noqa: ANN001
    with factory() as session:
        pairs = session.execute(select(Office.id, Category.id, Office.jurisdiction).join(Office.categories)).all()
    for start in range(1, grievances + 1, CHUNK):
        rows, clocks = [], []
        for gid in range(start, min(start + CHUNK, grievances + 1)):
            office_id, category_id, areas = pairs[gid % len(pairs)]
            received = NOW - timedelta(minutes=(gid * 7919) % (365 * 24 * 60))
            is_open = (gid * 2654435761) % 1000 < 100  # a tenth, spread over every office (not gid % 10)
            answered = None if is_open and gid % 20 == 0 else received + timedelta(hours=gid % 40)
            resolved = None if is_open else received + timedelta(hours=24 + gid % 200)
            rows.append({"id": gid, "tracking_number": tracking.number_for(gid), "secret_hash": "0" * 64,
                         "channel": CHANNELS[gid % len(CHANNELS)], "text": f"Complaint number {gid} about the service",
                         "language": "en", "admin_area": areas[0] if areas else None, "category_id": category_id,
                         "office_id": office_id, "status": Status.IN_PROGRESS if is_open else Status.RESOLVED,
                         "priority": Priority.NORMAL, "confidentiality": Confidentiality.NORMAL,
                         "received_at": received, "first_response_at": answered, "resolved_at": resolved,
                         "updated_at": resolved or answered or received, "transfer_count": 0, "reopen_count": 0})
            for kind, hours, met in ((DeadlineKind.FIRST_RESPONSE, 16, answered),
                                     (DeadlineKind.RESOLUTION, 120, resolved)):
                due = received + timedelta(hours=hours)
                live = met is None
                clocks.append({"grievance_id": gid, "kind": kind, "office_id": office_id, "basis": Basis.CALENDAR,
                               "hours": float(hours), "escalation_hours": 16.0, "started_at": received,
                               "due_at": due, "met_at": met, "warn_at": None, "level": 0,
                               "next_at": due if live else None})
        with transaction(factory) as session:  # COPY on PostgreSQL
            bulk_insert(session, Grievance.__table__, rows)
            bulk_insert(session, Deadline.__table__, clocks)


def settle(engine) -> None:  # noqa: ANN001
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def count_rollups(factory) -> None:  # noqa: ANN001
    began = time.perf_counter()
    days = rollups.run(factory, now=NOW)
    print(f"  rollups: first count of {days} days in {time.perf_counter() - began:.1f} s", flush=True)
    with transaction(factory) as session:  # a change to one grievance on each of 20 days, as a busy minute
        for ago in range(0, 200, 10):
            gid = session.scalar(select(Grievance.id).where(Grievance.received_at >= NOW - timedelta(days=ago, hours=1))
                                 .order_by(Grievance.received_at).limit(1))
            session.get(Grievance, gid).updated_at = NOW
    began = time.perf_counter()
    days = rollups.run(factory, now=NOW)
    print(f"  rollups: recount of {days} changed days in {time.perf_counter() - began:.1f} s", flush=True)


def sign_in(factory, username: str) -> str:  # noqa: ANN001
    """A staff session made directly in the database; the bench times pages, not argon2."""
    token = secrets.token_urlsafe(32)
    with transaction(factory) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        session.add(StaffSession(id=token_hash(token), user_id=user.id, csrf_token="x", created_at=NOW,
                                 last_seen_at=NOW + timedelta(days=1), expires_at=NOW + timedelta(days=2)))
    return token


def bench(url: str, *, grievances: int, requests: int) -> list[tuple[str, str, float, float]]:
    engine = make_engine(url)
    with tempfile.TemporaryDirectory() as models:
        try:
            migrate.upgrade(engine)
            factory = make_sessionmaker(engine)
            with transaction(factory) as session:
                load_file(session, path=DIRECTORY, actor="bench", now=NOW)
                load_staff(session, now=NOW)
            seed(factory, grievances=grievances)
            settle(engine)
            count_rollups(factory)
            settle(engine)
            tokens = {seat: sign_in(factory, username) for seat, username in SEATS}
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")} | {
                "REDRESS_DATABASE_URL": url, "REDRESS_MODEL_DIR": models, "REDRESS_SCHEDULER_ENABLED": "false",
                "REDRESS_STAFF_IDLE_MINUTES": "100000", "PYTHONPATH": str(ROOT)}
            server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(base)
                out = []
                with httpx.Client(base_url=base, timeout=120) as client:
                    for seat, _ in [*SEATS, ("anyone", "")]:
                        cookie = {"Cookie": f"__Host-redress_session={tokens[seat]}"} if seat in tokens else {}
                        for page, path in PAGES if seat in tokens else PUBLIC:
                            client.get(path, headers=cookie)  # warm
                            times = []
                            for _ in range(requests):
                                began = time.perf_counter()
                                answer = client.get(path, headers=cookie)
                                times.append(time.perf_counter() - began)
                                assert answer.status_code == 200, (seat, path, answer.status_code)
                            times.sort()
                            out.append((seat, page, statistics.median(times) * 1000,
                                        times[min(len(times) - 1, int(0.95 * len(times)))] * 1000))
                            print(f"  {seat:<18}{page:<22}{out[-1][2]:>9.0f}{out[-1][3]:>9.0f}", flush=True)
                return out
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grievances", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page and role")
    parser.add_argument("--pg", default=os.environ.get("REDRESS_TEST_DATABASE_URL"))
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{args.grievances:,} grievances over a year; {args.requests} requests per page and role; "
          "target p95 < 300 ms")
    for name in args.databases.split(","):
        if name == "postgresql" and not args.pg:
            print("postgresql  skipped: no --pg URL")
            continue
        if name == "postgresql":
            url, drop = throwaway_database(args.pg, prefix="redress_dashbench")
        else:
            url, drop = f"sqlite:///{tempfile.mkdtemp(prefix='redress-dashbench-')}/redress.db", (lambda: None)
        print(f"{name}:  {'role':<18}{'page':<22}{'p50 ms':>9}{'p95 ms':>9}")
        try:
            bench(url, grievances=args.grievances, requests=args.requests)
        finally:
            drop()


if __name__ == "__main__":
    main()
