"""The charging part of the demo: a CPO pushes one charging session over OCPI, then the location's energy.

``charging_demo(base_url, ...)`` drives a running service: the CPO PUTs the session (PENDING), PATCHes
it to ACTIVE with a first charging period over HTTP, publishes two PATCHes on ``inbound.ocpi-sessions.v1``
(Kafka), PATCHes once more over HTTP and finally to COMPLETED; it prints the session as the receiver
serves it and the location's kWh per hour from the ``location_energy`` read model.

Run it alone: ``sessionstream demo --only charging``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from infra import kafka
from producers import topics
from producers.charging.topics import INBOUND_OCPI_SESSIONS, session_key

console = Console()
#: The demo CPO's party and OCPI token (``SESSIONSTREAM_OCPI_TOKENS`` of the service must hold it).
DEMO_PARTY = ("NL", "DMO")
DEMO_OCPI_TOKEN = "demo-cpo-token"
DEMO_WRITE_TOKEN = "demo-write-token"


def _z(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _period(at: datetime, kwh: float, kw: float) -> dict[str, Any]:
    return {
        "start_date_time": _z(at),
        "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "POWER", "volume": kw}],
    }


def charging_demo(
    base_url: str,
    *,
    bootstrap: str,
    topic_prefix: str = "",
    ocpi_token: str = DEMO_OCPI_TOKEN,
    write_token: str = DEMO_WRITE_TOKEN,
    party: tuple[str, str] = DEMO_PARTY,
) -> dict[str, Any]:
    """Performs and prints the scenario (see the module docstring); returns the location's energy."""
    console.rule("EV charging: a CPO pushes a session over OCPI 2.2.1")
    start = (datetime.now(timezone.utc) - timedelta(hours=3)).replace(minute=10, second=0, microsecond=0)
    location = f"DEMO-{uuid.uuid4().hex[:6].upper()}"
    session_id = f"demo-{uuid.uuid4().hex[:10]}"
    country, party_id = party
    cpo = httpx.Client(
        base_url=base_url, timeout=15,
        headers={"Authorization": "Token " + base64.b64encode(ocpi_token.encode()).decode()},
    )  # fmt: skip
    url = f"/ocpi/emsp/2.2.1/sessions/{country}/{party_id}/{session_id}"
    session = {
        "country_code": country, "party_id": party_id, "id": session_id, "start_date_time": _z(start), "kwh": 0,
        "cdr_token": {"country_code": "NL", "party_id": "TST", "uid": "04A1B2C3", "type": "RFID",
                      "contract_id": "NL-TST-C00000001-X"},
        "auth_method": "WHITELIST", "location_id": location, "evse_uid": "EVSE-1", "connector_id": "1",
        "currency": "EUR", "status": "PENDING", "last_updated": _z(start),
    }  # fmt: skip
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("HTTP", "PATCH", {"status": "ACTIVE", "kwh": 0, "charging_periods": [_period(start, 5.5, 11)],
                           "last_updated": _z(start + timedelta(minutes=1))}),
        ("Kafka", "PATCH", {"kwh": 5.5, "charging_periods": [_period(start + timedelta(minutes=30), 11, 22)],
                            "last_updated": _z(start + timedelta(minutes=30))}),
        ("Kafka", "PATCH", {"kwh": 16.5, "charging_periods": [_period(start + timedelta(minutes=60), 7.4, 7.4)],
                            "last_updated": _z(start + timedelta(minutes=60))}),
        ("HTTP", "PATCH", {"kwh": 23.9, "charging_periods": [_period(start + timedelta(minutes=120), 2.2, 3.7)],
                           "total_cost": {"excl_vat": 9.56, "incl_vat": 11.57},
                           "last_updated": _z(start + timedelta(minutes=120))}),
        ("HTTP", "PATCH", {"kwh": 26.1, "status": "COMPLETED", "end_date_time": _z(start + timedelta(minutes=150)),
                           "total_cost": {"excl_vat": 10.44, "incl_vat": 12.63},
                           "last_updated": _z(start + timedelta(minutes=150))}),
    ]  # fmt: skip
    pushes = Table("via", "request", "answer")
    answer = cpo.put(url, json=session)
    pushes.add_row("HTTP", "PUT (PENDING)", f"{answer.status_code} / OCPI {answer.json()['status_code']}")
    for via, method, body in steps:
        what = f"{method} " + ", ".join(sorted(k for k in body if k != "last_updated"))
        if via == "HTTP":
            answer = cpo.request(method, url, json=body)
            pushes.add_row(via, what, f"{answer.status_code} / OCPI {answer.json()['status_code']}")
        else:
            outcome = _publish(bootstrap, topic_prefix, party, session_id, body)
            pushes.add_row(via, what, f"{outcome['status']} / OCPI {outcome['ocpi_status_code']}")
    console.print(pushes)
    served = cpo.get(url).json()["data"]
    _print_session(served)
    return _print_energy(base_url, write_token, location, start)


