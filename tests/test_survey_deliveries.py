"""Service deliveries from a CSV file and from the API: checked row by row, deduplicated by reference,
all or nothing, with line numbers for every problem; and the survey job run from the command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.db import make_engine, make_sessionmaker, transaction
from core.outbox import OutboxMessage
from intake.models import Role
from surveys.models import ServiceDelivery, Survey
from tests import builders
from tests.conftest import START
from tests.test_cli import redress_env

ZONE = ZoneInfo("Asia/Kathmandu")
HEADER = "phone,office,service,delivered_at,reference\n"


def count(session, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ServiceDelivery).where(*where))


@pytest.fixture
def key(session):
    return builders.api_key(session, role=Role.OFFICE_HEAD, office="RV-N", now=START)


def item(reference: str, **changes: str) -> dict[str, str]:
    return {"phone": "9816000001", "office": "RV-N-WATER", "service": "new_connection",
            "delivered_at": "2026-11-16T10:00", "reference": reference} | changes


def test_an_office_reports_deliveries_and_a_repeat_is_not_stored_twice(client, session, key):
    answer = client.post("/api/v1/service-deliveries", headers=builders.auth(key),
                         json=[item("API-1"), item("API-2", phone="+977 981-6000002", service="Water Bill")])
    assert answer.status_code == 201 and answer.json() == {"created": 2, "duplicates": []}
    stored = session.scalar(select(ServiceDelivery).where(ServiceDelivery.reference == "API-2"))
    assert stored.phone == "+9779816000002" and stored.service == "water bill" and stored.source == "api"
    again = client.post("/api/v1/service-deliveries", headers=builders.auth(key), json=item("API-1"))
    assert again.status_code == 200 and again.json() == {"created": 0, "duplicates": ["API-1"]}


@pytest.mark.parametrize("changes, words", [
    ({"phone": "12"}, "phone"), ({"office": "NOWHERE"}, "unknown office"), ({"service": ""}, "service"),
    ({"delivered_at": "yesterday"}, "delivered_at"), ({"delivered_at": "2027-01-01T10:00"}, "in the future"),
    ({"delivered_at": "2026-01-01T10:00"}, "days ago"), ({"reference": "has spaces"}, "reference"),
], ids=["phone", "office", "service", "date", "future", "old", "reference"])
def test_a_bad_item_stores_nothing_and_says_which(client, session, key, changes, words):
    before = count(session)
    answer = client.post("/api/v1/service-deliveries", headers=builders.auth(key),
                         json=[item("OK-1"), item(**({"reference": "BAD-1"} | changes))])
    assert answer.status_code == 422 and "item 2" in answer.json()["detail"] and words in answer.json()["detail"]
    assert count(session) == before


def test_an_office_key_reports_only_for_its_own_offices(client, key):
    answer = client.post("/api/v1/service-deliveries", headers=builders.auth(key),
                         json=item("FOREIGN-1", office="RV-C-ROADS"))
    assert answer.status_code == 403 and "RV-C-ROADS" in answer.json()["detail"]


def test_deliveries_need_a_key_and_a_bounded_body(client, key):
    assert client.post("/api/v1/service-deliveries", json=item("X")).status_code == 401
    too_many = [item(f"M-{n}") for n in range(1001)]
    assert client.post("/api/v1/service-deliveries", headers=builders.auth(key), json=too_many).status_code == 422
    assert client.post("/api/v1/service-deliveries", headers=builders.auth(key), json=[]).status_code == 422
    assert client.post("/api/v1/service-deliveries", headers=builders.auth(key), json={"phone": 1}).status_code == 422


def redress(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = redress_env(url) | {"REDRESS_TIMEZONE": "Asia/Kathmandu", "REDRESS_SURVEY_DELAY_HOURS": "1"}
    result = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def fresh_url(new_database_url) -> str:
    url = new_database_url()
    redress("init", "--demo", url=url)
    return url


def test_a_bad_file_gets_a_report_with_line_numbers_and_imports_nothing(tmp_path, fresh_url):
    path = tmp_path / "deliveries.csv"
    path.write_text(HEADER + "9816000101,RV-N-WATER,new_connection,2026-11-16T10:00,CSV-1\n"
                    "not a phone,RV-N-WATER,new_connection,2026-11-16T10:00,CSV-2\n"
                    "9816000103,NOWHERE,new_connection,2026-11-16T10:00,CSV-3\n"
                    "9816000104,RV-N-WATER,new_connection,2026-11-16T10:00,CSV-1\n", encoding="utf-8")
    result = redress("import", "deliveries", str(path), url=fresh_url, check=False)
    assert result.returncode == 1
    assert "line 3: phone" in result.stderr and "line 4: office" in result.stderr
    assert "line 5: reference: 'CSV-1' is also on line 2" in result.stderr and "nothing was imported" in result.stderr
    with transaction(make_sessionmaker(make_engine(fresh_url))) as session:
        assert session.scalar(select(func.count()).select_from(ServiceDelivery)) == 0


@pytest.mark.parametrize("content, words", [
    (b"phone,office\n1,2\n", "the header lacks service, delivered_at, reference"),
    (b"\xff\xfe\x00p\x00h", "not a UTF-8 CSV"), (b"", "the header lacks"),
], ids=["header", "encoding", "empty"])
def test_a_file_that_is_not_a_deliveries_csv_is_refused_clearly(tmp_path, fresh_url, content, words):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = redress("import", "deliveries", str(path), url=fresh_url, check=False)
    assert result.returncode == 1 and words in result.stderr


def test_importing_then_running_the_survey_job_invites_in_allowed_hours_only(tmp_path, fresh_url):
    """The issue's 'done when', from the command line: import, then `jobs run surveys` at night and at 10:00."""
    now = datetime.now(UTC)
    rows = "".join(f"98160002{n:02d},RV-N-WATER,new_connection,{(now - timedelta(hours=3)).isoformat()},DONE-{n}\n"
                   for n in range(3))
    path = tmp_path / "deliveries.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    assert "imported 3 deliveries; 0 were already known" in redress("import", "deliveries", str(path),
                                                                     url=fresh_url).stdout
    assert "imported 0 deliveries; 3 were already known" in redress("import", "deliveries", str(path),
                                                                     url=fresh_url).stdout
    night = (now + timedelta(days=1)).astimezone(ZONE).replace(hour=22, minute=0).astimezone(UTC)
    redress("jobs", "run", "surveys", "--now", night.isoformat(), url=fresh_url)
    factory = make_sessionmaker(make_engine(fresh_url))
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Survey).where(Survey.delivery_id.is_not(None))) == 3
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.purpose == "survey")) == 0
    morning = night + timedelta(hours=12)  # 10:00 the next day in Kathmandu
    redress("jobs", "run", "surveys", "--now", morning.isoformat(), url=fresh_url)
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.purpose == "survey")) == 3



def test_a_large_import_reports_its_progress(session):
    from surveys import deliveries

    context = deliveries.Context.load(session, region="NP", timezone="Asia/Kathmandu", now=START)
    rows = ((n + 2, {"phone": f"98170{n:05d}", "office": "RV-N-WATER", "service": "renewal",
                     "delivered_at": "2026-11-15T10:00", "reference": f"BIG-{n}"}) for n in range(25_000))
    seen: list[int] = []
    report = deliveries.store(session, rows, context=context, source="csv", progress=seen.append)
    assert seen == [10_000, 20_000] and report.created == 25_000
