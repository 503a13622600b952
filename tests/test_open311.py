"""Open311 GeoReport v2: every endpoint in JSON and XML, checked against schemas written from the specification;
the error list with 400/403/404; API keys; the 90-day window and the 1,000-row cap; what GET never shows."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

from app.open311.wire import w3c
from core.db import bulk_insert
from escalation.queries import current_deadlines
from intake import tracking
from intake.models import Channel, Confidentiality, Grievance, Priority, Role, Status
from intake.queries import category_by_code
from tests import builders
from tests.conftest import START

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "open311.json").read_text(encoding="utf-8"))
BASE = "/open311/v2"


def valid(payload: object, definition: str) -> object:
    jsonschema.validate(payload, {"$ref": f"#/$defs/{definition}"} | {"$defs": SCHEMA["$defs"]})
    return payload


def xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
    return ET.fromstring(response.content)


@pytest.fixture
def key(session):
    return builders.api_key(session, role=Role.OFFICER, office="RV-N-WATER", now=START)


def file(client, key, **fields):
    form = {"api_key": key, "service_code": "water", "lat": "27.6766", "long": "84.4346",
            "description": "Burst main on the Northbank ring road, water everywhere"} | fields
    return client.post(f"{BASE}/requests.json", data={k: v for k, v in form.items() if v is not None})


def test_discovery_in_both_formats(client):
    assert valid(client.get(f"{BASE}/discovery.json").json(), "discovery")["endpoints"][0]["url"].endswith(BASE)
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/specification").text.endswith("GeoReport_v2")


def test_services_are_the_categories_in_both_formats(client, session):
    services = valid(client.get(f"{BASE}/services.json").json(), "services")
    water = next(s for s in services if s["service_code"] == "water")
    assert water["service_name"] == "Water supply" and water["metadata"] is False and "leaks" in water["keywords"]
    root = xml(client.get(f"{BASE}/services.xml", params={"jurisdiction_id": "riverlands"}))
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text in ("true", "false")


def test_a_service_definition_and_an_unknown_service(client):
    definition = valid(client.get(f"{BASE}/services/water.json").json(), "service_definition")
    assert definition == {"service_code": "water", "attributes": []}
    roads = valid(client.get(f"{BASE}/services/roads.json").json(), "service_definition")
    danger = roads["attributes"][0]
    assert danger["code"] == "danger" and danger["required"] is True and danger["datatype"] == "singlevaluelist"
    assert [v["key"] for v in danger["values"]] == ["yes", "no"] and danger["order"] == 1
    in_xml = xml(client.get(f"{BASE}/services/roads.xml"))
    assert [a.find("code").text for a in in_xml.findall("attributes/attribute")] == ["danger", "size"]
    assert [v.find("key").text for v in in_xml.findall("attributes/attribute/values/value")] == ["yes", "no"]
    services = client.get(f"{BASE}/services.json").json()
    assert next(s for s in services if s["service_code"] == "roads")["metadata"] is True
    assert xml(client.get(f"{BASE}/services/water.xml")).find("service_code").text == "water"
    missing = client.get(f"{BASE}/services/nope.json")
    assert missing.status_code == 404 and valid(missing.json(), "errors")[0]["code"] == 404
    missing_xml = client.get(f"{BASE}/services/nope.xml")
    assert missing_xml.status_code == 404 and xml(missing_xml).find("error/code").text == "404"


def test_a_filed_request_is_a_routed_grievance_whose_expected_datetime_follows_its_sla(client, session, key, model):
    answer = file(client, key, first_name="Sita", last_name="Rai", phone="9816111222", email="sita@example.org",
                  **{"attribute[severity]": "high"})  # water asks no questions: an answer to none is not kept
    assert answer.status_code == 200, answer.text
    [created] = valid(answer.json(), "post_response")
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == created["service_request_id"]))
    assert grievance.channel is Channel.OPEN311 and grievance.category.code == "water"
    assert grievance.office is not None and grievance.status is Status.ASSIGNED and grievance.citizen.name == "Sita Rai"
    assert "attributes" not in grievance.events[0].data
    assert created["service_notice"] == f"Sent to {grievance.office.name}."

    [shown] = valid(client.get(f"{BASE}/requests/{grievance.tracking_number}.json").json(), "service_requests")
    resolution = next(d for d in current_deadlines(session, [grievance.id])[grievance.id] if d["kind"] == "resolution")
    assert shown["expected_datetime"] == w3c(resolution["due_at"])  # the live deadline, in the office's hours
    assert shown["status"] == "open" and shown["agency_responsible"] == grievance.office.name
    assert (shown["lat"], shown["long"]) == (27.6766, 84.4346)
    assert shown["description"].startswith("Burst main")
    assert "Sita" not in json.dumps(shown) and "9816111222" not in json.dumps(shown)
    root = xml(client.get(f"{BASE}/requests/{grievance.tracking_number}.xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == grievance.tracking_number
    assert root.find("request/status").text == "open"
    [token] = valid(client.get(f"{BASE}/tokens/{grievance.tracking_number}.json").json(), "token_response")
    assert token["service_request_id"] == grievance.tracking_number


@pytest.mark.parametrize("fields, status, words", [
    ({"api_key": None}, 403, "api_key"), ({"api_key": "not-a-key"}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code is required"), ({"service_code": "nope"}, 404, "not found"),
    ({"lat": None, "long": None}, 400, "location is required"), ({"lat": "91"}, 400, "within"),
    ({"lat": "north"}, 400, "decimal degrees"), ({"description": "x" * 4001}, 400, "4,000"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"), ({"phone": "12"}, 400, "phone"),
], ids=["no-key", "bad-key", "no-code", "unknown-code", "no-location", "lat-range", "lat-text", "long-description",
        "media-url", "bad-phone"])
def test_a_bad_request_is_the_specifications_error_and_files_nothing(client, session, key, fields, status, words):
    before = session.scalar(select(Grievance.id).order_by(Grievance.id.desc()).limit(1))
    answer = file(client, key, **fields)
    assert answer.status_code == status, answer.text
    assert words in valid(answer.json(), "errors")[0]["description"]
    session.expire_all()
    assert session.scalar(select(Grievance.id).order_by(Grievance.id.desc()).limit(1)) == before
    in_xml = client.post(f"{BASE}/requests.xml", data={"service_code": "water"})
    assert in_xml.status_code == 403 and xml(in_xml).tag == "errors"


def test_a_service_with_questions_checks_the_answers(client, session, key):
    ok = file(client, key, service_code="roads", **{"attribute[danger]": "yes", "attribute[size]": "2.5",
                                                     "attribute[colour]": "red"})
    assert ok.status_code == 200, ok.text
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == ok.json()[0]["service_request_id"]))
    assert grievance.events[0].data["attributes"] == {"danger": "yes", "size": "2.5"}
    for answers, words in (({}, "attribute[danger] is required"), ({"attribute[danger]": "maybe"}, "one of"),
                           ({"attribute[danger]": "no", "attribute[size]": "big"}, "a number")):
        refused = file(client, key, service_code="roads", **answers)
        assert refused.status_code == 400 and words in refused.json()[0]["description"], answers


def test_an_address_or_an_address_id_is_a_location_too(client, key):
    assert file(client, key, lat=None, long=None, address_string="Ward 4, Ratnanagar").status_code == 200
    assert file(client, key, lat=None, long=None, address_id="PARCEL-17").status_code == 200


def test_get_never_shows_personal_fields_integrity_grievances_or_other_channels_texts(client, session, clock):
    by_sms = builders.grievance(session, now=clock.now, phone="+9779816333444", name="Hari Bahadur",
                                text="My neighbour Ram Thapa dumps garbage in the canal every night")
    integrity = builders.grievance(session, now=clock.now, category="corruption", phone="+9779816333445",
                                   text="The clerk at the land office asked me for a bribe")
    listing = client.get(f"{BASE}/requests.json")
    text = listing.text
    rows = valid(listing.json(), "service_requests")
    assert by_sms.tracking_number in text and integrity.tracking_number not in text
    mine = next(r for r in rows if r["service_request_id"] == by_sms.tracking_number)
    assert mine["description"] is None and mine["address"] is None
    for secret in ("Hari", "Ram Thapa", "9816333444", "bribe", "+977"):
        assert secret not in text and secret not in client.get(f"{BASE}/requests.xml").text
    assert client.get(f"{BASE}/requests/{integrity.tracking_number}.json").status_code == 404


def test_filters_by_service_status_and_ids(client, session, key, clock):
    water = file(client, key).json()[0]["service_request_id"]
    roads = file(client, key, service_code="roads", description="Pothole",
                 **{"attribute[danger]": "no"}).json()[0]["service_request_id"]
    only_roads = client.get(f"{BASE}/requests.json", params={"service_code": "roads"}).json()
    assert {r["service_code"] for r in only_roads} == {"roads"}
    assert roads in {r["service_request_id"] for r in only_roads}
    both = client.get(f"{BASE}/requests.json", params={"service_request_id": f"{water},{roads},ZZZZ-ZZZZ"}).json()
    assert {r["service_request_id"] for r in both} == {water, roads}
    assert water not in client.get(f"{BASE}/requests.json", params={"status": "closed"}).text
    assert water in client.get(f"{BASE}/requests.json", params={"status": "open,closed"}).text
    bad = client.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert bad.status_code == 400 and valid(bad.json(), "errors")


def test_the_90_day_window(client, session, clock):
    old = builders.grievance(session, now=clock.now - timedelta(days=100), phone="+9779816333446")
    assert old.tracking_number not in client.get(f"{BASE}/requests.json").text  # the last 90 days by default
    then = {"start_date": (clock.now - timedelta(days=101)).isoformat(),
            "end_date": (clock.now - timedelta(days=99)).isoformat()}
    assert old.tracking_number in client.get(f"{BASE}/requests.json", params=then).text
    wide = client.get(f"{BASE}/requests.json", params={"start_date": "2026-01-01T00:00:00Z",
                                                       "end_date": "2026-06-01T00:00:00Z"})
    assert wide.status_code == 400 and "90 days" in wide.json()[0]["description"]
    for bad in ({"start_date": "yesterday"}, {"end_date": "2026-01-01"}, {"start_date": "2026-06-01T00:00:00Z",
                                                                            "end_date": "2026-05-01T00:00:00Z"}):
        assert client.get(f"{BASE}/requests.json", params=bad).status_code == 400, bad


def test_at_most_1000_requests_come_back(client, session, clock):
    water = category_by_code(session, "water")
    start = 9_000_000
    rows = [{"id": start + n, "tracking_number": tracking.number_for(start + n), "secret_hash": "0" * 64,
             "channel": Channel.OPEN311, "text": "Leak", "category_id": water.id, "status": Status.TRIAGE,
             "priority": Priority.NORMAL, "confidentiality": Confidentiality.NORMAL,
             "received_at": clock.now - timedelta(minutes=n), "updated_at": clock.now, "transfer_count": 0,
             "reopen_count": 0} for n in range(1005)]
    bulk_insert(session, Grievance.__table__, rows)
    session.commit()
    answer = client.get(f"{BASE}/requests.json")
    assert len(valid(answer.json(), "service_requests")) == 1000
    assert len(xml(client.get(f"{BASE}/requests.xml")).findall("request")) == 1000


def test_an_unknown_format_is_a_404_in_the_errors_shape(client):
    for path in ("services.html", "discovery.yaml", "requests.csv", "requests/ZZZZ-ZZZZ.txt"):
        answer = client.get(f"{BASE}/{path}")
        assert answer.status_code == 404 and valid(answer.json(), "errors"), path
    assert client.post(f"{BASE}/requests.txt", data={}).status_code == 404
