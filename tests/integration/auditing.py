"""Helpers of the audit tests: a small history, sealing it, tampering with it by SQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from infra.audit.sealer import Sealer, log_name, sealer_for
from infra.audit.verify import Report, read_checkpoints, verify
from infra.container import Container
from producers.audit import AUDIT_CHECKPOINTS
from producers.topics import physical

START = datetime(2031, 3, 3, 9, tzinfo=timezone.utc)


@pytest.fixture
def fresh_container(container_factory: Callable[[], Container]) -> Iterator[Container]:
    """A prepared container with its own database and topics, closed after the test (tampering with a
    store must not leak into others; closing frees its connections at once)."""
    container = container_factory()
    container.prepare()
    yield container
    container.close()
    container._producer = container._pool = container._apps = None  # the session's close has nothing left


def history(container: Container, registrations: int = 6) -> tuple[UUID, UUID, list[UUID]]:
    """An event with one session and some registrations; returns (event, session, registrations)."""
    app = container.app
    event = app.create_event(name="Audited", use_sessions=True, seats_limited=True, seats_max=50)
    session = app.add_session(event.id, date_begin=START, date_end=START + timedelta(hours=2))
    ids = [
        app.register(event_id=event.id, session_id=session.id, name=f"a{i}", email=f"a{i}@example.org", state="open").id
        for i in range(registrations)
    ]
    return event.id, session.id, ids


def seal_everything(container: Container, sealer: Sealer | None = None) -> Sealer:
    """Seals the whole log and publishes the head on Kafka."""
    sealer = sealer or sealer_for(container)
    try:
        while sealer.seal_once():
            pass
        sealer.publish_head()
    finally:
        sealer.writers.close()
    return sealer


def verified(container: Container, *, with_checkpoints: bool = True) -> Report:
    app = container.event_store
    checkpoints = read_checkpoints(
        container.endpoints.kafka_bootstrap, physical(AUDIT_CHECKPOINTS, container.settings.topic_prefix), log_name(app)
    ) if with_checkpoints else []  # fmt: skip
    return verify(app, checkpoints)


def sql(container: Container, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Runs SQL on the container's database, as someone behind the application's back would."""
    table = container.event_store.recorder.events_table_name
    with container.pool.connection() as conn:
        cur = conn.execute(statement.replace("EVENTS", table), params)
        return cur.fetchall() if cur.description else []


def position_of(container: Container, aggregate_id: UUID, version: int) -> int:
    return int(sql(container, "SELECT notification_id FROM EVENTS WHERE originator_id = %s AND originator_version = %s",
                   aggregate_id, version)[0][0])  # fmt: skip


def run_cli(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    env = container.settings.child_env(DATABASE_URL=container.endpoints.database_url,
                                       KAFKA_BOOTSTRAP_SERVERS=container.endpoints.kafka_bootstrap)  # fmt: skip
    return subprocess.run([sys.executable, "-m", "infra.cli.main", *args], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
