"""The benchmark: write side, relay, projection catch-up and end-to-end lag, on the local services.

Run it with ``python -m infra.bench [--json PATH] [--quick]`` or ``sessionstream bench``.

Every run works in a fresh database (``bench_<hex>``, created on the configured or local PostgreSQL
server and dropped at the end) and under a fresh topic prefix (``bench_<hex>.``, whose topics are
deleted at the end), so runs disturb neither each other nor the tests nor a running service.

What it measures, in this order (each step's events stay in the store for the next ones):

1. ``commands_per_s_1t`` / ``_4t``: ``EventSessions.register`` (state ``open``) on a session of an
   event with unlimited seats; 4 threads each register on their own session of the same event (no
   version conflicts between them; ``commands_per_s_4t_same_session`` is the contended variant).
   ``raw_save_per_s``: ``app.save()`` of a trivial aggregate (one event per save), same database.
2. ``relay_events_per_s``: the store is filled to N events (registrations built by the domain model,
   saved 100 at a time), then the relay runs as ``sessionstream run`` runs it (one process per
   scope, ``infra.relays``) from position 0 until every scope's position reached the last
   notification; timed from the moment every process is ready (``relay_startup_seconds`` apart).
   ``raw_producer_per_s``: the project's producer config sending N messages of the relay's sizes
   (sample values, keys and headers built in advance) to a fresh topic, then ``flush()``.
3. ``projection_events_per_s``: the ``seat_availability`` consumer runner from offset 0 until it has
   applied every message of the sessions topic (consumer start-up and group join included).
   ``stock_runner_events_per_s``: eventsourcing's ``ProjectionRunner`` projecting the same session
   events from the event store into a similar table (one upsert and one tracking row per event, one
   transaction per event, as that runner works), timed over the first ``stock_events`` of them.
4. ``lag_p50_ms`` / ``lag_p99_ms``: the relay processes (woken by ``NotifyWaiter``) and the
   ``seat_availability`` runner in a thread; registrations at a steady rate over 50 sessions; a
   poller reads the sessions' read-model versions every few ms and notes when each command became
   visible.  The lag of a
   command is (first poll that shows it) - (``register`` returned).  The sessions scope's reports
   split it into commit -> published (acked and position saved) and published -> visible.
"""

from __future__ import annotations

import argparse
import bisect
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection as StockProjection
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import get_topic
from psycopg import sql
from rich.console import Console
from rich.table import Table

from domain.eventsessions.application import EventSessions
from domain.shared.application import fingerprint
from domain.eventsessions.registration import Registration
from domain.eventsessions.seats import RegistrationState
from domain.eventsessions.session import Session
from infra import kafka as kafka_wiring
from infra.container import Container, Endpoints, resolve_endpoints
from infra.postgres import eventstore_env
from infra.relays import RelayProcess, relay_processes
from infra.settings import get_settings
from producers import topics
from producers.eventsessions import topics as es_topics
from producers.catalogue import REGISTRY, relay_scopes
from producers.relay import Relay

log = logging.getLogger(__name__)
console = Console()

TARGETS = {
    "relay_events_per_s": (">=", 20_000.0),
    "projection_events_per_s": (">=", 20_000.0),
    "lag_p99_ms": ("<", 100.0),
}
SPEEDUP_TARGET = 10.0  # projection catch-up vs the stock runner


@dataclass(frozen=True)
class Sizes:
    command_seconds: float
    same_session_seconds: float
    raw_save_seconds: float
    store_events: int  # the event store is filled up to this many events before the relay runs
    stock_events: int  # session events the stock runner is timed on
    lag_seconds: float
    lag_rate: float  # registrations per second
    lag_sessions: int = 50
    lag_issuers: int = 4  # each issues one command at a time: more of them keep the rate when commands slow

    @classmethod
    def full(cls) -> Sizes:
        return cls(5.0, 3.0, 3.0, 50_000, 10_000, 15.0, 200.0)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(2.0, 1.0, 1.5, 10_000, 2_000, 5.0, 200.0)


# -- a fresh database and topic prefix ---------------------------------------------------------------


