"""A record a read model cannot apply is permanent for that record only: dead-lettered with its
headers, a ``projection_errors`` row that ``verify`` reports by aggregate, and the next record applied."""

from __future__ import annotations

import json
import threading
import uuid

from tenacity import wait_fixed

from consumers.supervisor import Supervised
from infra import kafka
from infra.rebuild import verify
from producers import topics
from producers.eventsessions import topics as es_topics
from projections.catalogue import PROJECTIONS
from tests.integration.test_inbound_registrations import TopicReader
from tests.support.database import read_row
from tests.support.kafka import all_records
from tests.support.waiting import wait_for


def _created(container, event_id: uuid.UUID):
    """The first record of an event on the events topic (its creation)."""
    return next(r for r in all_records(container, es_topics.EVENTS)
                if r.key == str(event_id).encode() and dict(r.headers)["aggregate_version"] == b"1")  # fmt: skip


def _poisoned(record, aggregate_id: uuid.UUID) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The record of an event created through the application, made into another aggregate's with a
    seats_max PostgreSQL's integer cannot hold (as the API accepted before the door checked it)."""
    value = json.loads(record.value)
    value.update(aggregate_id=str(aggregate_id), version=1, seats_max=3_000_000_000)
    headers = [(k, str(aggregate_id).encode() if k in ("aggregate_id", "ce_subject") else v) for k, v in record.headers]
    return json.dumps(value).encode(), headers


def test_a_value_the_read_model_cannot_store_is_dead_lettered_reported_and_skipped(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    relay = container.relay()
    first = app.create_event(name="Before the poison", use_sessions=True, seats_limited=True, seats_max=5)
    relay.relay_once()
    template = _created(container, first.id)
    poison_id = uuid.uuid4()
    value, headers = _poisoned(template, poison_id)
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    producer.send(topics.physical(es_topics.EVENTS, container.settings.topic_prefix), key=str(poison_id).encode(),
                  value=value, headers=headers)  # fmt: skip
    producer.flush()
    producer.close()
    after = app.create_event(name="After the poison", use_sessions=True, seats_limited=True, seats_max=7)
    relay.relay_once()
    dlt = TopicReader(container, topics.dead_letter_topic(es_topics.EVENTS))

    worker = Supervised("projection:events", lambda: container.projection_runner("events"), wait=wait_fixed(0.1))
    worker.start()
    try:
        wait_for(lambda: read_row(container, "SELECT 1 FROM readmodels.events WHERE id = %s", after.id), timeout=30)
        assert read_row(container, "SELECT 1 FROM readmodels.events WHERE id = %s", poison_id) is None
        letter = wait_for(lambda: [r for r in dlt.read() if r.key == str(poison_id).encode()])[0]
        dlt_headers = dict(letter.headers)
        assert dlt_headers["ce_type"] == dict(template.headers)["ce_type"]  # the original headers travel along
        assert dlt_headers["dlt.exception.class"] == b"NumericValueOutOfRange"
        assert dlt_headers["dlt.consumer.group"].endswith(b"sessionstream.projection.events")
        row = read_row(container, "SELECT aggregate_id, version, error_class FROM readmodels.projection_errors"
                                  " WHERE projection = 'events'")  # fmt: skip
        assert row == (poison_id, 1, "NumericValueOutOfRange")
        assert worker.restarts == 0, worker.status().last_error
        found = verify(app, container.pool, PROJECTIONS["events"], settle_seconds=2)
        assert [(d.table, d.side, d.row[0]) for d in found] == [("projection_errors", "not applied", poison_id)]
    finally:
        worker.stop()
        worker.join(10)


def test_a_batch_with_one_bad_record_applies_every_other_record_of_the_batch(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    relay = container.relay()
    template_event = app.create_event(name="Template", use_sessions=True, seats_limited=True, seats_max=5)
    relay.relay_once()
    template = _created(container, template_event.id)
    # One batch: good, bad, good - all on the topic before the consumer starts.
    before = app.create_event(name="Good 1", use_sessions=True, seats_limited=True, seats_max=5)
    relay.relay_once()
    poison_id = uuid.uuid4()
    value, headers = _poisoned(template, poison_id)
    producer = kafka.producer(container.endpoints.kafka_bootstrap)
    producer.send(topics.physical(es_topics.EVENTS, container.settings.topic_prefix), key=str(poison_id).encode(),
                  value=value, headers=headers)  # fmt: skip
    producer.flush()
    producer.close()
    after = app.create_event(name="Good 2", use_sessions=True, seats_limited=True, seats_max=5)
    relay.relay_once()
    runner = container.projection_runner("events")
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        for event in (template_event, before, after):
            wait_for(lambda event=event: read_row(container, "SELECT 1 FROM readmodels.events WHERE id = %s", event.id),
                     timeout=30)  # fmt: skip
        assert runner.failed is None and thread.is_alive()
        count = read_row(
            container, "SELECT count(*) FROM readmodels.projection_errors WHERE aggregate_id = %s", poison_id
        )
        assert count == (1,)
    finally:
        runner.stop()
        thread.join(10)
