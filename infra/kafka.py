"""Kafka wiring: clients with the project's settings, and topic creation at start-up.

Producers and consumers are confluent-kafka (librdkafka).  kafka-python spent about 85-90 µs of
Python per ``send()`` and parsed records with 11 headers at about 39k/s, which capped the relay
and the read models well below their targets; librdkafka does the batching, compression, network
and record parsing in C, off the GIL, with the same guarantees (idempotent ``acks=all`` producer,
no auto-commit).  The producer is wrapped in the small kafka-python-shaped API the project uses
(``send`` returning a future, ``flush``, ``close``).  Topic administration stays on kafka-python.

Outages: a producer never gives up on a message (``delivery.timeout.ms`` 0 = no local timeout), so a
broker outage of any length only delays delivery; callers wait in short ``flush`` steps and may stop
waiting (``FlushTimeout``) when they are asked to stop.  librdkafka's own log lines (a broker outage
wrote thousands of ERROR lines a minute) go through ``ClientLog``: the state of the broker is logged
once when it goes away and once when it is back (``BROKER``), other lines at most once a minute.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import confluent_kafka
from confluent_kafka import KafkaError
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from consumers.supervisor import Condition
from producers import catalogue, topics
from producers.relay import ClientStuck, DeliveryFailed, FlushTimeout, MessageTooLarge

log = logging.getLogger(__name__)
_client_log = logging.getLogger("confluent_kafka")

#: The broker as this process sees it: failing when a client loses it, ok when a client sees it again.
BROKER = Condition("kafka", what="dependency")
#: Seconds a client may stay stuck before its owner rebuilds it.  librdkafka 2.16 has two ways of never
#: recovering from a single-node KRaft broker's restart, both seen in the broker-outage fault test:
#: - it knows no broker at all: a Metadata answer given while the broker is fenced lists none, the client
#:   decommissions the only one it knew, and the re-bootstrap that should follow is cancelled (the race
#:   librdkafka's test 0193 describes).  In an ordinary outage a client keeps its bootstrap servers.
#: - its consumer group waits forever for a coordinator whose broker was decommissioned (librdkafka
#:   #5511), while the client itself is connected again.  In an ordinary outage no broker is up.
#: Statistics come every 5 s: a stuck client is rebuilt some 20-25 s after it got stuck.
STUCK_AFTER_S = 15.0
#: Seconds between two looks at ``stuck`` while a flush without a timeout waits.
STUCK_CHECK_S = 1.0
#: Broker sources (librdkafka statistics) a client can connect to; "logical" and "internal" are not brokers.
_REACHABLE_SOURCES = ("configured", "learned")


def stuck_reason(stats: dict[str, Any]) -> str | None:
    """Why a client whose statistics are ``stats`` cannot recover by itself (see ``STUCK_AFTER_S``), or None."""
    brokers = [b for b in stats.get("brokers", {}).values() if b.get("source") in _REACHABLE_SOURCES]
    if not brokers:
        return "it knows no broker"
    group = stats.get("cgrp")
    if group and group.get("state") != "up" and any(b.get("state") == "UP" for b in brokers):
        return f"its group waits for a coordinator ({group.get('state')}) while a broker is up"
    return None


class ClientLog:
    """librdkafka's log lines, error and statistics callbacks: one line per change of the broker's
    state instead of one per failed connection attempt (see the module docstring)."""

    REPEAT_AFTER_S = 60.0

    def __init__(self, client: str, broker: Condition | None = None) -> None:
        self.client = client
        #: The broker's condition this client reports to (the process's ``BROKER`` unless given).
        self.broker = broker
        self._said: dict[str, float] = {}
        self._lock = threading.Lock()
        #: When the client's statistics first showed it stuck (``stuck_reason``; None: it is not).
        self.stuck_since: float | None = None

    @property
    def _broker(self) -> Condition:
        return self.broker if self.broker is not None else BROKER

    def log(self, level: int, fmt: str, *args: Any) -> None:  # the logging.Logger call librdkafka makes
        if level > logging.WARNING:  # librdkafka passes syslog levels: 0-3 errors, 4 warnings
            return
        facility, _name, text = (*args, "", "", "")[:3]
        if level <= 3 or self._broker.failing:
            # Connection failures, and anything said while the broker is away, are its consequences.
            self._broker.fail(f"{facility}: {text}")
            return
        now = time.monotonic()
        with self._lock:
            if now - self._said.get(str(facility), -self.REPEAT_AFTER_S) < self.REPEAT_AFTER_S:
                return
            self._said[str(facility)] = now
        _client_log.warning("kafka client says", extra={"client": self.client, "facility": facility, "text": text})

    def error(self, error: KafkaError) -> None:  # error_cb
        if error.fatal():
            _client_log.error("kafka client failed", extra={"client": self.client, "error": str(error)})
        self._broker.fail(f"{error.name()}: {error.str()}")

    def stats(self, payload: str) -> None:
        """stats_cb: a broker in state UP means the outage is over; ``stuck_reason`` that the client
        will not recover by itself."""
        try:
            stats = json.loads(payload)
        except ValueError:
            return
        reason = stuck_reason(stats)
        if reason is None:
            self.stuck_since = None
        elif self.stuck_since is None:
            self.stuck_since = time.monotonic()
            _client_log.warning("kafka client stuck", extra={"client": self.client, "reason": reason})
        brokers = stats.get("brokers", {}).values()
        if self._broker.failing and any(b.get("state") == "UP" and b.get("nodeid", -1) >= 0 for b in brokers):
            self._broker.ok()

    @property
    def stuck(self) -> bool:
        """The client has been stuck for ``STUCK_AFTER_S``: it will not recover by itself."""
        since = self.stuck_since
        return since is not None and time.monotonic() - since >= STUCK_AFTER_S

    def config(self) -> dict[str, Any]:
        return {"error_cb": self.error, "stats_cb": self.stats, "statistics.interval.ms": 5000}


class Delivery:
    """The outcome of one ``send``, known once ``flush()`` returned (the producer reports failed
    deliveries only: ``flush()`` raises unless every message was reported, so no report is an ack)."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: Any = None

    def __call__(self, error: Any, _message: Any) -> None:  # librdkafka's delivery report
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        """Raises if the message was not acknowledged (call after ``flush``)."""
        if self.error is not None:
            if self.error.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                raise MessageTooLarge(str(self.error))
            raise DeliveryFailed(str(self.error))