def _with_dbname(url: str, dbname: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + dbname))


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_dbname(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def delete_topics(bootstrap: str, prefix: str) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sessionstream-bench-admin")
    try:
        mine = [t for t in admin.list_topics() if t.startswith(prefix)]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


# -- small helpers -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.002, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def start_thread(target: Callable[[], Any], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def new_session_event(app: EventSessions, sessions: int, name: str) -> tuple[UUID, list[UUID]]:
    """A parent event with sessions and unlimited seats; returns its id and its sessions' ids."""
    event_id = app.create_event(name=name, use_sessions=True, seats_limited=False).id
    begin = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    session_ids = [
        app.add_session(
            event_id, date_begin=begin + timedelta(hours=i), date_end=begin + timedelta(hours=i, minutes=45)
        ).id
        for i in range(sessions)
    ]
    return event_id, session_ids


def register(app: EventSessions, event_id: UUID, session_id: UUID, i: int) -> None:
    app.register(event_id=event_id, session_id=session_id, name=f"Bench {i}", email=f"b{i}@example.org", state="open")


# -- 1. commands ---------------------------------------------------------------------------------------


class BenchRaw(Application):
    """A separate application (its own events table, ``benchraw_events``) in the same database."""

    name = "BenchRaw"


class Tick(Aggregate):
    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n


def commands_rate(app: EventSessions, threads: int, seconds: float, *, same_session: bool) -> tuple[float, int]:
    """Registrations per second with ``threads`` threads; returns (rate, commands)."""
    event_id, session_ids = new_session_event(app, 1 if same_session else threads, f"bench {threads}t")
    for i in range(20):  # warm-up: imports, prepared statements, the aggregate cache
        register(app, event_id, session_ids[0], -i)
    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)
    stop_at: list[float] = []

    def work(t: int) -> None:
        session_id = session_ids[0 if same_session else t]
        barrier.wait()
        n = 0
        while time.perf_counter() < stop_at[0]:
            register(app, event_id, session_id, t * 1_000_000 + n)
            n += 1
        counts[t] = n

    workers = [start_thread(lambda t=t: work(t), f"bench-cmd-{t}") for t in range(threads)]
    started = time.perf_counter()
    stop_at.append(started + seconds)
    barrier.wait()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, sum(counts)


def raw_save_rate(database_url: str, seconds: float) -> tuple[float, int]:
    app = BenchRaw(env=eventstore_env(database_url))
    try:
        for i in range(20):
            app.save(Tick(n=-i))
        n = 0
        started = time.perf_counter()
        stop_at = started + seconds
        while time.perf_counter() < stop_at:
            app.save(Tick(n=n))
            n += 1
        return n / (time.perf_counter() - started), n
    finally:
        app.close()


# -- 2. relay and raw producer ------------------------------------------------------------------------


