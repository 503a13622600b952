"""`redress serve` and `redress worker` as real processes: the API answers over loopback and the
in-process scheduler (or the worker) hands the acknowledgement to the console gateway."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import pytest
from sqlalchemy import select

from core.db import make_engine, make_sessionmaker
from core.outbox import OutboxMessage, OutboxStatus


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MODEL_DIR = tempfile.mkdtemp(prefix="redress-models-")


def env_for(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")}
    return env | {"REDRESS_DATABASE_URL": url, "REDRESS_DELIVERY_INTERVAL_SECONDS": "0.2",
                  "REDRESS_MODEL_DIR": MODEL_DIR}


def wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail("timed out waiting")


def outbox_statuses(url: str, recipient: str) -> list[OutboxStatus]:
    """The outbox rows to one number (the demo's own grievances have their messages too)."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(OutboxMessage.status).where(OutboxMessage.recipient == recipient)
                                        .order_by(OutboxMessage.id)))
    finally:
        engine.dispose()


@pytest.fixture
def demo_database(new_database_url) -> tuple[str, str]:
    url = new_database_url()
    out = subprocess.run([sys.executable, "-m", "app.cli", "init", "--demo"], env=env_for(url), capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return url, out.strip().splitlines()[-1]


def test_serve_answers_and_delivers_in_process(demo_database):
    url, key = demo_database
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env_for(url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            try:
                return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready)
        created = httpx.post(f"{base}/api/v1/grievances", headers={"Authorization": f"Bearer {key}"},
                             json={"text": "Transformer sparking near the market", "phone": "9812000111",
                                   "category": "electricity", "admin_area": "RV-C"}, timeout=10)
        assert created.status_code == 201, created.text
        assert created.json()["office"]["code"] == "RV-C-POWER"
        assert wait_for(lambda: outbox_statuses(url, "+9779812000111") == [OutboxStatus.SENT])
        page = httpx.get(f"{base}/dev/outbox", timeout=5).text
        assert created.json()["tracking_number"] in page and "sent" in page
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_worker_delivers_without_the_web_server(demo_database):
    url, key = demo_database
    from fastapi.testclient import TestClient

    from app.main import create_app
    from core.settings import Settings

    with TestClient(create_app(Settings(_env_file=None, database_url=url, scheduler_enabled=False))) as client:
        answer = client.post("/api/v1/grievances", headers={"Authorization": f"Bearer {key}"},
                             json={"text": "Pension not paid for three months", "phone": "9812000222"})
        assert answer.status_code == 201 and answer.json()["status"] == "triage"
    assert outbox_statuses(url, "+9779812000222") == [OutboxStatus.PENDING]  # nothing sends without a scheduler
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env_for(url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: outbox_statuses(url, "+9779812000222") == [OutboxStatus.SENT])
    finally:
        worker.terminate()
        worker.wait(timeout=30)
