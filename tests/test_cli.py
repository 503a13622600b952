"""The `redress` command as an operator runs it: a real process against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings

COMMANDS = ["init", "serve", "worker", "apikey", "staff", "jobs", "calendar", "train", "evaluate", "retrain", "model",
            "db"]
MODEL_DIR = tempfile.mkdtemp(prefix="redress-models-")
CORPUS = Path(__file__).parent.parent / "app" / "demo_corpus.csv"


def redress_env(url: str) -> dict[str, str]:
    """The environment of a `redress` process on this database, without the caller's REDRESS_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")}
    return env | {"REDRESS_DATABASE_URL": url, "REDRESS_MODEL_DIR": MODEL_DIR}


def redress(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = redress_env(url)
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
    assert "--owner" in redress("apikey", "create", "--help", url=url).stdout
    assert "--password-stdin" in redress("staff", "create", "--help", url=url).stdout


def test_init_demo_prints_logins_and_a_working_key(cli_database):
    url, output = cli_database
    lines = output.strip().splitlines()
    assert "demo directory loaded" in output and "redress-demo" in output
    assert "6 demo grievances filed" in output
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
    assert "retrain" in redress("jobs", "list", url=url).stdout
    idle = redress("jobs", "run", "retrain", "--now", "2030-01-01T09:00:00Z", url=url)
    assert "retrain at 2030-01-01T09:00:00+00:00: 0 done" in idle.stdout, "no corrections: nothing trained"
    counted = redress("jobs", "run", "rollups", url=url).stdout
    assert int(counted.rsplit(": ", 1)[1].split()[0]) > 0, counted  # the demo's days
    assert redress("jobs", "run", "rollups", url=url).stdout.endswith(": 0 done\n"), "nothing changed since"


def test_db_commands(new_database_url):
    url = new_database_url()
    assert "current: None" in redress("db", "current", url=url).stdout
    assert "revision 0016" in redress("db", "upgrade", url=url).stdout
    assert "revision 0015" in redress("db", "downgrade", "-1", url=url).stdout
    assert "None" in redress("db", "downgrade", "base", url=url).stdout
    assert "revision 0016" in redress("db", "upgrade", "head", url=url).stdout


def test_invalid_settings_are_reported(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")}
    env |= {"REDRESS_ENVIRONMENT": "production", "REDRESS_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    result = subprocess.run([sys.executable, "-m", "app.cli", "db", "current"], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 2 and "REDRESS_SECRET_KEY" in result.stderr


def test_init_demo_trains_and_activates_a_first_model(cli_database):
    url, first = cli_database
    assert "routing model" in first and "trained from the seed corpus and activated" in first
    listing = redress("model", "list", url=url).stdout
    assert "active" in listing and "promoted" in listing and "no model was active" in listing
    again = redress("init", "--demo", url=url).stdout
    assert "routing model" not in again, "an existing model is kept"


def test_model_promote_and_rollback_from_the_command_line(cli_database, tmp_path):
    url, _ = cli_database
    trained = redress("retrain", "--force", url=url)
    assert "rejected: no corrections to compare on" in trained.stdout
    version = trained.stdout.split(":")[0]
    assert f"model {version} is now active" in redress("model", "promote", version, "--reason", "try it",
                                                      url=url).stdout
    assert "is active again" in redress("model", "rollback", "--reason", "worse", url=url).stdout
    listing = redress("model", "list", url=url).stdout
    assert "rolled_back" in listing and "worse" in listing
    missing = redress("model", "promote", "nope", url=url, check=False)
    assert missing.returncode == 1 and "no model 'nope'" in missing.stderr


def test_train_and_evaluate_print_the_figures(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    out = tmp_path / "model"
    trained = redress("train", "--data", str(CORPUS), "--out", str(out), url=url)
    assert "cross-validated macro-F1" in trained.stdout and "features" in trained.stderr
    figures = json.loads(redress("evaluate", "--model", str(out), "--data", str(CORPUS), "--json", url=url).stdout)
    for key in ("accuracy", "macro_f1", "weighted_f1", "per_label", "auto_route", "latency_ms",
                "throughput_per_second", "training_seconds"):
        assert key in figures
    assert set(figures["auto_route"]) >= {"threshold", "precision", "coverage"}
    assert set(figures["latency_ms"]) == {"p50", "p99"} and figures["throughput_per_second"] > 0
    assert figures["per_label"]["water"]["support"] >= 40 and figures["accuracy"] > 0.9
    human = redress("evaluate", "--model", str(out), "--data", str(CORPUS), url=url).stdout
    assert "macro-F1" in human and "latency p50" in human


@pytest.mark.parametrize(("content", "message"), [
    ("complaint,office\nno water,water\n", "no column 'text' or 'label'"),
    ("text,label\nno water,\n", "empty 'text' or 'label'"),
], ids=["missing-columns", "empty-label"])
def test_train_refuses_bad_data_clearly(tmp_path, content, message):
    data = tmp_path / "bad.csv"
    data.write_text(content)
    result = redress("train", "--data", str(data), "--out", str(tmp_path / "m"), url="sqlite://", check=False)
    assert result.returncode == 1 and message in result.stderr
    assert not (tmp_path / "m").exists()


def test_evaluate_refuses_labels_the_model_never_saw(tmp_path):
    out = tmp_path / "model"
    redress("train", "--data", str(CORPUS), "--out", str(out), url="sqlite://")
    data = tmp_path / "new.csv"
    data.write_text("text,label\ncar parked on the footpath,parking\n")
    result = redress("evaluate", "--model", str(out), "--data", str(data), url="sqlite://", check=False)
    assert result.returncode == 1 and "not trained on: parking" in result.stderr
    damaged = redress("evaluate", "--model", str(tmp_path), "--data", str(data), url="sqlite://", check=False)
    assert damaged.returncode == 1 and "not a model directory" in damaged.stderr


def test_the_escalation_job_climbs_one_level_once(new_database_url):
    """The issue's check: an unanswered grievance, `jobs run escalation --now` past its deadline, twice."""
    from sqlalchemy import select

    from core.db import make_engine, make_sessionmaker, transaction
    from core.outbox import OutboxMessage
    from intake.models import ESCALATION_STEPS, GrievanceEvent
    from tests import builders
    from tests.conftest import START

    url = new_database_url()
    redress("init", "--demo", url=url)
    engine = make_engine(url)
    try:
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            grievance = builders.grievance(session, now=START, phone="+9779812000900", category="roads",
                                           commit=False)
            number, grievance_id = grievance.tracking_number, grievance.id
        # roads in the demo: the default SLA, 16 working hours to answer; a week later it has passed (the demo's
        # own grievances, filed relative to the real clock, may escalate in the same run)
        first = redress("jobs", "run", "escalation", "--now", "2026-11-23T09:00:00Z", url=url).stdout
        again = redress("jobs", "run", "escalation", "--now", "2026-11-23T09:00:00Z", url=url).stdout
        assert "escalation at 2026-11-23T09:00:00+00:00: " in first
        assert "escalation at 2026-11-23T09:00:00+00:00: 0 done" in again
        with factory() as session:
            mine = session.scalars(select(GrievanceEvent.level).where(GrievanceEvent.grievance_id == grievance_id,
                                                                      ESCALATION_STEPS)).all()
            assert mine == [1, 1]  # first response and take-up, one level each
            notices = session.scalars(select(OutboxMessage).where(
                OutboxMessage.grievance_id == grievance_id,
                OutboxMessage.purpose.in_(("escalation", "escalated")))).all()
            head = [m for m in notices if m.channel.value == "staff"]
            citizen = [m for m in notices if m.recipient == "+9779812000900"]
            assert {m.recipient for m in head} == {"RV-N-ROADS"} and len(head) == 2
            assert len(citizen) == 2 and all(number in m.body for m in citizen)
    finally:
        engine.dispose()


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//EN
BEGIN:VEVENT
UID:1
DTSTART;VALUE=DATE:20271020
DTEND;VALUE=DATE:20271023
SUMMARY:Dashain
END:VEVENT
BEGIN:VEVENT
UID:2
DTSTART;VALUE=DATE:20271109
SUMMARY:Tihar
END:VEVENT
END:VCALENDAR
"""


def test_holidays_import_from_an_ical_file(cli_database, tmp_path):
    url, _ = cli_database
    ics = tmp_path / "holidays.ics"
    ics.write_text(ICS)
    out = redress("calendar", "import-ical", "np-gov", str(ics), url=url).stdout
    assert "4 holiday days read, 4 new, in calendar NP-GOV" in out  # Dashain spans three days
    assert "0 new" in redress("calendar", "import-ical", "NP-GOV", str(ics), url=url).stdout
    (tmp_path / "bad.ics").write_text("not a calendar")
    bad = redress("calendar", "import-ical", "NP-GOV", str(tmp_path / "bad.ics"), url=url, check=False)
    assert bad.returncode == 1 and "not an iCalendar file" in bad.stderr
    unknown = redress("calendar", "import-ical", "NOPE", str(ics), url=url, check=False)
    assert unknown.returncode == 1 and "no calendar 'NOPE'" in unknown.stderr
