"""A consumer or relay killed with SIGKILL mid-batch and restarted loses nothing and counts nothing twice.

The kill is made to land mid-batch, and the tests check that it did: a ``LockGate`` holds the lock the
worker takes inside each batch (the consumer: its read model's advisory lock, in the transaction that
applies the batch and records its offsets; the relay: the row of its position, which it writes once
the batch's messages are acknowledged), lets three batches through, and the worker is killed while it
waits inside the fourth.
"""

from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone

from infra.rebuild import verify
from producers.catalogue import relay_scopes
from producers.eventsessions import topics
from projections.catalogue import PROJECTIONS
from tests.support.crash import LockGate, kill_group
from tests.support.database import read_row
from tests.support.kafka import all_records
from tests.support.service import spawn_run
from tests.support.waiting import wait_for

START = datetime(2027, 6, 1, 9, tzinfo=timezone.utc)
#: Small batches, so that a fill makes many of them.
SMALL_BATCHES = {"SESSIONSTREAM_CONSUMER_MAX_RECORDS": "50", "SESSIONSTREAM_RELAY_BATCH_SIZE": "50"}
BATCHES_BEFORE_THE_KILL = 3
SEEN = "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s"


def _fill(app, sessions: int = 20, per_session: int = 60) -> list:
    event = app.create_event(name="Crash course", use_sessions=True, seats_limited=True, seats_max=1000)
    made = []
    for s in range(sessions):
        begin = START + timedelta(days=s)
        session = app.add_session(event.id, date_begin=begin, date_end=begin + timedelta(hours=1))
        for i in range(per_session):
            app.register(
                event_id=event.id,
                session_id=session.id,
                name=f"p{i}",
                email=f"p{i}@example.org",
                state="open" if i % 3 else "draft",
            )
        made.append(session.id)
    return made


def _applied(container) -> int:
    row = read_row(
        container, "SELECT count(*) FROM readmodels.projection_versions WHERE projection = 'seat_availability'"
    )
    return int(row[0])


def test_a_consumer_killed_mid_batch_and_restarted_equals_a_rebuild(container_factory):
    container = container_factory()
    container.prepare()
    relay = container.relay()
    app = container.app
    session_ids = _fill(app)
    while relay.relay_once():
        pass
    gate = LockGate(
        container.endpoints.database_url, "SELECT pg_advisory_xact_lock(hashtext(%s))", "projection:seat_availability"
    )
    gate.hold()
    consumer = spawn_run(
        container, "--no-api", "--no-inbound", "--no-relay", "--projection", "seat_availability", **SMALL_BATCHES
    )
    try:
        for _ in range(BATCHES_BEFORE_THE_KILL):
            gate.step()
        inside = gate.wait_for_worker()  # the consumer's connection, in the transaction of its next batch
        applied = _applied(container)
        kill_group(consumer)
        gate.release()
        wait_for(lambda: gate.ended(inside))  # that transaction was the killed consumer's: it ends, uncommitted
    finally:
        if consumer.poll() is None:
            kill_group(consumer)
        gate.close()
    assert applied > 0, "no batch was recorded before the kill"
    assert _applied(container) == applied, "the batch the consumer was killed in was recorded"
    stale = [
        s
        for s in session_ids
        if not read_row(
            container,
            "SELECT 1 FROM readmodels.session_seats WHERE id = %s AND version = %s",
            s,
            app.get_session(s).version,
        )
    ]
    assert stale, f"the consumer had applied everything ({applied} aggregates) before it was killed"
    restarted = spawn_run(
        container, "--no-api", "--no-inbound", "--no-relay", "--projection", "seat_availability", **SMALL_BATCHES
    )
    try:
        for session_id in session_ids:
            version = app.get_session(session_id).version
            wait_for(lambda s=session_id, v=version: read_row(container, SEEN, s, v), timeout=60)
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
        rows = dict(
            conn.execute(
                "SELECT name, notification_id FROM public.relay_positions WHERE name = ANY(%s)", (names,)
            ).fetchall()
        )
    return [rows.get(name, 0) for name in names]


def test_a_relay_killed_mid_batch_and_restarted_publishes_every_event(container_factory):
    container = container_factory()
    container.prepare()
    app = container.app
    _fill(app, sessions=10, per_session=100)
    last = app.recorder.max_notification_id()
    sessions_scope = next(s for s in relay_scopes() if s.name == topics.SESSIONS)
    position = container.relay_position_name(sessions_scope)
    with container.pool.connection() as conn:  # a row the gate can lock before the relay's first save
        conn.execute("INSERT INTO public.relay_positions (name, notification_id) VALUES (%s, 0)", (position,))
    gate = LockGate(
        container.endpoints.database_url, "SELECT 1 FROM public.relay_positions WHERE name = %s FOR UPDATE", position
    )
    gate.hold()
    relay = spawn_run(container, "--no-api", "--no-inbound", "--no-projections", **SMALL_BATCHES)
    try:
        for _ in range(BATCHES_BEFORE_THE_KILL):
            gate.step()
        inside = gate.wait_for_worker()  # the sessions relay, recording the position of a published batch
        kill_group(relay)
        gate.release()
        wait_for(lambda: gate.ended(inside))
    finally:
        if relay.poll() is None:
            kill_group(relay)
        gate.close()
    saved = read_row(container, "SELECT notification_id FROM public.relay_positions WHERE name = %s", position)[0]
    sent = [int(dict(r.headers)["notification_id"]) for r in all_records(container, topics.SESSIONS)]
    assert 0 < saved < last, "the relay had recorded nothing, or everything, before it was killed"
    assert max(sent) > saved, "no batch was published beyond the recorded position: the kill was not mid-batch"
    restarted = spawn_run(container, "--no-api", "--no-inbound", "--no-projections", **SMALL_BATCHES)
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
