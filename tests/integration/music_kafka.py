"""Kafka helpers of the music integration tests: publish on ``inbound.tunelog.v1``, read a topic."""

from __future__ import annotations

import json
import uuid
from typing import Any

from kafka import KafkaConsumer

from infra import kafka
from producers import topics
from producers.music.topics import INBOUND_TUNELOG
from tests.support.waiting import wait_for


class TopicReader:
    """Reads one topic of a container from its beginning, keeping what it has read."""

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

    def close(self) -> None:
        self.consumer.close()


def request(instance_id: Any, action: str, **fields: Any) -> dict[str, Any]:
    return {"message_id": str(uuid.uuid4()), "instance_id": str(instance_id), "action": action, **fields}


def publish(container: Any, *values: dict[str, Any] | bytes, key: bytes | None = None) -> None:
    """Publishes the values in order (dicts as JSON), keyed by their instance id unless ``key`` is given."""
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    name = topics.physical(INBOUND_TUNELOG, container.settings.topic_prefix)
    for value in values:
        raw = value if isinstance(value, bytes) else json.dumps(value, default=str).encode()
        record_key = key if key is not None else str(value["instance_id"]).encode()  # type: ignore[index]
        producer.send(name, key=record_key, value=raw)
    producer.flush()
    producer.close()


class Outcomes:
    """The outcomes of ``inbound.tunelog.v1``, by message id."""

    def __init__(self, container: Any) -> None:
        self.reader = TopicReader(container, topics.outcomes_topic(INBOUND_TUNELOG))

    def of(self, *messages: dict[str, Any], timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every outcome of the messages (waits until each has at least one), in the order they came."""
        ids = {m["message_id"] for m in messages}

        def found() -> list[dict[str, Any]]:
            mine = [o for o in (json.loads(r.value) for r in self.reader.read()) if o["message_id"] in ids]
            return mine if {o["message_id"] for o in mine} == ids else []

        return wait_for(found, timeout=timeout)