def fill_store(app: EventSessions, target_events: int, *, events: int = 20, sessions_per_event: int = 5) -> int:
    """Adds registrations (each: Registered + the session's SeatsChanged) until the store holds
    ``target_events`` events.  The aggregates are the domain's own, changed by the same methods
    ``register`` uses, but 100 registrations are saved per ``save()`` to make filling fast."""
    sessions: list[tuple[Any, Any]] = []
    for e in range(events):
        event_id, session_ids = new_session_event(app, sessions_per_event, f"bench fill {e}")
        parent = app.get_event(event_id)
        sessions += [(parent, app.get_session(s)) for s in session_ids]
    have = app.recorder.max_notification_id() or 0
    now = app.clock.now()
    per_save = 100
    i = 0
    while have < target_events:
        parent, session = sessions[i % len(sessions)]
        n = min(per_save, max(1, (target_events - have) // 2))
        touched: list[Any] = [session]
        for k in range(n):
            rid = uuid4()
            name, email = f"Fill {i}.{k}", f"f{i}.{k}@example.org"
            registration = Registration(
                id=rid, event_id=parent.id, session_id=session.id, name=name, email=email, phone=None,
                state="open", created_at=now,
                fingerprint=fingerprint({"event_id": parent.id, "session_id": session.id, "name": name,
                                         "email": email, "phone": None, "state": "open"}),
            )  # fmt: skip
            session.count_registration(rid, None, RegistrationState.OPEN, event_name=parent.name, arriving=True)
            touched.append(registration)
        if not parent.has_registrations:
            parent.note_registration()
            touched.append(parent)
        app.save(*touched)
        have = app.recorder.max_notification_id() or 0
        i += 1
    return have


@dataclass
class Sample:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class CapturingSender:
    """A Sender and Position for a Relay that only records what it would publish."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def send(self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> CapturingSender:
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
    capture = CapturingSender()
    Relay(app, capture, capture, REGISTRY, batch_size=count).relay_once()
    return capture.samples


def raw_producer_rate(bootstrap: str, prefix: str, partitions: int, samples: list[Sample], count: int) -> float:
    name = "bench.raw-producer"
    kafka_wiring.ensure_topics(bootstrap, prefix, partitions, names=[name])
    topic = topics.physical(name, prefix)
    producer = kafka_wiring.producer(bootstrap, **{"client.id": "sessionstream-bench"})
    try:
        producer.send(topic, key=samples[0].key, value=samples[0].value, headers=samples[0].headers)
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
        wait_until(lambda: all(w.ready.is_set() or w.error for w in workers), 120, 0.005, "the relay processes")
        ready = time.perf_counter()
        assert all(w.position == 0 for w in workers), "the relay scopes did not start at position 0"
        for w in workers:
            w.release()
        wait_until(lambda: all(w.position >= events or w.error for w in workers), timeout, 0.002, "the relay")
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


# -- 3. projection catch-up, and the stock runner --------------------------------------------------


@dataclass
class BatchLog:
    """RunnerMetrics: when each batch was applied and how long its transaction took."""

    batches: list[tuple[float, int, float]] = field(default_factory=list)  # (perf_counter, records, seconds)

    def on_batch(self, group: str, records: int, seconds: float, lag: int) -> None:
        self.batches.append((time.perf_counter(), records, seconds))


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


def catch_up(container: Container, expected: int, timeout: float) -> dict[str, float]:
    metrics = BatchLog()
    runner = container.projection_runner("seat_availability", metrics=metrics)
    started = time.perf_counter()
    thread = start_thread(runner.run, "bench-catch-up")
    try:
        wait_until(lambda: runner.applied >= expected or runner.failed is not None or not thread.is_alive(),
                   timeout, 0.001, "the projection to catch up")  # fmt: skip
        if runner.failed is not None:
            raise RuntimeError("the projection runner failed") from runner.failed
        if runner.applied < expected:
            raise RuntimeError(f"the projection runner stopped after {runner.applied} of {expected} records")
        done = metrics.batches[-1][0]
    finally:
        runner.stop()
        thread.join(timeout=30)
    elapsed = done - started
    first_batch_at = metrics.batches[0][0] - metrics.batches[0][2] if metrics.batches else done
    apply_seconds = sum(b[2] for b in metrics.batches)
    # After the first batch: no consumer start, group join or first fetch (for comparison only).
    first_end, first_records = (metrics.batches[0][0], metrics.batches[0][1]) if metrics.batches else (done, 0)
    steady = (runner.applied - first_records) / (done - first_end) if done > first_end else runner.applied / elapsed
    return {
        "steady_rate": steady,
        "rate": runner.applied / elapsed,
        "seconds": elapsed,
        "applied": runner.applied,
        "startup_seconds": first_batch_at - started,  # consumer start, group join, first fetch
        "apply_seconds": apply_seconds,  # inside the runner's transactions (decode, track versions, apply, offsets)
        "batches": len(metrics.batches),
    }


SESSION_EVENT_CLASSES = [
    v for v in vars(Session).values()
    if isinstance(v, type) and issubclass(v, Aggregate.Event) and v.__qualname__.startswith("Session.")
    and v.__name__ != "Snapshot"
]  # fmt: skip

STOCK_COLUMNS = (
    "id", "event_id", "version", "date_begin", "date_end", "seats_limited", "seats_max",
    "seats_unconfirmed", "seats_reserved", "seats_used",
)  # fmt: skip


class StockSeatsView(PostgresTrackingRecorder):
    """The stock runner's materialised view: a seat table like ``session_seats`` plus the tracking row,
    written in one transaction per event (as eventsourcing's projection examples do)."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table = sql.Identifier(self.datastore.schema, "stock_session_seats")
        self.sql_create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, event_id uuid, version integer NOT NULL,"
                " date_begin timestamptz, date_end timestamptz, seats_limited boolean, seats_max integer,"
                " seats_unconfirmed integer NOT NULL DEFAULT 0, seats_reserved integer NOT NULL DEFAULT 0,"
                " seats_used integer NOT NULL DEFAULT 0)"
            ).format(self.table)
        )
        cols = sql.SQL(", ").join(map(sql.Identifier, STOCK_COLUMNS))
        self.upsert_scheduled = sql.SQL(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version"
        ).format(self.table, cols, sql.SQL(", ").join(sql.Placeholder() * len(STOCK_COLUMNS)))
        self.upsert_seats = sql.SQL(
            "INSERT INTO {} (id, version, seats_unconfirmed, seats_reserved, seats_used) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, seats_unconfirmed ="
            " EXCLUDED.seats_unconfirmed, seats_reserved = EXCLUDED.seats_reserved, seats_used = EXCLUDED.seats_used"
        ).format(self.table)
        self.upsert_version = sql.SQL(
            "INSERT INTO {} (id, version) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version"
        ).format(self.table)

    def write(self, statement: sql.Composed, params: tuple[Any, ...], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(statement, params, prepare=True)
            self._insert_tracking(curs, tracking)


class StockSeatProjection(StockProjection[StockSeatsView]):
    name = "benchstockseats"
    topics = tuple(get_topic(cls) for cls in SESSION_EVENT_CLASSES)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        key = (domain_event.originator_id, domain_event.originator_version)
        self.view.write(self.view.upsert_version, key, tracking)

    @process_event.register(Session.Scheduled)
    def _scheduled(self, e: Any, tracking: Tracking) -> None:
        self.view.write(self.view.upsert_scheduled, (
            e.originator_id, e.event_id, e.originator_version, e.date_begin, e.date_end, e.seats_limited,
            e.seats_max, 0, 0, 0,
        ), tracking)  # fmt: skip

    @process_event.register(Session.SeatsChanged)
    def _seats(self, e: Any, tracking: Tracking) -> None:
        self.view.write(self.view.upsert_seats, (
            e.originator_id, e.originator_version, e.seats_unconfirmed, e.seats_reserved, e.seats_used,
        ), tracking)  # fmt: skip


def stock_runner_rate(app: EventSessions, database_url: str, events: int, timeout: float) -> dict[str, float]:
    """The stock ProjectionRunner over the first ``events`` session events of the store."""
    recorder: Any = app.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("SELECT notification_id FROM {} WHERE topic = ANY(%s) ORDER BY notification_id OFFSET %s LIMIT 1")
            .format(table),
            (list(StockSeatProjection.topics), events - 1),
        )  # fmt: skip
        row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"the store holds fewer than {events} session events")
    last = row["notification_id"] if isinstance(row, dict) else row[0]
    env = eventstore_env(database_url)
    started = time.perf_counter()
    runner = ProjectionRunner(
        application_class=EventSessions, projection_class=StockSeatProjection, view_class=StockSeatsView, env=env
    )
    with runner:
        view = runner.view
        wait_until(lambda: (view.max_tracking_id(runner.app_name) or 0) >= last or runner.is_interrupted.is_set(),
                   timeout, 0.005, "the stock runner")  # fmt: skip
        elapsed = time.perf_counter() - started
        if (view.max_tracking_id(runner.app_name) or 0) < last:
            raise RuntimeError("the stock runner stopped before reaching the events timed")
        runner.stop()
    return {"rate": events / elapsed, "seconds": elapsed, "events": events}


