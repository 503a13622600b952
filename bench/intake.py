"""Intake throughput: concurrent POST /api/v1/grievances over loopback against a running server.

For each database (SQLite; PostgreSQL when one answers), this starts `uvicorn app.asgi:app --workers 2`
on a fresh database with the demo directory and the demo routing model active (so every submission is
classified, explained, matched against rules and compared with open cases), fires concurrent
submissions, then the same load at the bare /healthz endpoint of the same app served the same way,
and prints req/s, p50, p99 and the ratio.

    .venv/bin/python bench/intake.py [--requests 2000] [--concurrency 32] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.demo import DIRECTORY  # noqa: E402
from app.routing_model import ensure_model  # noqa: E402
from core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from core.settings import Settings  # noqa: E402
from directory.services import load_file  # noqa: E402
from intake.accounts import create_api_key  # noqa: E402
from intake.models import Role  # noqa: E402
from intake.queries import office_by_code  # noqa: E402
from tests.databases import throwaway_database  # noqa: E402
from tests.live import free_port, wait_ready  # noqa: E402

AREAS = ["RV-N", "RV-C", "RV-S"]
CATEGORIES = ["water", "electricity", "roads", "waste", None]


def prepare(url: str, model_dir: str) -> str:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        load_file(session, path=DIRECTORY, actor="bench", now=datetime.now(UTC))
        key = create_api_key(session, name="bench", role=Role.ADMIN, office=office_by_code(session, "RV"),
                             now=datetime.now(UTC)).secret
    ensure_model(factory, settings=Settings(_env_file=None, database_url=url, model_dir=model_dir),
                 now=datetime.now(UTC))
    engine.dispose()
    return key


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"REDRESS_DATABASE_URL": url, "REDRESS_SCHEDULER_ENABLED": "false"}
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port",
                             str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
                            cwd=ROOT, env=env)


def request_bytes(port: int, key: str, i: int, intake: bool) -> bytes:
    """One HTTP/1.1 keep-alive request, pre-built: the load generator must cost far less than the server."""
    if not intake:
        return f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    body = json.dumps({"text": f"Benchmark complaint {i}: no water since morning in ward {i % 9}",
                       "phone": f"98{10000000 + i % 50000:08d}", "admin_area": AREAS[i % 3],
                       "category": CATEGORIES[i % 5]}).encode()
    head = (f"POST /api/v1/grievances HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def load(port: int, key: str, *, requests: int, concurrency: int, intake: bool) -> dict[str, float]:
    """Closed-loop load: `concurrency` connections, each sending its next request when the last is answered."""
    prepared = [request_bytes(port, key, i, intake) for i in range(requests)]
    expected = 201 if intake else 200
    latencies: list[float] = []
    failures = 0
    queue = iter(prepared)

    async def connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for raw in queue:
            started = time.perf_counter()
            writer.write(raw)
            status = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            failures += status != expected
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000, "failures": failures}


def run_one(label: str, url: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as model_dir:
        _run_one(label, url, args, prepare(url, model_dir))


def _run_one(label: str, url: str, args: argparse.Namespace, key: str) -> None:
    port = free_port()
    server = serve(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        asyncio.run(load(port, key, requests=200, concurrency=args.concurrency, intake=True))  # warm-up
        asyncio.run(load(port, key, requests=200, concurrency=args.concurrency, intake=False))
        intake = asyncio.run(load(port, key, requests=args.requests, concurrency=args.concurrency, intake=True))
        bare = asyncio.run(load(port, key, requests=args.requests, concurrency=args.concurrency, intake=False))
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name, figures in (("POST /api/v1/grievances", intake), ("GET /healthz (bare)", bare)):
        print(f"{label:<11} {name:<24} {figures['rps']:8.0f} req/s  p50 {figures['p50']:7.1f} ms  "
              f"p99 {figures['p99']:7.1f} ms  failures {figures['failures']:.0f}")
    print(f"{label:<11} intake/bare throughput ratio {intake['rps'] / bare['rps']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg", default=os.environ.get("REDRESS_TEST_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    print(f"{args.requests} requests per endpoint, concurrency {args.concurrency}, "
          f"uvicorn --workers {args.workers}, {os.cpu_count()} cores (load generator on the same machine)")
    if "sqlite" in args.databases:
        with tempfile.TemporaryDirectory() as tmp:
            run_one("SQLite", f"sqlite:///{tmp}/bench.db", args)
    if "postgresql" not in args.databases:
        return
    try:
        url, drop = throwaway_database(args.pg, prefix="redress_bench")
    except Exception as exc:  # no server: say so and stop
        print(f"PostgreSQL  skipped: {type(exc).__name__}")
        return
    try:
        run_one("PostgreSQL", url, args)
    finally:
        drop()


if __name__ == "__main__":
    main()
