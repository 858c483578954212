"""The charging read models equal a rebuild from the event store after a run of mixed HTTP and Kafka
traffic: creates, replaces with fewer periods, appended periods, status changes, a moved location,
stale updates and charging preferences."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from infra import kafka
from infra.rebuild import verify
from producers import topics
from producers.charging.topics import INBOUND_OCPI_SESSIONS, session_key
from projections.catalogue import PROJECTIONS
from tests.e2e.charging_support import dumps, ocpi_client, patch, put, session
from tests.support.database import read_row
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def energy(at: str, kwh: float) -> dict[str, Any]:
    return {"start_date_time": at, "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "POWER", "volume": 11}]}


def at(minute: int) -> str:
    return f"2036-04-01T10:{minute:02d}:00Z"


def publish(container: Any, method: str, body_of: dict[str, Any], body: dict[str, Any]) -> None:
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    message = {
        "message_id": str(uuid.uuid4()), "method": method, "country_code": body_of["country_code"],
        "party_id": body_of["party_id"], "session_id": body_of["id"], "body": body,
    }  # fmt: skip
    key = session_key(body_of["country_code"], body_of["party_id"], body_of["id"]).encode()
    producer.send(topics.physical(INBOUND_OCPI_SESSIONS, container.settings.topic_prefix), key=key,
                  value=dumps(message).encode())  # fmt: skip
    producer.flush()
    producer.close()


def test_the_charging_read_models_equal_a_rebuild_after_mixed_http_and_kafka_traffic(
    base_url: str, container: Any
) -> None:
    sessions = [session(status="ACTIVE", location_id="LOC-RB", last_updated=at(0), charging_periods=[energy(at(0), 1)])
                for _ in range(4)]  # fmt: skip
    with ocpi_client(base_url) as client:
        for body in sessions:
            put(client, body)
        for minute in range(1, 6):
            for n, body in enumerate(sessions):
                change = {"kwh": minute, "charging_periods": [energy(at(minute), 0.5)], "last_updated": at(minute)}
                if n % 2:
                    publish(container, "PATCH", body, change)
                else:
                    assert patch(client, body, change).status_code == 200
        put(client, sessions[0] | {"last_updated": at(10), "charging_periods": [energy(at(0), 3)]})  # fewer periods
        patch(client, sessions[1], {"location_id": "LOC-MOVED", "last_updated": at(11)})
        patch(client, sessions[2], {"status": "COMPLETED", "end_date_time": at(12), "last_updated": at(12)})
        patch(client, sessions[3], {"kwh": 0, "last_updated": at(1)})  # stale
        client.put(f"/ocpi/cpo/2.2.1/sessions/{sessions[3]['id']}/charging_preferences",
                   content=dumps({"profile_type": "GREEN"}))  # fmt: skip
    publish(container, "PATCH", sessions[1], {"kwh": 42, "last_updated": at(20)})
    last = sessions[1]
    wait_for(lambda: read_row(
        container, "SELECT 1 FROM readmodels.charging_sessions WHERE session_id = %s AND document->>'kwh' = '42'",
        last["id"],
    ))  # fmt: skip
    wait_for(lambda: read_row(
        container, "SELECT 1 FROM readmodels.charging_energy_sessions e JOIN readmodels.charging_sessions s"
        " USING (aggregate_id) WHERE s.session_id = %s AND e.version = s.version", last["id"],
    ))  # fmt: skip

    for name in ("charging_sessions", "location_energy"):
        assert verify(container.event_store, container.pool, PROJECTIONS[name], settle_seconds=20) == [], name
    periods = read_row(
        container, "SELECT count(*) FROM readmodels.charging_session_periods p JOIN readmodels.charging_sessions s"
        " USING (aggregate_id) WHERE s.session_id = %s", sessions[0]["id"],
    )  # fmt: skip
    assert periods == (1,)