# -- 4. end-to-end lag ---------------------------------------------------------------------------------
#
# The registrations come from separate processes (``python -m infra.bench --issuer``, ``lag_issuers``
# of them, each at an equal share of the rate), so that issuing them does not compete for this
# process's GIL with the relay and the runner under test.  Times are ``time.monotonic()``
# (CLOCK_MONOTONIC on Linux), comparable across the processes of one machine.  The protocol is one
# JSON line each way: config in, ``ready`` out, start time in, ``done`` (or ``error``) out.


def issuer(stdin: Any, stdout: Any) -> None:
    """The child process: registers ``count`` times round-robin over its sessions at ``rate``/s."""

    def say(kind: str, payload: Any) -> None:
        stdout.write(json.dumps([kind, payload]) + "\n")
        stdout.flush()

    config = json.loads(stdin.readline())
    # The tables exist (the parent made them); two issuers creating them at once can fail.
    app = EventSessions(env=eventstore_env(config["database_url"], create_table=False))
    try:
        parents = {UUID(s): UUID(e) for s, e in config["sessions"]}
        order = list(parents)
        versions = {s: app.get_session(s).version for s in order}
        register(app, parents[order[0]], order[0], -1)  # warm-up, counted in the versions below
        versions[order[0]] += 1
        say("ready", {str(s): v for s, v in versions.items()})
        start_at = float(stdin.readline())
        rate, done = float(config["rate"]), []
        for j in range(int(config["count"])):
            s = order[j % len(order)]
            at = start_at + j / rate
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            register(app, parents[s], s, j)
            versions[s] += 1
            done.append((str(s), versions[s], at, time.monotonic()))  # (session, version, scheduled, committed)
        say("done", done)
    except BaseException as error:  # noqa: BLE001 - handed to the parent
        say("error", repr(error))
    finally:
        app.close()


