"""inbound.ocpi-sessions.v1: the HTTP receiver's rules over Kafka, one outcome per message carrying the
OCPI status code, malformed messages dead-lettered, idempotent by message_id."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from kafka import KafkaConsumer

from infra import kafka
from producers import topics
from producers.charging.topics import INBOUND_OCPI_SESSIONS, session_key
from tests.e2e.charging_support import dumps, session
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


class TopicReader:
    def __init__(self, container: Any, topic: str) -> None:
        self.consumer = KafkaConsumer(
            topics.physical(topic, container.settings.topic_prefix),
            bootstrap_servers=container.endpoints.kafka_bootstrap,
            auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        )  # fmt: skip
        self.records: list[Any] = []

    def read(self) -> list[Any]:
        for batch in self.consumer.poll(timeout_ms=200).values():
            self.records += batch
        return self.records

    def outcomes_of(self, message_id: str) -> list[dict[str, Any]]:
        return [json.loads(r.value) for r in self.read() if json.loads(r.value)["message_id"] == message_id]


@pytest.fixture
def outcomes(container: Any) -> TopicReader:
    return TopicReader(container, topics.outcomes_topic(INBOUND_OCPI_SESSIONS))


def send(container: Any, *values: bytes, key: bytes) -> None:
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    for value in values:
        producer.send(topics.physical(INBOUND_OCPI_SESSIONS, container.settings.topic_prefix), key=key, value=value)
    producer.flush()
    producer.close()


def request(method: str, body: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An inbound request for NL/STK; ``session_id`` defaults to the body's ``id``."""
    return {
        "message_id": str(uuid.uuid4()), "method": method, "country_code": "NL", "party_id": "STK",
        "session_id": body.get("id"), "body": body, **fields,
    }  # fmt: skip


def key_of(body: dict[str, Any]) -> bytes:
    return session_key(body["country_code"], body["party_id"], body["id"]).encode()


def one_outcome(outcomes: TopicReader, message: dict[str, Any]) -> dict[str, Any]:
    return wait_for(lambda: outcomes.outcomes_of(message["message_id"]))[0]  # type: ignore[no-any-return]


def test_a_valid_put_then_patch_are_accepted_with_1000_and_applied(container: Any, outcomes: TopicReader) -> None:
    body = session(status="ACTIVE")
    created = request("PUT", body)
    change = {"kwh": 2, "charging_periods": [{"start_date_time": "2020-03-09T10:20:00Z",
                                                "dimensions": [{"type": "ENERGY", "volume": 2}]}],
              "last_updated": "2020-03-09T10:20:00Z"}  # fmt: skip
    patched = request("PATCH", change, session_id=body["id"])

    send(container, dumps(created).encode(), dumps(patched).encode(), key=key_of(body))

    first, second = one_outcome(outcomes, created), one_outcome(outcomes, patched)
    assert (first["status"], first["ocpi_status_code"], first["http_status"], first["version"]) == (
        "accepted",
        1000,
        201,
        1,
    )
    assert (second["status"], second["ocpi_status_code"], second["result"]) == ("accepted", 1000, "applied")
    stored = container.charging.get_session("NL", "STK", body["id"]).render("2.2.1")
    assert (stored["kwh"], len(stored["charging_periods"])) == (2, 1)


def test_a_stale_patch_is_accepted_with_1000_as_ignored(container: Any, outcomes: TopicReader) -> None:
    body = session(last_updated="2020-03-09T11:00:00Z")
    stale = request("PATCH", {"kwh": 9, "last_updated": "2020-03-09T10:00:00Z"}, session_id=body["id"])

    send(container, dumps(request("PUT", body)).encode(), dumps(stale).encode(), key=key_of(body))

    outcome = one_outcome(outcomes, stale)
    assert (outcome["status"], outcome["ocpi_status_code"], outcome["result"]) == ("accepted", 1000, "ignored_as_stale")
    assert container.charging.get_session("NL", "STK", body["id"]).render("2.2.1")["kwh"] == 0


def test_a_body_breaking_the_ocpi_rules_is_rejected_with_2001(container: Any, outcomes: TopicReader) -> None:
    body = session()
    no_last_updated = request("PATCH", {"kwh": 1}, session_id=body["id"])
    unknown = request("PATCH", {"kwh": 1, "last_updated": "2020-03-09T11:00:00Z"}, session_id=session()["id"])

    send(container, dumps(request("PUT", body)).encode(), dumps(no_last_updated).encode(), key=key_of(body))
    send(container, dumps(unknown).encode(), key=b"other")

    refused, missing = one_outcome(outcomes, no_last_updated), one_outcome(outcomes, unknown)
    assert (refused["status"], refused["ocpi_status_code"], refused["code"]) == (
        "rejected",
        2001,
        "charging.missing_field",
    )
    assert refused["detail"] == "Missing required field: last_updated"
    assert (missing["status"], missing["ocpi_status_code"], missing["http_status"]) == ("rejected", 2001, 404)


def test_a_malformed_message_goes_to_the_dead_letter_topic_and_the_next_is_processed(
    container: Any, outcomes: TopicReader
) -> None:
    dlt = TopicReader(container, topics.dead_letter_topic(INBOUND_OCPI_SESSIONS))
    body = session()
    good = request("PUT", body)
    no_method = {k: v for k, v in request("PUT", body).items() if k != "method"}

    send(container, b'{"message_id": "not json', dumps(no_method).encode(), dumps(good).encode(), key=b"bad")

    letters = wait_for(lambda: [r for r in dlt.read() if r.key == b"bad"] if len(dlt.read()) >= 2 else None)
    assert [dict(r.headers)["dlt.exception.class"] for r in letters[-2:]] == [b"JSONDecodeError", b"ValidationError"]
    assert (
        dict(letters[-1].headers)["dlt.origin.topic"]
        == topics.physical(INBOUND_OCPI_SESSIONS, container.settings.topic_prefix).encode()
    )
    assert one_outcome(outcomes, good)["status"] == "accepted"


def test_a_duplicated_message_has_one_effect_and_one_outcome_and_a_reused_id_is_rejected(
    container: Any, outcomes: TopicReader
) -> None:
    body = session(status="ACTIVE")
    put = request("PUT", body)
    period = {"start_date_time": "2020-03-09T10:20:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
    append = request(
        "PATCH", {"charging_periods": [period], "last_updated": "2020-03-09T10:20:00Z"}, session_id=body["id"]
    )
    reused = dict(append, body={"kwh": 5, "last_updated": "2020-03-09T10:21:00Z"})
    marker = request("PATCH", {"kwh": 1, "last_updated": "2020-03-09T10:22:00Z"}, session_id=body["id"])

    send(container, *(dumps(m).encode() for m in (put, append, append, reused, marker)), key=key_of(body))

    one_outcome(outcomes, marker)
    assert len(outcomes.outcomes_of(append["message_id"])) == 2  # the first answer, then the reuse
    first, refusal = outcomes.outcomes_of(append["message_id"])
    assert first["status"] == "accepted"
    assert (refusal["status"], refusal["code"]) == ("rejected", "inbound.message_id_reused")
    stored = container.charging.get_session("NL", "STK", body["id"]).render("2.2.1")
    assert (len(stored["charging_periods"]), stored["kwh"]) == (1, 1)
