"""Fault run: kill -9 the delivery worker at random moments while it sends to a local fake of Twilio's API.

Prints, with and without reconciliation:
  lost                      messages the provider never received (target 0)
  dup_never_handed_over     duplicates among messages whose hand-over was never cut short by a kill (target 0)
  handed_over_then_killed   messages the provider had received when the worker died before recording it
  dup_handed_over           duplicates among those (reconciliation should make this 0)

    .venv/bin/python bench/sms_faults.py [--kills 100] [--messages 400] [--database-url URL]

Not part of `make test`: it takes about a minute per mode.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app import migrate, schema  # noqa: E402, F401 - schema: every table mapped
from channels.delivery import DeliveryPolicy, deliver_due  # noqa: E402
from channels.gateways import TwilioCompatibleGateway  # noqa: E402
from core.clock import utcnow  # noqa: E402
from core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus, enqueue  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402

SID = "AC" + "f" * 32
TOKEN = "bench-token"
SENDER = "+15550100"
CLAIM_TIMEOUT = timedelta(seconds=0.4)


def policy(reconcile: bool) -> DeliveryPolicy:
    return DeliveryPolicy(per_recipient_cap=10**6, global_cap=10**9, claim_timeout=CLAIM_TIMEOUT, reconcile=reconcile)


def worker(url: str, provider: str, reconcile: bool) -> None:
    """The process that gets killed: deliver in small batches, forever."""
    factory = make_sessionmaker(make_engine(url))
    gateway = TwilioCompatibleGateway(sid=SID, token=TOKEN, sender=SENDER, base_url=provider, timeout=5)
    print("ready", flush=True)
    while True:
        if deliver_due(factory, gateways={OutboxChannel.SMS: gateway}, now=utcnow(), batch=5,
                       policy=policy(reconcile)) == 0:
            time.sleep(0.02)


def run(*, reconcile: bool, kills: int, messages: int, url: str, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        for i in range(messages):
            enqueue(session, channel=OutboxChannel.SMS, recipient=f"+97798{10000000 + i}", body=f"bench message {i}",
                    purpose="bench", now=utcnow(), urgent=True)
    handed_over_then_killed: set[str] = set()
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as fake:
        fake.latency = 0.03  # the provider has the message for 30 ms before the worker hears back
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        for _ in range(kills):
            process = subprocess.Popen([sys.executable, __file__, "--worker", url, fake.url, str(int(reconcile))],
                                       env=env, stdout=subprocess.PIPE, text=True)
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.4))  # a random moment while it claims, sends and records
            process.send_signal(signal.SIGKILL)
            process.wait()
            received = {m.body for m in fake.messages}
            with factory() as session:
                cut_short = session.scalars(select(OutboxMessage.body).where(
                    OutboxMessage.status == OutboxStatus.SENDING)).all()
            handed_over_then_killed |= {body for body in cut_short if body in received}
        # A clean finish: wait for stale claims to age, then deliver what is left in this process.
        gateway = TwilioCompatibleGateway(sid=SID, token=TOKEN, sender=SENDER, base_url=fake.url, timeout=5)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with factory() as session:
                left = session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))).limit(1))
            if left is None:
                break
            if deliver_due(factory, gateways={OutboxChannel.SMS: gateway}, now=utcnow(), batch=50,
                           policy=policy(reconcile)) == 0:
                time.sleep(0.1)
        receipts = Counter(m.body for m in fake.messages)
    engine.dispose()
    bodies = [f"bench message {i}" for i in range(messages)]
    never = [b for b in bodies if b not in handed_over_then_killed]
    return {
        "messages": messages,
        "lost": sum(1 for b in bodies if receipts[b] == 0),
        "dup_never_handed_over": sum(1 for b in never if receipts[b] > 1),
        "handed_over_then_killed": len(handed_over_then_killed),
        "dup_handed_over": sum(1 for b in handed_over_then_killed if receipts[b] > 1),
    }


def database(url: str | None, name: str) -> tuple[str, object]:
    if url:
        from tests.databases import throwaway_database

        return throwaway_database(url, prefix="redress_faults")
    path = Path(tempfile.mkdtemp(prefix="redress-faults-")) / f"{name}.db"
    return f"sqlite:///{path}", lambda: None


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to make throwaway databases on")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{args.kills} kill -9 of the delivery worker, {args.messages} messages, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}; fake provider answers after 30 ms")
    print(f"{'mode':<22}{'lost':>6}{'dup_never_handed_over':>24}{'handed_over_then_killed':>26}{'dup_handed_over':>18}")
    for reconcile in (True, False):
        url, drop = database(args.database_url, "on" if reconcile else "off")
        try:
            figures = run(reconcile=reconcile, kills=args.kills, messages=args.messages, url=url, seed=args.seed)
        finally:
            drop()
        mode = "with reconciliation" if reconcile else "without reconciliation"
        print(f"{mode:<22}{figures['lost']:>6}{figures['dup_never_handed_over']:>24}"
              f"{figures['handed_over_then_killed']:>26}{figures['dup_handed_over']:>18}", flush=True)


if __name__ == "__main__":
    main()
