"""Helpers of the upcasting tests: a stored event rewritten to the JSON an older class wrote, the log
replayed onto a topic of the test's own, a read model rebuilt into a schema of the test's own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from infra.audit.history import History
from infra.audit.rebuild import rebuild_as_of
from infra.audit.replay import ensure_topic, replay
from infra.container import Container
from infra.kafka import read_topic
from producers.relay import EventDecoder, Row
from projections.catalogue import PROJECTIONS
from tests.integration.auditing import sql

Downgrade = Callable[[dict[str, Any]], dict[str, Any]]


def store_as_older(container: Container, aggregate_id: UUID, version: int, downgrade: Downgrade) -> dict[str, Any]:
    """Rewrites one stored event as the previous class version wrote it (``downgrade`` gets the stored JSON
    without ``class_version``, which version 1 never wrote); returns the old JSON."""
    (state,) = sql(container, "SELECT state FROM EVENTS WHERE originator_id = %s AND originator_version = %s",
                   aggregate_id, version)[0]  # fmt: skip
    new = json.loads(bytes(state))
    assert new.pop("class_version") == 2, "the current class writes version 2"
    old = downgrade(new)
    sql(container, "UPDATE EVENTS SET state = %s WHERE originator_id = %s AND originator_version = %s",
        json.dumps(old, separators=(",", ":")).encode(), aggregate_id, version)  # fmt: skip
    return old


def version_of(container: Container, aggregate_id: UUID, event_class: type) -> int:
    """The version of the aggregate's (only) stored event of ``event_class``."""
    ((version,),) = sql(container, "SELECT originator_version FROM EVENTS WHERE originator_id = %s AND topic = %s",
                        aggregate_id, get_topic(event_class))  # fmt: skip
    return int(version)


def decoded(container: Container, aggregate_id: UUID, version: int) -> Any:
    """The stored event as the relay decodes it (its own fast path, upcasters included)."""
    row = sql(container, "SELECT notification_id, originator_id, originator_version, topic, state FROM EVENTS"
                         " WHERE originator_id = %s AND originator_version = %s", aggregate_id, version)[0]  # fmt: skip
    return EventDecoder(container.event_store.mapper)(Row(*row[:4], bytes(row[4])))


def event_data(container: Container, aggregate_id: UUID, version: int) -> dict[str, Any]:
    """The event's ``data`` as the audit history shows it."""
    events = History(container.event_store).events(aggregate_id).events
    return next(e["data"] for e in events if e["version"] == version)


def replayed(container: Container, context: str) -> list[dict[str, Any]]:
    """The context's history replayed (``audit replay``) onto a fresh topic, as published JSON."""
    topic = f"upcast-{uuid.uuid4().hex[:8]}"
    ensure_topic(container.endpoints.kafka_bootstrap, topic)
    replay(container.event_store, container.producer, topic, context=context)
    return [json.loads(r.value) for r in read_topic(container.endpoints.kafka_bootstrap, topic)]


def rebuilt(container: Container, read_model: str, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """The read model rebuilt from the whole log into ``schema``: every table's rows, in a stable order."""
    projection = PROJECTIONS[read_model]
    rebuild_as_of(container.event_store, container.pool, projection, None, schema)
    return {
        table: sorted(sql(container, f"SELECT * FROM {schema}.{table}"), key=repr)  # the catalogue's own names
        for table in projection.tables
    }
