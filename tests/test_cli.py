"""The `redress` command as an operator runs it: a real process against a real database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings

COMMANDS = ["init", "serve", "worker", "apikey", "jobs", "db"]


def redress(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")}
    env |= {"REDRESS_DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env,
                            timeout=120, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def cli_database(new_database_url):
    url = new_database_url()
    first = redress("init", "--demo", url=url)
    return url, first.stdout


def test_help_documents_every_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    text = redress("--help", url=url).stdout
    for command in COMMANDS:
        assert command in text
    assert "--now" in redress("jobs", "run", "--help", url=url).stdout
    assert "--office" in redress("apikey", "create", "--help", url=url).stdout


def test_init_demo_prints_logins_and_a_working_key(cli_database):
    url, output = cli_database
    lines = output.strip().splitlines()
    assert "demo directory loaded" in output and "redress-demo" in output
    assert "rv.admin (admin)" in output and "rv-n-water.officer (officer)" in output
    key = lines[-1]
    assert key.startswith("rk_")
    app = create_app(Settings(_env_file=None, database_url=url, scheduler_enabled=False))
    with TestClient(app) as client:
        answer = client.post("/api/v1/grievances", headers={"Authorization": f"Bearer {key}"},
                             json={"text": "Bus did not stop at our village", "category": "public-transport",
                                   "admin_area": "RV-S"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["office"]["code"] == "RV-TRANSPORT"


def test_running_init_again_reuses_the_database_and_revokes_the_old_demo_key(cli_database):
    url, first = cli_database
    old_key = first.strip().splitlines()[-1]
    second = redress("init", "--demo", url=url).stdout
    new_key = second.strip().splitlines()[-1]
    assert new_key != old_key
    assert "already loaded" in second and "rv.admin (admin)" in second
    app = create_app(Settings(_env_file=None, database_url=url, scheduler_enabled=False))
    with TestClient(app) as client:
        assert client.get("/api/v1/grievances", headers={"Authorization": f"Bearer {old_key}"}).status_code == 401
        assert client.get("/api/v1/grievances", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
        offices = client.get("/api/v1/offices").json()["items"]
    assert len({o["code"] for o in offices}) == len(offices)


def test_apikey_create_prints_key_alone_on_last_line(cli_database):
    url, _ = cli_database
    result = redress("apikey", "create", "--name", "water-app", "--office", "RV-N-WATER", "--role", "officer", url=url)
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("rk_") and " " not in key
    unknown = redress("apikey", "create", "--name", "x", "--office", "NOPE", url=url, check=False)
    assert unknown.returncode == 1 and "unknown office" in unknown.stderr


def test_jobs_list_and_run_with_injected_clock(cli_database):
    url, _ = cli_database
    assert "delivery" in redress("jobs", "list", url=url).stdout
    ran = redress("jobs", "run", "delivery", "--now", "2030-01-01T09:00:00Z", url=url).stdout
    assert "delivery at 2030-01-01T09:00:00+00:00" in ran
    bad = redress("jobs", "run", "delivery", "--now", "yesterday", url=url, check=False)
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr
    missing = redress("jobs", "run", "nope", url=url, check=False)
    assert missing.returncode == 1 and "jobs list" in missing.stderr


def test_db_commands(new_database_url):
    url = new_database_url()
    assert "current: None" in redress("db", "current", url=url).stdout
    assert "0001" in redress("db", "upgrade", url=url).stdout
    assert "None" in redress("db", "downgrade", "base", url=url).stdout
    assert "0001" in redress("db", "upgrade", "head", url=url).stdout


def test_invalid_settings_are_reported(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")}
    env |= {"REDRESS_ENVIRONMENT": "production", "REDRESS_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    result = subprocess.run([sys.executable, "-m", "app.cli", "db", "current"], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 2 and "REDRESS_SECRET_KEY" in result.stderr