class Producer:
    """An idempotent producer (``acks=all``): a retried send never duplicates or reorders."""

    def __init__(self, config: dict[str, Any], client_log: ClientLog | None = None) -> None:
        self.client_log = client_log or ClientLog(str(config.get("client.id", "producer")))
        self._producer = confluent_kafka.Producer({**self.client_log.config(), **config}, logger=self.client_log)

    @property
    def stuck(self) -> bool:
        """It will not recover from a broker restart by itself (see ``STUCK_AFTER_S``): build another one."""
        return self.client_log.stuck

    def send(
        self, topic: str, *, key: bytes | None = None, value: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Delivery:  # fmt: skip
        delivery = Delivery()
        while True:
            try:
                self._producer.produce(
                    topic,
                    value,
                    key,
                    headers=headers,
                    on_delivery=delivery,  # type: ignore[arg-type]
                )
                return delivery
            except BufferError:  # the local queue is full: let librdkafka deliver some first
                self._producer.poll(0.05)
            except confluent_kafka.KafkaException as error:
                if error.args and error.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE:
                    raise MessageTooLarge(str(error.args[0])) from error
                raise

    def flush(self, timeout: float | None = None) -> None:
        """Waits until every message sent so far has its delivery report (ack or failure);
        ``FlushTimeout`` if some have none after ``timeout`` seconds (they are still being sent);
        ``ClientStuck`` once the producer is stuck, even without a timeout."""
        if timeout is None:  # in steps, so that a stuck producer is noticed instead of waited for forever
            while (left := self._producer.flush(STUCK_CHECK_S)) and not self.stuck:
                pass
        else:
            left = self._producer.flush(timeout)
        if left and self.stuck:
            # Waiting longer would be forever: the caller's owner rebuilds the producer and sends again.
            raise ClientStuck(f"{left} messages unacknowledged and the producer is stuck")
        if left:
            raise FlushTimeout(f"{left} messages still unacknowledged after {timeout}s")

    def close(self, timeout: float | None = None) -> None:
        """Delivers what is queued, for up to ``timeout`` seconds; drops the rest (nobody was told
        they were delivered: a relay position or a consumer offset moves only after an ack)."""
        left = self._producer.flush(-1 if timeout is None else timeout)
        if left:
            self._producer.purge()
            self._producer.flush(0)
            log.warning("producer closed with unacknowledged messages", extra={"messages": left})


def producer(bootstrap: str, **overrides: Any) -> Producer:
    """An idempotent producer (``acks=all``) with the project's batching."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,  # implies acks=all and in-order retries
        "delivery.report.only.error": True,  # see Delivery
        "linger.ms": 20,  # flush() sends at once; a busy relay gets bigger batches (less CPU)
        "batch.size": 1024 * 1024,
        "message.max.bytes": 4 * 1024 * 1024,
        "compression.type": "none",
        "delivery.timeout.ms": 0,  # never give up: a broker outage of any length only delays delivery
        "reconnect.backoff.max.ms": 2000,  # back within seconds of the broker's return
        "client.id": "sessionstream",
    }
    config.update(overrides)
    return Producer(config)


class Consumer(confluent_kafka.Consumer):
    """confluent-kafka's consumer, with the ``ClientLog`` that watches it."""

    def __init__(self, config: dict[str, Any], client_log: ClientLog) -> None:
        super().__init__({**client_log.config(), **config}, logger=client_log)
        self.client_log = client_log

    @property
    def stuck(self) -> bool:
        """It will not recover from a broker restart by itself (see ``STUCK_AFTER_S``): build another one."""
        return self.client_log.stuck


def consumer(bootstrap: str, group_id: str, **overrides: Any) -> Consumer:
    """A consumer that never commits by itself: offsets are ours to record."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 20,
        "fetch.max.bytes": 32 * 1024 * 1024,
        "max.partition.fetch.bytes": 8 * 1024 * 1024,
        # A dead instance's partitions move to the living ones within seconds (6 s is the broker's
        # default minimum); heartbeats come from librdkafka's own thread, so a busy GIL does not miss them.
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1500,
        "client.id": f"sessionstream-{group_id}",
        # A group that joins before a new topic's metadata reached it gets no partitions until the next
        # metadata refresh (5 minutes by default); refresh often so it never waits long.
        "topic.metadata.refresh.interval.ms": 5000,
        "reconnect.backoff.max.ms": 2000,
    }
    config.update(overrides)
    return Consumer(config, ClientLog(str(config["client.id"])))


def ensure_topics(bootstrap: str, prefix: str, partitions: int, names: Iterable[str] | None = None) -> None:
    """Creates the catalogue's topics that are missing (an empty broker is enough to start)."""
    wanted = [topics.physical(n, prefix) for n in (names or [t.name for t in catalogue.TOPICS])]
    configs = {topics.physical(t.name, prefix): dict(t.config) for t in catalogue.TOPICS if t.config}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sessionstream-admin")
    try:
        existing = set(admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        if not missing:
            return
        with contextlib.suppress(TopicAlreadyExistsError):  # another instance created them first
            admin.create_topics(
                [NewTopic(name=n, num_partitions=partitions, replication_factor=1, topic_configs=configs.get(n, {}))
                 for n in missing]
            )  # fmt: skip
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


def read_topic(bootstrap: str, name: str) -> list[Any]:
    """Every record of the topic ``name`` (physical), from its beginning to its end as of now, for tools
    and tests that read a topic whole (the demo, audits); kafka-python records, headers as pairs."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        records: list[Any] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=500).values():
                records += batch
        return records
    finally:
        consumer.close()