class IssuerProcess:
    def __init__(self, config: dict[str, Any]) -> None:
        import os
        import queue
        import subprocess
        import sys

        from infra.settings import PROJECT_ROOT

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "infra.bench", "--issuer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env, cwd=PROJECT_ROOT,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        start_thread(self._read, "bench-issuer-reader")
        self.send(json.dumps(config))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, kind: str, timeout: float) -> Any:
        import queue

        try:
            got, payload = json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            raise TimeoutError(f"an issuer process sent no {kind!r} within {timeout}s") from None
        if got != kind:
            raise RuntimeError(f"an issuer process failed: {payload}")
        return payload

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # an issuer still waiting for its start time reads EOF and ends
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


@dataclass
class VersionWatch:
    """Polls the read model's session versions; remembers when each session reached each version."""

    database_url: str
    session_ids: list[UUID]
    interval: float = 0.002
    seen: dict[UUID, list[tuple[int, float]]] = field(default_factory=dict)  # session -> [(version, first seen)]
    polls: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        current: dict[UUID, int] = {s: 0 for s in self.session_ids}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cur = conn.cursor()
            while not self._stop.is_set():
                cur.execute(
                    "SELECT id, version FROM readmodels.session_seats WHERE id = ANY(%s)",
                    (self.session_ids,),
                    prepare=True,
                )
                rows = cur.fetchall()
                now = time.monotonic()
                self.polls += 1
                for s, v in rows:
                    if v != current[s]:
                        current[s] = v
                        self.seen.setdefault(s, []).append((v, now))
                time.sleep(self.interval)

    def version(self, s: UUID) -> int:
        history = self.seen.get(s)
        return history[-1][0] if history else 0

    def visible_at(self, s: UUID, version: int) -> float | None:
        for v, at in self.seen.get(s, ()):
            if v >= version:
                return at
        return None

    def stop(self) -> None:
        self._stop.set()


