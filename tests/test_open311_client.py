"""An independent client reads our Open311 server: the published `georeport` package (PyPI) against a live
`redress serve` on the demo, in JSON and in XML; the write side is a plain form POST, as the specification has it."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from georeport import GeoReport

from tests.live import free_port, wait_ready
from tests.test_processes import env_for


@pytest.fixture(scope="module")
def served(new_database_url):
    url = new_database_url()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for(url) | {"REDRESS_PUBLIC_BASE_URL": base}
    redress = [sys.executable, "-m", "app.cli"]
    subprocess.run([*redress, "init", "--demo"], env=env, capture_output=True, timeout=180, check=True)
    key = subprocess.run([*redress, "apikey", "create", "--name", "city-app", "--role", "officer", "--office",
                          "RV-N-WATER"], env=env, capture_output=True, text=True, timeout=60,
                         check=True).stdout.strip().splitlines()[-1]
    server = subprocess.Popen([*redress, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_ready(base)
        yield base, key
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("output", ["json", "xml"])
def test_the_georeport_client_lists_services_and_reads_requests(served, output):
    base, key = served
    filed = httpx.post(f"{base}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "water", "address_string": "Northbank ward 3, near the temple",
        "description": "No water from the public tap since Monday"}, timeout=30)
    assert filed.status_code == 200, filed.text
    number = filed.json()[0]["service_request_id"]

    client = GeoReport(f"{base}/open311/v2", output_format=output)
    services = client.get_service_list()
    assert {"water", "electricity", "roads"} <= {s["service_code"] for s in services}
    assert client.get_service_definition("water")["service_code"] == "water"
    requests = client.get_service_requests(service_code="water")
    if isinstance(requests, dict):  # xmltodict gives a lone request as a dict
        requests = [requests]
    assert number in {r["service_request_id"] for r in requests}
    one = client.get_service_request(number)
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["agency_responsible"] and one["expected_datetime"]  # routed, with its SLA's deadline
    assert one["description"] == "No water from the public tap since Monday"
