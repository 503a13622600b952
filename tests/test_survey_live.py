"""The surveys loop on a live server, as the issue's 'done when' describes: `redress serve` on the demo with its
SMS going to a local Twilio API; a deliveries CSV imported and the survey job run at night (nothing leaves) and
in the morning (invitations leave); the citizen's signed replies "2", "they made me wait 3 hours" and "yes" open
a routed grievance and an integrity grievance that reaches oversight and not the office."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.db import make_engine, make_sessionmaker
from intake.models import Channel, Confidentiality, Grievance
from surveys.models import Survey
from tests.test_processes import env_for, wait_for
from tests.test_sms_e2e import SENDER, SID, fake, served  # noqa: F401 - fixtures

KATHMANDU = ZoneInfo("Asia/Kathmandu")
CITIZEN = "+9779812000777"


def redress(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


def at_local(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.astimezone(KATHMANDU).date(), time(hour), tzinfo=KATHMANDU).astimezone(UTC)


@pytest.fixture
def env(served, fake):  # noqa: F811 - the fixtures above
    _, url = served
    return env_for(url) | {"REDRESS_SMS_PROVIDER": "twilio", "REDRESS_TWILIO_ACCOUNT_SID": SID,
                           "REDRESS_TWILIO_AUTH_TOKEN": "e2e-token", "REDRESS_TWILIO_FROM_NUMBER": SENDER,
                           "REDRESS_TWILIO_API_BASE": fake.url, "REDRESS_TIMEZONE": "Asia/Kathmandu"}


def test_a_deliveries_csv_becomes_invitations_in_allowed_hours_and_bad_answers_become_grievances(
        served, fake, env, tmp_path):  # noqa: F811
    base, url = served
    delivered = datetime.now(UTC) - timedelta(hours=3)
    csv = tmp_path / "deliveries.csv"
    csv.write_text("phone,office,service,delivered_at,reference\n"
                   f"{CITIZEN},RV-N-WATER,new_connection,{delivered.isoformat()},LIVE-1\n", encoding="utf-8")
    assert "imported 1 deliveries" in redress(env, "import", "deliveries", str(csv))

    night = at_local(datetime.now(UTC) + timedelta(days=1), 22)
    redress(env, "jobs", "run", "surveys", "--now", night.isoformat())
    morning = at_local(night + timedelta(days=1), 10)
    redress(env, "jobs", "run", "surveys", "--now", (night + timedelta(hours=1)).isoformat())
    assert not [m for m in fake.messages if m.to == CITIZEN]  # nothing at night
    redress(env, "jobs", "run", "surveys", "--now", morning.isoformat())
    redress(env, "jobs", "run", "delivery", "--now", (morning + timedelta(minutes=1)).isoformat())
    assert wait_for(lambda: [m for m in fake.messages if m.to == CITIZEN and "Reply 1 (very bad)" in m.body])

    def said(words: str) -> bool:
        return any(words in m.body for m in fake.messages if m.to == CITIZEN)

    assert fake.send_inbound(f"{base}/webhooks/twilio/sms", from_=CITIZEN, body="2").status_code == 200
    assert wait_for(lambda: said("What went wrong?"))
    assert fake.send_inbound(f"{base}/webhooks/twilio/sms", from_=CITIZEN,
                             body="they made me wait 3 hours").status_code == 200
    assert wait_for(lambda: said("extra payment"))
    assert fake.send_inbound(f"{base}/webhooks/twilio/sms", from_=CITIZEN, body="yes").status_code == 200
    assert wait_for(lambda: sum("Tracking no." in m.body for m in fake.messages if m.to == CITIZEN) == 2)

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            survey = session.scalar(select(Survey).where(Survey.recipient == CITIZEN))
            followup = session.get(Grievance, survey.followup_grievance_id)
            integrity = session.get(Grievance, survey.integrity_grievance_id)
            assert survey.score == 2 and survey.paid is True
            assert followup.channel is Channel.SURVEY and followup.text == "they made me wait 3 hours"
            assert followup.office is not None and followup.events[0].data["delivery_reference"] == "LIVE-1"
            assert integrity.confidentiality is Confidentiality.INTEGRITY and integrity.office.is_integrity_unit
            assert integrity.office_id != survey.office_id
    finally:
        engine.dispose()
