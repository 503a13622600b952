"""A `redress serve` process for browser tests and benchmarks: a free loopback port and waiting for it."""

from __future__ import annotations

import socket
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, *, seconds: float = 60) -> None:
    """Until `GET /readyz` answers 200 (database reachable, migrations at head)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not become ready in {seconds:g} s")
