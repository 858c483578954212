"""2. The relay as the service runs it (one process per scope) and the raw producer, on the same messages."""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, field

from domain.eventsessions.application import EventSessions
from infra import kafka as kafka_wiring
from infra.bench.support import wait_until
from infra.container import Container
from infra.relays import relay_processes
from producers import topics
from producers.catalogue import REGISTRY
from producers.relay import Relay


@dataclass
class Sample:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class SampleSink:
    """A Sender and Position for a ``Relay`` that keeps what it would publish (the raw producer's input)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def send(self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> SampleSink:
        self.samples.append(Sample(topic, key, value, headers))
        return self

    def get(self, timeout: float | None = None) -> None:
        pass

    def flush(self, timeout: float | None = None) -> None:
        pass

    def load(self) -> int:
        return 0

    def save(self, notification_id: int) -> None:
        pass


def sample_messages(app: EventSessions, count: int) -> list[Sample]:
    """What the relay publishes (topic, key, value, headers) for the first ``count`` notifications."""
    sink = SampleSink()
    Relay(app, sink, sink, REGISTRY, batch_size=count).relay_once()
    return sink.samples


def raw_producer_rate(bootstrap: str, prefix: str, partitions: int, samples: list[Sample], count: int) -> float:
    name = "bench.raw-producer"
    kafka_wiring.ensure_topics(bootstrap, prefix, partitions, names=[name])
    topic = topics.physical(name, prefix)
    producer = kafka_wiring.producer(bootstrap, **{"client.id": "sessionstream-bench"})
    try:
        producer.send(
            topic,
            key=samples[0].key,
            value=samples[0].value,
            headers=samples[0].headers,
        )
        producer.flush()  # metadata and the idempotent producer id, outside the timing
        started = time.perf_counter()
        futures = []
        for i in range(count):
            s = samples[i % len(samples)]
            futures.append(producer.send(topic, key=s.key, value=s.value, headers=s.headers))
        producer.flush()
        for f in futures:
            f.get(timeout=0)
        return count / (time.perf_counter() - started)
    finally:
        producer.close(timeout=10)


def relay_rate(container: Container, events: int, timeout: float) -> dict[str, float]:
    """The relay as ``sessionstream run`` runs it (one process per scope), from position 0 until every
    scope's position reached the last notification.  Timed from the moment every process is ready
    (built, position loaded) and released; process start-up is reported apart."""
    workers = relay_processes(container, gated=True)
    started = time.perf_counter()
    for w in workers:
        w.start()
    try:
        wait_until(
            lambda: all(w.ready.is_set() or w.error for w in workers),
            120,
            0.005,
            "the relay processes",
        )
        ready = time.perf_counter()
        assert all(w.position == 0 for w in workers), "the relay scopes did not start at position 0"
        for w in workers:
            w.release()
        wait_until(
            lambda: all(w.position >= events or w.error for w in workers),
            timeout,
            0.002,
            "the relay",
        )
        done = time.perf_counter()
        failed = [w.error for w in workers if w.error]
        if failed:
            raise RuntimeError(f"a relay process failed: {failed[0]}")
    finally:
        for w in workers:
            w.stop()
        for w in workers:
            w.join(30)
    return {
        "rate": events / (done - ready),
        "seconds": done - ready,
        "startup_seconds": ready - started,
        "published": sum(w.published for w in workers),
        "processes": len(workers),
    }


def topic_size(bootstrap: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="sessionstream-bench-offsets")
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        return sum(consumer.end_offsets(tps).values())
    finally:
        consumer.close()


@dataclass
class PublishLog:
    """RelayMetrics: when each batch was acknowledged and its position saved."""

    times: list[float] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_published(self, count: int, position: int) -> None:
        with self.lock:
            self.times.append(time.monotonic())
            self.positions.append(position)

    def published_at(self, notification_id: int) -> float | None:
        with self.lock:
            i = bisect.bisect_left(self.positions, notification_id)
            return self.times[i] if i < len(self.times) else None