def _publish(bootstrap: str, prefix: str, party: tuple[str, str], session_id: str, body: dict[str, Any]) -> Any:
    """Publishes one PATCH on the inbound topic and waits for its outcome."""
    from kafka import KafkaConsumer, TopicPartition

    outcomes = topics.physical(topics.outcomes_topic(INBOUND_OCPI_SESSIONS), prefix)
    reader = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(outcomes, p) for p in reader.partitions_for_topic(outcomes) or ()]
        reader.assign(parts)
        reader.seek_to_end(*parts)
        for part in parts:
            reader.position(part)  # fixes the start before the request is sent
        message_id = str(uuid.uuid4())
        request = {"message_id": message_id, "method": "PATCH", "country_code": party[0], "party_id": party[1],
                   "session_id": session_id, "body": body}  # fmt: skip
        producer = kafka.producer(bootstrap)
        producer.send(
            topics.physical(INBOUND_OCPI_SESSIONS, prefix), key=session_key(*party, session_id).encode(),
            value=json.dumps(request).encode(),
        )  # fmt: skip
        producer.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=200).values():
                for record in records:
                    outcome = json.loads(record.value)
                    if outcome["message_id"] == message_id:
                        return outcome
        raise RuntimeError("no outcome for the inbound PATCH within 30 s")
    finally:
        reader.close()


def _print_session(served: dict[str, Any]) -> None:
    table = Table("period start", "ENERGY kWh", "POWER kW", title=(
        f"Session {served['id']} at {served['location_id']}: {served['status']}, {served['kwh']} kWh, "
        f"{served.get('total_cost', {}).get('incl_vat', '?')} {served['currency']} incl. VAT"
    ))  # fmt: skip
    for period in served.get("charging_periods", []):
        volumes = {d["type"]: d["volume"] for d in period["dimensions"]}
        table.add_row(period["start_date_time"], str(volumes.get("ENERGY", "")), str(volumes.get("POWER", "")))
    console.print(table)


def _print_energy(base_url: str, write_token: str, location: str, start: datetime) -> dict[str, Any]:
    dashboard = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {write_token}"}, timeout=15)
    params = {
        "from": _z(start.replace(minute=0)),
        "to": _z(start.replace(minute=0) + timedelta(hours=4)),
        "bucket": "hour",
    }
    deadline = time.monotonic() + 30
    while True:
        energy = dashboard.get(f"/charging/locations/{location}/energy", params=params).json()
        if abs(energy["total_kwh"] - 26.1) < 0.001 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    table = Table("hour (UTC)", "kWh", "sessions", title=f"Energy at {location} per hour")
    for bucket in energy["buckets"]:
        table.add_row(bucket["start"], f"{bucket['kwh']:.2f}", str(bucket["sessions"]))
    console.print(table)
    return energy  # type: ignore[no-any-return]
