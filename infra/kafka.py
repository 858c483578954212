"""Kafka wiring: clients with the project's settings, and topic creation at start-up."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from producers import topics

log = logging.getLogger(__name__)


def producer(bootstrap: str, **overrides: object) -> KafkaProducer:
    """An idempotent producer (``acks=all``): a retried send never duplicates or reorders."""
    config: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "batch_size": 256 * 1024,
        "max_request_size": 4 * 1024 * 1024,
        "compression_type": None,
        "client_id": "sessionstream",
    }
    config.update(overrides)
    return KafkaProducer(**config)


def consumer(bootstrap: str, group_id: str, **overrides: object) -> KafkaConsumer:
    """A consumer that never commits by itself: offsets are ours to record."""
    config: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 2000,
        "fetch_max_wait_ms": 20,
        "fetch_max_bytes": 32 * 1024 * 1024,
        "max_partition_fetch_bytes": 8 * 1024 * 1024,
        "session_timeout_ms": 10000,
        "heartbeat_interval_ms": 3000,
        "client_id": f"sessionstream-{group_id}",
        # A group that joins before a new topic's metadata reached it gets no partitions until the next
        # metadata refresh (5 minutes by default); refresh often so it never waits long.
        "metadata_max_age_ms": 5000,
    }
    config.update(overrides)
    return KafkaConsumer(**config)


def ensure_topics(bootstrap: str, prefix: str, partitions: int, names: Iterable[str] | None = None) -> None:
    """Creates the catalogue's topics that are missing (an empty broker is enough to start)."""
    wanted = [topics.physical(n, prefix) for n in (names or [t.name for t in topics.CATALOGUE])]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sessionstream-admin")
    try:
        existing = set(admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        if not missing:
            return
        try:
            admin.create_topics(
                [NewTopic(name=n, num_partitions=partitions, replication_factor=1) for n in missing]
            )
        except TopicAlreadyExistsError:
            pass  # another instance created them first
        log.info("topics created", extra={"topics": missing})
        _wait_until_led(admin, missing)
    finally:
        admin.close()


def _wait_until_led(admin: KafkaAdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Waits until every partition of the new topics has a leader: consumers that subscribe right
    after creation then see their partitions at once."""
    deadline = time.monotonic() + timeout
    while True:
        described = admin.describe_topics(names)
        ready = all(
            t.get("error_code", 0) == 0 and t["partitions"] and all(p["leader_id"] >= 0 for p in t["partitions"])
            for t in described
        )
        if ready and len(described) == len(names):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics without leaders after {timeout}s: {names}")
        time.sleep(0.1)
