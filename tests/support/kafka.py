"""The topics of a test container, read and written independently of the service's own clients."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer

from infra import kafka
from infra.bench.relay import SampleSink
from infra.container import Container
from producers import topics


def all_records(container: Container, topic: str) -> list[Any]:
    """Every record of a topic (logical name) of this container, from the beginning to its end."""
    return kafka.read_topic(
        container.endpoints.kafka_bootstrap, topics.physical(topic, container.settings.topic_prefix)
    )


class TopicReader:
    """Reads one topic (logical name) of the container from its beginning, a poll at a time."""

    def __init__(self, container: Container, topic: str) -> None:
        self.consumer = KafkaConsumer(
            topics.physical(topic, container.settings.topic_prefix),
            bootstrap_servers=container.endpoints.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        self.records: list[Any] = []

    def read(self) -> list[Any]:
        """Every record read so far, after one more poll."""
        for batch in self.consumer.poll(timeout_ms=200).values():
            self.records += batch
        return self.records


def send(container: Container, topic: str, value: bytes, *, key: bytes = b"k", headers: list | None = None) -> None:
    """Publishes one record on a topic (logical name) of the container and waits for its ack."""
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    producer.send(topics.physical(topic, container.settings.topic_prefix), key=key, value=value, headers=headers or [])
    producer.flush()
    producer.close()


#: What a ``Relay`` would publish, kept instead of sent: the benchmark's sink (one class for both).
CapturingSender = SampleSink


def delete_topics(bootstrap: str, prefixes: list[str]) -> None:
    """Deletes every topic under these prefixes: each test container has its own prefix, and a broker
    that keeps them all runs out of file descriptors after a few test sessions (one or more per partition)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sessionstream-tests-cleanup")
    try:
        doomed = [t for t in admin.list_topics() if t.startswith(tuple(prefixes))]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()
