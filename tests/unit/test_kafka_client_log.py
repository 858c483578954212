"""librdkafka's log flood during a broker outage becomes one line when the broker goes, one when it is back."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaError
from structlog.testing import capture_logs

from consumers.supervisor import Condition
from infra import kafka


@pytest.fixture
def broker() -> Iterator[Condition]:
    # The client's own condition, not the process's BROKER: the session's service, running in this
    # process, has clients whose statistics (broker UP) would end the outage under the test.
    yield Condition("kafka", what="dependency")


def _stats(state: str) -> str:
    return json.dumps({"brokers": {"127.0.0.1:9092/1": {"nodeid": 1, "state": state, "source": "learned"}}})


def test_a_broker_outage_is_logged_once_down_and_once_up_whatever_librdkafka_says(broker: Condition) -> None:
    client = kafka.ClientLog("sessionstream-test", broker)
    with capture_logs() as logs:
        for _ in range(3000):  # what a 24 s outage used to print
            client.log(3, "%s [%s] %s", "FAIL", "rdkafka#producer-1", "Connect to ipv4#127.0.0.1:9092 failed")
            client.error(KafkaError(KafkaError._TRANSPORT))
            client.error(KafkaError(KafkaError._ALL_BROKERS_DOWN))
        client.stats(_stats("DOWN"))
        client.stats(_stats("UP"))
        client.stats(_stats("UP"))
    assert [entry["event"] for entry in logs] == ["dependency failing", "dependency recovered"]
    assert not broker.failing


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_other_client_warnings_are_said_at_most_once_a_minute(broker: Condition) -> None:
    client = kafka.ClientLog("sessionstream-test", broker)
    collect = Collect()
    logger = logging.getLogger("confluent_kafka")
    logger.addHandler(collect)
    try:
        for _ in range(100):
            client.log(4, "%s [%s] %s", "METADATAUPDATE", "rdkafka#consumer-2", "Partition leader changed")
    finally:
        logger.removeHandler(collect)
    said = collect.records
    assert len(said) == 1
    assert said[0].__dict__["facility"] == "METADATAUPDATE"
