"""3. Projection catch-up: the ``seat_availability`` consumer runner from offset 0, and eventsourcing's
stock ``ProjectionRunner`` on the same session events for comparison."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection as StockProjection
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import get_topic
from psycopg import sql

from domain.eventsessions.application import EventSessions
from domain.eventsessions.session import Session
from infra.bench.support import start_thread, wait_until
from infra.container import Container
from infra.postgres import eventstore_env


@dataclass
class BatchLog:
    """RunnerMetrics: when each batch was applied and how long its transaction took."""

    batches: list[tuple[float, int, float]] = field(default_factory=list)  # (perf_counter, records, seconds)

    def on_batch(self, group: str, records: int, seconds: float, lag: int) -> None:
        self.batches.append((time.perf_counter(), records, seconds))


def catch_up(container: Container, expected: int, timeout: float) -> dict[str, float]:
    metrics = BatchLog()
    runner = container.projection_runner("seat_availability", metrics=metrics)
    started = time.perf_counter()
    thread = start_thread(runner.run, "bench-catch-up")
    try:
        wait_until(
            lambda: runner.applied >= expected or runner.failed is not None or not thread.is_alive(),
            timeout,
            0.001,
            "the projection to catch up",
        )
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
    v
    for v in vars(Session).values()
    if isinstance(v, type)
    and issubclass(v, Aggregate.Event)
    and v.__qualname__.startswith("Session.")
    and v.__name__ != "Snapshot"
]

STOCK_COLUMNS = (
    "id",
    "event_id",
    "version",
    "date_begin",
    "date_end",
    "seats_limited",
    "seats_max",
    "seats_unconfirmed",
    "seats_reserved",
    "seats_used",
)


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

    @process_event.register(Session.Scheduled)  # type: ignore[attr-defined]  # made by @event
    def _scheduled(self, e: Any, tracking: Tracking) -> None:
        self.view.write(
            self.view.upsert_scheduled,
            (
                e.originator_id,
                e.event_id,
                e.originator_version,
                e.date_begin,
                e.date_end,
                e.seats_limited,
                e.seats_max,
                0,
                0,
                0,
            ),
            tracking,
        )

    @process_event.register(Session.SeatsChanged)  # type: ignore[attr-defined]  # made by @event
    def _seats(self, e: Any, tracking: Tracking) -> None:
        self.view.write(
            self.view.upsert_seats,
            (
                e.originator_id,
                e.originator_version,
                e.seats_unconfirmed,
                e.seats_reserved,
                e.seats_used,
            ),
            tracking,
        )


def stock_runner_rate(app: EventSessions, database_url: str, events: int, timeout: float) -> dict[str, float]:
    """The stock ProjectionRunner over the first ``events`` session events of the store."""
    recorder: Any = app.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT notification_id FROM {} WHERE topic = ANY(%s) ORDER BY notification_id OFFSET %s LIMIT 1"
            ).format(table),
            (list(StockSeatProjection.topics), events - 1),
        )
        row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"the store holds fewer than {events} session events")
    last = row["notification_id"] if isinstance(row, dict) else row[0]
    env = eventstore_env(database_url)
    started = time.perf_counter()
    runner = ProjectionRunner(
        application_class=EventSessions,
        projection_class=StockSeatProjection,
        view_class=StockSeatsView,
        env=env,
    )
    with runner:
        view = runner.view
        wait_until(
            lambda: (view.max_tracking_id(runner.app_name) or 0) >= last or runner.is_interrupted.is_set(),
            timeout,
            0.005,
            "the stock runner",
        )
        elapsed = time.perf_counter() - started
        if (view.max_tracking_id(runner.app_name) or 0) < last:
            raise RuntimeError("the stock runner stopped before reaching the events timed")
        runner.stop()
    return {"rate": events / elapsed, "seconds": elapsed, "events": events}
