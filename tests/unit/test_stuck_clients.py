"""A Kafka client that will not recover from a broker restart by itself is rebuilt instead of waited for.

librdkafka 2.16, after a single-node KRaft broker restarts, can drop the only broker a client knew (a
Metadata answer given while the broker is fenced lists none) and never re-bootstrap, or leave a
consumer group waiting forever for a coordinator whose broker it dropped: a consumer stays out of its
group, unassigned, for good.  ``ClientLog`` sees either in the statistics, the consumer runner and the
producer's ``flush`` end with ``ClientStuck``, and the owners build new clients (the broker-outage
fault test is where both were seen)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from consumers.runner import ConsumerRunner
from consumers.supervisor import Condition
from infra import kafka
from producers.relay import ClientStuck, FlushTimeout

BOOTSTRAP = {"127.0.0.1:9092/bootstrap": {"nodeid": -1, "state": "INIT", "source": "configured"}}
LEARNED_DOWN = {"127.0.0.1:9092/1": {"nodeid": 1, "state": "DOWN", "source": "learned"}}
LEARNED_UP = {"127.0.0.1:9092/1": {"nodeid": 1, "state": "UP", "source": "learned"}}
ONLY_LOGICAL = {"GroupCoordinator": {"nodeid": -1, "state": "INIT", "source": "logical"}}


def _stats(brokers: dict[str, Any], group: str | None = None) -> str:
    return json.dumps({"brokers": brokers, **({"cgrp": {"state": group}} if group else {})})


def _client() -> kafka.ClientLog:
    return kafka.ClientLog("sessionstream-test", Condition("kafka", what="dependency"))


def _long_ago(client: kafka.ClientLog) -> None:
    assert client.stuck_since is not None
    client.stuck_since = time.monotonic() - kafka.STUCK_AFTER_S - 1


@pytest.mark.parametrize(
    ("brokers", "group"),
    [(ONLY_LOGICAL, None), (ONLY_LOGICAL, "query-coord"), ({**LEARNED_UP, **ONLY_LOGICAL}, "wait-broker-transport")],
    ids=["no broker left", "no broker left, group", "group without its coordinator while a broker is up"],
)
def test_a_client_that_cannot_recover_by_itself_is_stuck_once_it_lasts(brokers: dict[str, Any], group: str) -> None:
    client = _client()
    client.stats(_stats(brokers, group))
    assert not client.stuck  # a moment of it is not enough: a restart passes through both
    _long_ago(client)
    assert client.stuck


@pytest.mark.parametrize(
    ("brokers", "group"),
    [
        (BOOTSTRAP, None),
        (LEARNED_DOWN, "query-coord"),
        ({**BOOTSTRAP, **ONLY_LOGICAL}, "wait-coord"),
        (LEARNED_UP, "up"),
    ],
    ids=["outage, bootstrap left", "outage, group", "outage, re-bootstrapping", "healthy"],
)
def test_an_ordinary_outage_or_a_healthy_client_is_not_stuck(brokers: dict[str, Any], group: str | None) -> None:
    client = _client()
    client.stats(_stats(ONLY_LOGICAL))
    _long_ago(client)
    client.stats(_stats(brokers, group))
    assert client.stuck_since is None and not client.stuck


def test_a_stuck_producer_fails_its_flush_instead_of_timing_out_forever() -> None:
    client = _client()
    # A real librdkafka producer towards a port nobody listens on: nothing is acknowledged.
    producer = kafka.Producer({"bootstrap.servers": "127.0.0.1:9", "enable.idempotence": True}, client)
    try:
        producer.send("stuck-test", value=b"x")
        with pytest.raises(FlushTimeout):
            producer.flush(0.05)
        client.stats(_stats(ONLY_LOGICAL))
        _long_ago(client)
        with pytest.raises(ClientStuck):
            producer.flush(0.05)
        assert producer.stuck
    finally:
        producer.close(0)


class StuckConsumer:
    """Stands for an ``infra.kafka.Consumer`` whose statistics showed it stuck: unassigned, idle."""

    stuck = True

    def __init__(self) -> None:
        self.closed = False
        self.polls = 0

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        pass

    def poll(self, timeout: float) -> None:
        self.polls += 1
        if self.polls > 100:  # without the check the runner would poll, unassigned, forever
            raise AssertionError("the runner did not notice its client is stuck")
        return None

    def assignment(self) -> list[Any]:
        return []

    def position(self, partitions: list[Any]) -> list[Any]:
        return []

    def close(self) -> None:
        self.closed = True


class Handler:
    group = "projection.test"
    topics = ("test.topic",)

    def handle(self, cur: Any, records: Any) -> list[Any]:
        raise AssertionError("no record arrives")


def test_a_consumer_runner_whose_client_is_stuck_ends_so_that_its_supervisor_builds_another() -> None:
    consumer = StuckConsumer()
    runner = ConsumerRunner(Handler(), lambda group: consumer, pool=None, dlt_producer=None, schema="live")  # type: ignore[arg-type]
    with pytest.raises(ClientStuck, match=r"projection\.test"):
        runner.run()
    assert consumer.closed
    assert isinstance(runner.failed, ClientStuck)


def test_the_process_producer_is_replaced_once_stuck_so_that_restarted_workers_get_a_working_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infra.container import Container, Endpoints
    from infra.settings import Settings

    # Each producer with a condition of its own: the process's BROKER is the session's service's too.
    monkeypatch.setattr(
        kafka, "producer", lambda bootstrap: kafka.Producer({"bootstrap.servers": bootstrap}, _client())
    )

    container = Container(Settings(), Endpoints("postgresql://nobody@127.0.0.1:9/none", "127.0.0.1:9"),
                          create_event_store=False)  # fmt: skip
    first = container.producer
    assert container.producer is first  # healthy: kept
    first.client_log.stuck_since = time.monotonic() - kafka.STUCK_AFTER_S - 1
    second = container.producer
    assert second is not first and not second.stuck
    second.close(0)


def test_a_flush_without_a_timeout_ends_with_client_stuck_instead_of_waiting_forever() -> None:
    # The inbound runners' outcomes wait with ``flush()``: unbounded, it used to outlive a stuck producer.
    client = _client()
    producer = kafka.Producer({"bootstrap.servers": "127.0.0.1:9", "enable.idempotence": True}, client)
    try:
        producer.send("stuck-test", value=b"x")
        client.stats(_stats(ONLY_LOGICAL))
        _long_ago(client)
        started = time.monotonic()
        with pytest.raises(ClientStuck):
            producer.flush()
        assert time.monotonic() - started < 5
    finally:
        producer.close(0)
