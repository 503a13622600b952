"""A live `redress serve` on the demo database and the system Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        pytest.skip("no system Chromium: `make test` installs Debian's chromium package when run as root; "
                    "otherwise install it (apt-get install chromium) to run the browser tests")
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`make run` in miniature: a fresh SQLite database with the demo, served on a free loopback port.

    Yields the base URL and the database URL (a test may act as an office directly in the database)."""
    folder = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")} | {
        "REDRESS_DATABASE_URL": f"sqlite:///{folder / 'redress.db'}", "REDRESS_MODEL_DIR": str(folder / "models"),
        "REDRESS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    redress = [sys.executable, "-m", "app.cli"]
    subprocess.run([*redress, "init", "--demo"], env=env, check=True, capture_output=True, timeout=300, cwd=folder)
    server = subprocess.Popen([*redress, "serve", "--port", str(port)], env=env, cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base, env["REDRESS_DATABASE_URL"]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def live_server(live: tuple[str, str]) -> str:
    return live[0]


@pytest.fixture
def browser_page(chromium_path: str, live_server: str):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
