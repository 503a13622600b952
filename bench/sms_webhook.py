"""Inbound SMS webhooks over loopback: throughput, latency, and how soon the acknowledgement leaves.

Starts `redress serve` (one worker, delivery in-process) on a fresh database with the demo directory
and model, Twilio settings pointed at a local fake of Twilio's REST API, then posts signed webhooks
(each from its own phone, a complaint that names a place) with several clients at once. Prints
the saturation req/s (many clients at once), then, at a steady rate below capacity, the webhook's
p50/p99 (target p99 < 200 ms) and the time from sending the webhook to the acknowledgement reaching
the provider (p50/p95/p99; target p95 ≤ 1 s).

    .venv/bin/python bench/sms_webhook.py [--requests 1000] [--concurrency 8] [--rate 10] [--paced 300] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.databases import throwaway_database  # noqa: E402
from tests.fakes.twilio import FakeTwilio, inbound_params, sign  # noqa: E402
from tests.live import free_port, wait_ready  # noqa: E402

SID = "AC" + "b" * 32
TOKEN = "bench-token"
SENDER = "+15550100"
TEXTS = [
    "No water in our tole for 3 days, taps completely dry, Northbank ward 3",
    "garbage not collected for two weeks in Riverton, bins overflowing",
    "streetlight broken near the temple in Southvale for a month",
    "big potholes on the main road near the school in Northbank",
    "my old age pension has not been paid for three months, Southvale",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench(url: str, *, requests: int, concurrency: int, rate: float, paced: int) -> dict[str, float]:
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as fake, tempfile.TemporaryDirectory() as models:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")} | {
            "REDRESS_DATABASE_URL": url, "REDRESS_MODEL_DIR": models, "REDRESS_SMS_PROVIDER": "twilio",
            "REDRESS_TWILIO_ACCOUNT_SID": SID, "REDRESS_TWILIO_AUTH_TOKEN": TOKEN,
            "REDRESS_TWILIO_FROM_NUMBER": SENDER, "REDRESS_TWILIO_API_BASE": fake.url,
            "REDRESS_PUBLIC_BASE_URL": base, "REDRESS_SMS_QUIET_HOURS": "", "REDRESS_TWILIO_STATUS_CALLBACKS": "false",
            "REDRESS_SMS_DAILY_CAP": "1000000", "PYTHONPATH": str(ROOT)}
        redress = [sys.executable, "-m", "app.cli"]
        subprocess.run([*redress, "init", "--demo"], env=env, check=True, capture_output=True, timeout=300)
        server = subprocess.Popen([*redress, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_ready(base)
            webhook = f"{base}/webhooks/twilio/sms"
            sent_at: dict[str, float] = {}
            lock = threading.Lock()
            local = threading.local()

            def one(i: int) -> float:
                client = getattr(local, "client", None) or httpx.Client(timeout=30)
                local.client = client
                phone = f"+97798{20000000 + i}"
                params = inbound_params(from_=phone, to=SENDER, body=TEXTS[i % len(TEXTS)], account_sid=SID)
                headers = {"X-Twilio-Signature": sign(webhook, params, TOKEN)}
                with lock:
                    sent_at[phone] = time.time()
                start = time.monotonic()
                response = client.post(webhook, data=params, headers=headers)
                assert response.status_code == 200, response.text
                return time.monotonic() - start

            # 1. Saturation: as fast as `concurrency` clients can go.
            began = time.monotonic()
            with ThreadPoolExecutor(concurrency) as pool:
                saturated = list(pool.map(one, range(requests)))
            saturation_rate = requests / (time.monotonic() - began)
            burst = {f"+97798{20000000 + i}" for i in range(requests)}
            drained = time.monotonic() + 120
            while time.monotonic() < drained and len({m.to for m in fake.messages} & burst) < requests:
                time.sleep(0.1)  # the burst's acknowledgements leave before the steady run starts

            # 2. A steady rate below capacity: the latency a citizen's message meets, and how soon the reply leaves.
            first = requests
            began = time.monotonic()

            def paced_one(k: int) -> float:
                time.sleep(max(0.0, began + k / rate - time.monotonic()))
                return one(first + k)

            with ThreadPoolExecutor(32) as pool:
                steady = list(pool.map(paced_one, range(paced)))
            phones = {f"+97798{20000000 + first + k}" for k in range(paced)}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                acks = {m.to: m for m in fake.messages if m.to in phones and m.body.startswith("Received")}
                if len(acks) == paced:
                    break
                time.sleep(0.05)
            to_ack = [m.received_at.timestamp() - sent_at[m.to] for m in acks.values()]
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"req_per_s": saturation_rate, "sat_p50_ms": statistics.median(saturated) * 1000,
            "sat_p99_ms": percentile(saturated, 0.99) * 1000, "rate": rate,
            "p50_ms": statistics.median(steady) * 1000, "p99_ms": percentile(steady, 0.99) * 1000,
            "acks": len(to_ack), "ack_p50_ms": statistics.median(to_ack) * 1000,
            "ack_p95_ms": percentile(to_ack, 0.95) * 1000, "ack_p99_ms": percentile(to_ack, 0.99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="webhooks in the saturation run")
    parser.add_argument("--concurrency", type=int, default=8, help="clients in the saturation run")
    parser.add_argument("--rate", type=float, default=10.0, help="webhooks per second in the steady run")
    parser.add_argument("--paced", type=int, default=300, help="webhooks in the steady run")
    parser.add_argument("--pg", default=os.environ.get("REDRESS_TEST_DATABASE_URL"),
                        help="PostgreSQL server for a second run (default: REDRESS_TEST_DATABASE_URL)")
    args = parser.parse_args()
    targets = [("SQLite", None)] + ([("PostgreSQL", args.pg)] if args.pg else [])
    print(f"signed inbound SMS webhooks to one server process: {args.requests} by {args.concurrency} clients "
          f"at once (saturation), then {args.paced} at a steady {args.rate:g}/s")
    print(f"{'database':<12}{'sat req/s':>10}{'sat p50':>9}{'sat p99':>9}{'steady p50':>12}{'steady p99':>12}"
          f"{'acks':>6}{'ack p50':>9}{'ack p95':>9}{'ack p99':>9}   (ms)")
    for name, pg in targets:
        if pg:
            url, drop = throwaway_database(pg, prefix="redress_smsbench")
        else:
            url, drop = f"sqlite:///{tempfile.mkdtemp(prefix='redress-smsbench-')}/redress.db", (lambda: None)
        try:
            f = bench(url, requests=args.requests, concurrency=args.concurrency, rate=args.rate, paced=args.paced)
        finally:
            drop()
        print(f"{name:<12}{f['req_per_s']:>10.1f}{f['sat_p50_ms']:>9.0f}{f['sat_p99_ms']:>9.0f}{f['p50_ms']:>12.0f}"
              f"{f['p99_ms']:>12.0f}{f['acks']:>6}{f['ack_p50_ms']:>9.0f}{f['ack_p95_ms']:>9.0f}{f['ack_p99_ms']:>9.0f}",
              flush=True)


if __name__ == "__main__":
    main()
