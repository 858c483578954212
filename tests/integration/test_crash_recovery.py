"""A consumer or relay killed with SIGKILL mid-batch and restarted loses nothing and counts nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone


from infra.rebuild import verify
from producers.eventsessions import topics
from producers.catalogue import relay_scopes
from projections.catalogue import PROJECTIONS
from tests.conftest import all_records, read_row, wait_for

START = datetime(2027, 6, 1, 9, tzinfo=timezone.utc)


def _spawn(container, *args: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=container.endpoints.database_url,
        KAFKA_BOOTSTRAP_SERVERS=container.endpoints.kafka_bootstrap,
        SESSIONSTREAM_TOPIC_PREFIX=container.settings.topic_prefix,
        SESSIONSTREAM_LOG_LEVEL="WARNING",
        # Small batches, so that a kill lands between batches that are recorded and ones that are not.
        SESSIONSTREAM_CONSUMER_MAX_RECORDS="50",
        SESSIONSTREAM_RELAY_BATCH_SIZE="50",
    )
    return subprocess.Popen([sys.executable, "-m", "infra.cli.main", "run", "--no-api", "--no-inbound", *args], env=env)


def _fill(app, sessions: int = 20, per_session: int = 60) -> list:
    event = app.create_event(name="Crash course", use_sessions=True, seats_limited=True, seats_max=1000)
    made = []
    for s in range(sessions):
        begin = START + timedelta(days=s)
        session = app.add_session(event.id, date_begin=begin, date_end=begin + timedelta(hours=1))
        for i in range(per_session):
            app.register(event_id=event.id, session_id=session.id, name=f"p{i}", email=f"p{i}@example.org",
                         state="open" if i % 3 else "draft")  # fmt: skip
        made.append(session.id)
    return made


def _kill_when(process: subprocess.Popen[bytes], started: Callable[[], bool], timeout: float = 60) -> None:
    wait_for(lambda: started() or process.poll() is not None, timeout=timeout, interval=0.005)
    assert process.poll() is None, "the process ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_a_consumer_killed_mid_batch_and_restarted_equals_a_rebuild(container_factory):
    container = container_factory()
    container.prepare()
    relay = container.relay()
    app = container.app
    session_ids = _fill(app)
    while relay.relay_once():
        pass
    consumer = _spawn(container, "--no-relay", "--projection", "seat_availability")

    def some_applied() -> bool:
        row = read_row(container, "SELECT count(*) FROM readmodels.projection_versions WHERE projection = 'seat_availability'")
        return row is not None and row[0] > 0

    try:
        _kill_when(consumer, some_applied)
    finally:
        consumer.kill()
    applied = read_row(container, "SELECT count(*) FROM readmodels.projection_versions WHERE projection = 'seat_availability'")
    stale = [s for s in session_ids if not read_row(
        container, "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s", s, app.get_session(s).version)]
    assert stale, f"the consumer had applied everything ({applied[0]} aggregates) before it was killed"
    restarted = _spawn(container, "--no-relay", "--projection", "seat_availability")
    try:
        for session_id in session_ids:
            version = app.get_session(session_id).version
            wait_for(lambda: read_row(container, "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s",
                                      session_id, version), timeout=60)  # fmt: skip
        assert verify(app, container.pool, PROJECTIONS["seat_availability"], settle_seconds=5) == []
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0


def _published(container) -> set[tuple[bytes, bytes]]:
    seen: set[tuple[bytes, bytes]] = set()
    for topic in topics.DOMAIN_TOPICS:
        for record in all_records(container, topic):
            headers = dict(record.headers)
            seen.add((headers["aggregate_id"], headers["aggregate_version"]))
    return seen


def _positions(container) -> list[int]:
    """Each relay scope's recorded position (0 when it has recorded none yet)."""
    names = [container.relay_position_name(scope) for scope in relay_scopes()]
    with container.pool.connection() as conn:
        rows = dict(conn.execute(
            "SELECT name, notification_id FROM public.relay_positions WHERE name = ANY(%s)", (names,)
        ).fetchall())  # fmt: skip
    return [rows.get(name, 0) for name in names]


def test_a_relay_killed_mid_batch_and_restarted_publishes_every_event(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    _fill(app, sessions=10, per_session=100)
    last = app.recorder.max_notification_id()
    relay = _spawn(container, "--no-projections")

    try:
        _kill_when(relay, lambda: max(_positions(container)) > 0)
    finally:
        relay.kill()
    assert min(_positions(container)) < last, "the relay finished before it was killed; the test proved nothing"
    restarted = _spawn(container, "--no-projections")
    try:
        wait_for(lambda: _positions(container) == [last] * len(relay_scopes()), timeout=60)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    expected = {
        (str(n.originator_id).encode(), str(n.originator_version).encode())
        for n in app.recorder.select_notifications(start=None, limit=1_000_000)
    }
    missing = expected - _published(container)
    assert not missing, f"{len(missing)} events never reached Kafka"