def lag_run(container: Container, sizes: Sizes) -> dict[str, float]:
    app = container.app
    groups = 5
    parents: dict[UUID, UUID] = {}
    for g in range(groups):
        event_id, session_ids = new_session_event(app, sizes.lag_sessions // groups, f"bench lag {g}")
        parents.update({s: event_id for s in session_ids})
    session_ids = list(parents)

    # The relay as the service runs it; the split below uses the sessions scope's positions.
    logs = {scope.name: PublishLog() for scope in relay_scopes()}
    relays = [RelayProcess(container.settings, container.endpoints, scope, logs[scope.name]) for scope in relay_scopes()]
    published = logs[es_topics.SESSIONS]
    for relay in relays:
        relay.start()
    batches = BatchLog()
    runner = container.projection_runner("seat_availability", metrics=batches)
    watch = VersionWatch(container.endpoints.database_url, session_ids)
    threads = [
        start_thread(runner.run, "bench-projection"),
        start_thread(watch.run, "bench-poller"),
    ]
    children: list[IssuerProcess] = []
    per_issuer = int(sizes.lag_rate * sizes.lag_seconds) // sizes.lag_issuers
    issued: list[tuple[UUID, int, float, float]] = []
    try:
        for t in range(sizes.lag_issuers):
            mine = [(str(s), str(parents[s])) for s in session_ids[t :: sizes.lag_issuers]]
            children.append(IssuerProcess({
                "database_url": container.endpoints.database_url, "sessions": mine,
                "rate": sizes.lag_rate / sizes.lag_issuers, "count": per_issuer,
            }))  # fmt: skip
        expected: dict[UUID, int] = {}
        for child in children:
            expected.update({UUID(s): v for s, v in child.expect("ready", 120).items()})
        # Start from a settled pipeline: every session (and the warm-up registrations) visible.
        wait_until(lambda: all(watch.version(s) >= expected[s] for s in session_ids) or runner.failed is not None,
                   60, 0.01, "the lag sessions in the read model")  # fmt: skip
        start_at = time.monotonic() + 0.1
        # Each issuer starts a fraction of a period after the previous one, so the commands interleave.
        for t, child in enumerate(children):
            child.send(repr(start_at + t / sizes.lag_rate))
        for child in children:
            done = child.expect("done", sizes.lag_seconds * 10 + 60)
            issued += [(UUID(s), v, at, committed) for s, v, at, committed in done]
        issue_seconds = max(i[3] for i in issued) - start_at
        last = {s: max(v for s2, v, _, _ in issued if s2 == s) for s in {i[0] for i in issued}}
        wait_until(lambda: all(watch.version(s) >= v for s, v in last.items()) or runner.failed is not None,
                   60, 0.01, "every command to be visible")  # fmt: skip
        if runner.failed is not None:
            raise RuntimeError("the projection runner failed") from runner.failed
        failed = [r.error for r in relays if r.error]
        if failed:
            raise RuntimeError(f"a relay process failed: {failed[0]}")
    finally:
        watch.stop()
        for relay in relays:
            relay.stop()
        runner.stop()
        for t in threads:
            t.join(timeout=30)
        for relay in relays:
            relay.join(30)
        for child in children:
            child.close()

    lags: list[float] = []
    behind: list[float] = []
    for s, v, at, committed in issued:
        visible = watch.visible_at(s, v)
        assert visible is not None
        lags.append((visible - committed) * 1000)
        behind.append((committed - at) * 1000)  # includes the command's own duration
    # Split each lag at the moment the relay saved a position covering the command's event.
    recorder: Any = app.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with container.pool.connection() as conn:
        rows = conn.execute(
            sql.SQL("SELECT originator_id, originator_version, notification_id FROM {} WHERE originator_id = ANY(%s)")
            .format(table),
            (session_ids,),
        ).fetchall()  # fmt: skip
    nid = {(r[0], r[1]): r[2] for r in rows}
    to_published: list[float] = []
    to_visible: list[float] = []
    for s, v, _, committed in issued:
        at = published.published_at(nid[(s, v)])
        visible = watch.visible_at(s, v)
        if at is not None and visible is not None:
            to_published.append((at - committed) * 1000)
            to_visible.append((visible - at) * 1000)
    batch_sizes = [b[1] for b in batches.batches]
    return {
        "lag_p50_ms": percentile(lags, 50),
        "lag_p90_ms": percentile(lags, 90),
        "lag_p99_ms": percentile(lags, 99),
        "lag_max_ms": max(lags),
        "lag_commands": len(issued),
        "lag_commands_per_s": len(issued) / issue_seconds,
        "lag_commit_to_published_p50_ms": percentile(to_published, 50),
        "lag_commit_to_published_p99_ms": percentile(to_published, 99),
        "lag_published_to_visible_p50_ms": percentile(to_visible, 50),
        "lag_published_to_visible_p99_ms": percentile(to_visible, 99),
        "lag_issue_behind_schedule_p99_ms": percentile(behind, 99),
        "lag_relay_batches": len(published.times),
        "lag_projection_batches": len(batch_sizes),
        "lag_projection_batch_mean": sum(batch_sizes) / max(1, len(batch_sizes)),
        "lag_polls": watch.polls,
    }


# -- the run -------------------------------------------------------------------------------------------


def run(json_path: Path | None = None, quick: bool = False) -> dict[str, float]:
    sizes = Sizes.quick() if quick else Sizes.full()
    run_started = time.perf_counter()
    base = get_settings()
    endpoints = resolve_endpoints(base)
    tag = secrets.token_hex(4)
    dbname = f"bench_{tag}"
    prefix = f"bench_{tag}."
    # The configured settings (batch sizes, partitions, ...) with the run's own topic prefix.
    settings = base.model_copy(update={"topic_prefix": prefix})
    database_url = create_database(endpoints.database_url, dbname)
    container = Container(settings, Endpoints(database_url, endpoints.kafka_bootstrap))
    results: dict[str, float] = {"quick": float(quick)}
    notes: list[str] = [f"database {dbname}, topic prefix {prefix!r} (both removed at the end)"]
    phase = "prepare"
    try:
        with console.status("preparing") as status:
            container.prepare()
            app = container.app

            phase = "commands"
            status.update("1/4 commands: 1 thread")
            rate, count = commands_rate(app, 1, sizes.command_seconds, same_session=False)
            results["commands_per_s_1t"], results["commands_1t"] = rate, count
            status.update("1/4 commands: 4 threads, one session each")
            rate, count = commands_rate(app, 4, sizes.command_seconds, same_session=False)
            results["commands_per_s_4t"], results["commands_4t"] = rate, count
            status.update("1/4 commands: 4 threads, one shared session")
            rate, _ = commands_rate(app, 4, sizes.same_session_seconds, same_session=True)
            results["commands_per_s_4t_same_session"] = rate
            status.update("1/4 raw save")
            results["raw_save_per_s"], _ = raw_save_rate(database_url, sizes.raw_save_seconds)
            notes.append(
                "commands_per_s_4t: 4 threads, each registering on its own session of one event "
                "(commands_per_s_4t_same_session: all 4 on one session, so they conflict and retry)"
            )

            phase = "relay"
            status.update(f"2/4 filling the event store to {sizes.store_events} events")
            t = time.perf_counter()
            results["store_events"] = fill_store(app, sizes.store_events)
            results["fill_seconds"] = time.perf_counter() - t
            status.update("2/4 relay from position 0")
            relayed = relay_rate(container, int(results["store_events"]), timeout=600)
            results["relay_batch_size"] = settings.relay_batch_size
            results["relay_processes"] = relayed["processes"]
            results["relay_startup_seconds"] = relayed["startup_seconds"]
            results["relay_seconds"] = relayed["seconds"]
            results["relay_events_per_s"] = relayed["rate"]
            results["relay_published"] = relayed["published"]
            sessions_topic = topics.physical(es_topics.SESSIONS, prefix)
            results["session_messages"] = session_messages = topic_size(endpoints.kafka_bootstrap, sessions_topic)

            status.update("2/4 raw producer")
            samples = sample_messages(app, 4000)
            results["message_value_bytes_mean"] = sum(len(s.value) for s in samples) / len(samples)
            results["raw_producer_per_s"] = raw_producer_rate(
                endpoints.kafka_bootstrap, prefix, settings.topic_partitions, samples, int(results["relay_published"])
            )

            phase = "projection"
            status.update(f"3/4 seat_availability catch-up over {session_messages} messages")
            caught = catch_up(container, session_messages, timeout=600)
            results["projection_events_per_s"] = caught["rate"]
            results["projection_seconds"] = caught["seconds"]
            results["projection_events_per_s_after_first_batch"] = caught["steady_rate"]
            results["projection_startup_seconds"] = caught["startup_seconds"]
            results["projection_apply_seconds"] = caught["apply_seconds"]
            results["projection_batches"] = caught["batches"]
            with container.pool.connection() as conn:  # every message applied once: versions add up
                row = conn.execute(
                    "SELECT count(*), coalesce(sum(version), 0) FROM readmodels.session_seats"
                ).fetchone()
            assert row is not None
            results["projection_rows"], results["projection_version_sum"] = int(row[0]), int(row[1])
            if row[1] != session_messages:
                notes.append(f"[red]seat_availability versions add up to {row[1]}, not {session_messages}[/red]")
            status.update(f"3/4 stock ProjectionRunner over {sizes.stock_events} session events")
            stock = stock_runner_rate(app, database_url, min(sizes.stock_events, session_messages), timeout=600)
            results["stock_runner_events_per_s"] = stock["rate"]
            results["stock_runner_events"] = stock["events"]
            results["stock_runner_seconds"] = stock["seconds"]
            results["projection_speedup_vs_stock"] = results["projection_events_per_s"] / stock["rate"]
            notes.append(
                f"relay: notifications per second from position 0 ({results['relay_processes']:.0f} processes, "
                f"batch {results['relay_batch_size']:.0f}, process start-up not timed); raw producer: the same "
                "number of messages with the relay's own keys, values and headers, built in advance"
            )
            notes.append(
                "catch-up: from starting the runner (consumer start and group join included) to the batch that "
                "applied the last message; stock: eventsourcing ProjectionRunner, one upsert + tracking row per "
                f"transaction, over the first {stock['events']:.0f} session events, runner start included"
            )

            phase = "lag"
            status.update(f"4/4 lag: {sizes.lag_rate:.0f} registrations/s for {sizes.lag_seconds:.0f} s")
            results.update(lag_run(container, sizes))
            notes.append(
                "lag: the relay runs in its processes (one per scope), the runner and a read-model poller (every "
                "~2 ms) are threads of this process; the "
                f"registrations come from {sizes.lag_issuers} separate processes ({sizes.lag_sessions} sessions "
                "over 5 events); lag = first poll showing the session's version - register() returned"
            )
    except BaseException:
        console.print(f"[red]benchmark failed during {phase}[/red]")
        raise
    finally:
        container.close()
        try:
            drop_database(endpoints.database_url, dbname)
        except Exception:  # noqa: BLE001 - reported, the results still count
            log.exception("could not drop the benchmark database", extra={"database": dbname})
        try:
            delete_topics(endpoints.kafka_bootstrap, prefix)
        except Exception:  # noqa: BLE001
            log.exception("could not delete the benchmark topics", extra={"prefix": prefix})
    results["total_seconds"] = time.perf_counter() - run_started
    print_results(results, notes)
    if json_path is not None:
        finite = {k: (v if math.isfinite(v) else None) for k, v in results.items()}
        json_path.write_text(json.dumps(finite, indent=2, sort_keys=True) + "\n")
        console.print(f"results written to {json_path}")
    return results


ROWS: list[tuple[str, str]] = [  # key, unit
    ("commands_per_s_1t", "/s"),
    ("commands_per_s_4t", "/s"),
    ("commands_per_s_4t_same_session", "/s"),
    ("raw_save_per_s", "/s"),
    ("relay_events_per_s", "/s"),
    ("raw_producer_per_s", "/s"),
    ("projection_events_per_s", "/s"),
    ("projection_events_per_s_after_first_batch", "/s"),
    ("stock_runner_events_per_s", "/s"),
    ("projection_speedup_vs_stock", "x"),
    ("lag_p50_ms", "ms"),
    ("lag_p90_ms", "ms"),
    ("lag_p99_ms", "ms"),
    ("lag_max_ms", "ms"),
    ("lag_commit_to_published_p50_ms", "ms"),
    ("lag_commit_to_published_p99_ms", "ms"),
    ("lag_published_to_visible_p50_ms", "ms"),
    ("lag_published_to_visible_p99_ms", "ms"),
]
DETAILS = (
    "commands_1t", "commands_4t", "store_events", "fill_seconds", "relay_batch_size", "relay_processes",
    "relay_published", "relay_startup_seconds", "relay_seconds", "message_value_bytes_mean", "session_messages",
    "projection_rows", "projection_version_sum",
    "projection_seconds",
    "projection_startup_seconds", "projection_apply_seconds", "projection_batches", "stock_runner_events",
    "stock_runner_seconds", "lag_commands", "lag_commands_per_s", "lag_issue_behind_schedule_p99_ms",
    "lag_relay_batches", "lag_projection_batches", "lag_projection_batch_mean", "lag_polls", "total_seconds",
)  # fmt: skip


def print_results(results: dict[str, float], notes: list[str]) -> None:
    targets = dict(TARGETS, projection_speedup_vs_stock=(">=", SPEEDUP_TARGET))
    table = Table(title="sessionstream benchmark" + (" (quick)" if results.get("quick") else ""))
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="center")
    for key, unit in ROWS:
        if key not in results:
            continue
        value = results[key]
        shown = f"{value:,.1f} {unit}" if unit in ("ms", "x") else f"{value:,.0f} {unit}"
        target, verdict = "", ""
        if key in targets:
            op, limit = targets[key]
            ok = value >= limit if op == ">=" else value < limit
            target = f"{op} {limit:,.0f}"
            verdict = "[green]ok[/green]" if ok else "[red]missed[/red]"
        table.add_row(key, shown, target, verdict)
    console.print(table)
    details = Table(title="sizes and durations", show_header=False)
    for key in DETAILS:
        if key in results:
            v = results[key]
            details.add_row(key, f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.2f}")
    console.print(details)
    for note in notes:
        console.print(f"note: {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", dest="json_path", type=Path, default=None, help="write the results to PATH")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (< 60 s)")
    parser.add_argument("--issuer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.issuer:
        import sys

        issuer(sys.stdin, sys.stdout)
        return
    logging.getLogger("kafka").setLevel(logging.ERROR)
    run(args.json_path, args.quick)


if __name__ == "__main__":
    main()
