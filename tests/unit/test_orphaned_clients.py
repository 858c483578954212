"""A Kafka client that knows no broker any more is rebuilt instead of waiting forever.

librdkafka 2.16 can drop the only broker a client knew when a single-node KRaft broker restarts (a
Metadata response answered while the broker is fenced lists no brokers) and then never re-bootstraps:
a consumer stays out of its group, unassigned, for good.  ``ClientLog`` sees it in the statistics,
the consumer runner and the producer's ``flush`` end with ``ClientOrphaned``, and the owners build
new clients (the broker outage fault test is where this was seen)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from consumers.runner import ConsumerRunner
from consumers.supervisor import Condition
from infra import kafka
from producers.relay import ClientOrphaned, FlushTimeout

BOOTSTRAP = {"127.0.0.1:9092/bootstrap": {"nodeid": -1, "state": "INIT", "source": "configured"}}
LEARNED_DOWN = {"127.0.0.1:9092/1": {"nodeid": 1, "state": "DOWN", "source": "learned"}}
ONLY_LOGICAL = {"GroupCoordinator": {"nodeid": -1, "state": "INIT", "source": "logical"}}


def _stats(brokers: dict[str, Any]) -> str:
    return json.dumps({"brokers": brokers})


def _client() -> kafka.ClientLog:
    return kafka.ClientLog("sessionstream-test", Condition("kafka", what="dependency"))


def _long_ago(client: kafka.ClientLog) -> None:
    assert client.orphaned_since is not None
    client.orphaned_since = time.monotonic() - kafka.ORPHANED_AFTER_S - 1


def test_a_client_that_knows_only_logical_brokers_is_orphaned_once_it_lasts() -> None:
    client = _client()
    client.stats(_stats(ONLY_LOGICAL))
    assert not client.orphaned  # a moment without brokers is not enough
    _long_ago(client)
    assert client.orphaned


@pytest.mark.parametrize("brokers", [BOOTSTRAP, LEARNED_DOWN], ids=["bootstrap only", "learned broker down"])
def test_an_ordinary_outage_is_not_orphaned_the_client_still_has_a_broker_to_try(brokers: dict[str, Any]) -> None:
    client = _client()
    client.stats(_stats(ONLY_LOGICAL))
    _long_ago(client)
    client.stats(_stats({**brokers, **ONLY_LOGICAL}))
    assert client.orphaned_since is None and not client.orphaned


def test_a_producer_that_knows_no_broker_fails_its_flush_instead_of_timing_out_forever() -> None:
    client = _client()
    # A real librdkafka producer towards a port nobody listens on: nothing is acknowledged.
    producer = kafka.producer("127.0.0.1:9", client_log=client)
    try:
        producer.send("orphaned-test", value=b"x")
        with pytest.raises(FlushTimeout):
            producer.flush(0.05)
        client.stats(_stats(ONLY_LOGICAL))
        _long_ago(client)
        with pytest.raises(ClientOrphaned):
            producer.flush(0.05)
        assert producer.orphaned
    finally:
        producer.close(0)


class OrphanedConsumer:
    """Stands for an ``infra.kafka.Consumer`` whose statistics showed no broker: unassigned, idle."""

    orphaned = True

    def __init__(self) -> None:
        self.closed = False
        self.polls = 0

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        pass

    def poll(self, timeout: float) -> None:
        self.polls += 1
        if self.polls > 100:  # without the check the runner would poll, unassigned, forever
            raise AssertionError("the runner did not notice its client knows no broker")
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


def test_a_consumer_runner_whose_client_is_orphaned_ends_so_that_its_supervisor_builds_another() -> None:
    consumer = OrphanedConsumer()
    runner = ConsumerRunner(Handler(), lambda group: consumer, pool=None, dlt_producer=None, schema="live")  # type: ignore[arg-type]
    with pytest.raises(ClientOrphaned, match=r"projection\.test"):
        runner.run()
    assert consumer.closed
    assert isinstance(runner.failed, ClientOrphaned)
