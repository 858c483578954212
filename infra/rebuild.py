"""Rebuild and verify read models from the event store.

``replay`` feeds the notification log through the same mapping, the same JSON round trip and the
same ``track_versions`` + ``apply`` as the live consumers, in batches, into any schema.
``rebuild`` empties a live read model and replays it (the live consumer keeps running: both take the
projection's advisory lock per transaction, and per-aggregate versions drop whatever the other applied).
``verify`` replays into a scratch schema and lists every row that differs from the live tables, and
every record the read model could not apply (``projection_errors``, naming the aggregate): a read
model that skipped a record is not a faithful image of the log, even when a rebuild skips it too.
A record that cannot be applied is skipped by the replay exactly as by the live consumer
(``consumers.projector.apply_isolating``), so one bad value never stops a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from consumers.projector import Failure, apply_isolating, record_error
from infra.audit.log import first_rows
from producers.catalogue import REGISTRY, decoder_for
from producers.registry import Bound, ahead_of_events
from projections.base import Projection, create_tables, lock_projection
from projections.catalogue import LIVE_SCHEMA

Progress = Callable[[int, int], None]  # (notifications read, last notification id)


@dataclass
class Replay:
    """A resumable replay of the event store into one projection in one schema."""

    app: Any
    pool: ConnectionPool
    projection: Projection
    schema: str
    batch_size: int = 1000
    position: int = 0
    applied: int = 0
    #: What the read model could not apply (skipped, as the live consumer skips them).
    failures: list[Failure] = field(default_factory=list)
    #: Record each failure in ``projection_errors`` (a rebuild of the live read model does).
    record_failures: bool = False
    messages_of: Bound = field(init=False)

    def __post_init__(self) -> None:
        # A few batches' worth of parents (keys) remembered, the rest read a batch at a time: memory does
        # not grow with the store (``infra.audit.rebuild``).
        to_event = self.app.mapper.to_domain_event
        self.messages_of = REGISTRY.bind(
            self.app.repository, remember=4 * self.batch_size,
            first_events=lambda ids: [to_event(row) for row in first_rows(self.app, ids)],
        )  # fmt: skip

    def run(self, progress: Progress | None = None) -> int:
        """Replays up to the end of the log as it is now; returns the number of messages applied."""
        topics = set(self.projection.topics)
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position, limit=self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                return self.applied
            events = [self.app.mapper.to_domain_event(notification) for notification in notifications]
            # The same JSON round trip as the live consumers: the read model sees what Kafka carries.
            with self.messages_of.batch(ahead_of_events(events)):
                messages = [
                    decoder_for(out.topic)(out.message.__pydantic_serializer__.to_json(out.message))
                    for event in events
                    for out in self.messages_of(event)
                    if out.topic in topics
                ]
            with self.pool.connection() as conn, conn.transaction():
                cur = conn.cursor()
                cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.schema)))
                lock_projection(cur, self.projection.name)
                failed = apply_isolating(cur, self.projection, messages)
                for failure in failed:
                    if self.record_failures:
                        record_error(cur, self.projection.name, failure.error,
                                     aggregate_id=failure.message.aggregate_id,
                                     version=failure.message.version)  # fmt: skip
                self.failures += failed
            self.position = notifications[-1].id
            self.applied += len(messages)
            if progress:
                progress(len(notifications), self.position)


def rebuild(app: Any, pool: ConnectionPool, projection: Projection, progress: Progress | None = None) -> int:
    with pool.connection() as conn, conn.transaction():
        cur = conn.cursor()
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(LIVE_SCHEMA)))
        lock_projection(cur, projection.name)
        for table in projection.tables:
            cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
        cur.execute("DELETE FROM projection_versions WHERE projection = %s", (projection.name,))
        cur.execute("DELETE FROM projection_errors WHERE projection = %s", (projection.name,))
    return Replay(app, pool, projection, LIVE_SCHEMA, record_failures=True).run(progress)


@dataclass
class Difference:
    table: str
    side: str  # "live only", "rebuild only", or "not applied" (a ``projection_errors`` row)
    row: tuple[Any, ...]


def projection_errors(pool: ConnectionPool, projection: Projection, limit: int = 50) -> list[Difference]:
    """The events the live read model could not apply: (aggregate id, version, topic, offset, error),
    oldest first.  Records that did not even decode (no aggregate: not written by our relay) are
    not the event store's, so they are left to the dead-letter topic and ``/readyz``."""
    with pool.connection() as conn:
        rows = conn.execute(
            sql.SQL("SELECT aggregate_id, version, topic, \"offset\", error FROM {} WHERE projection = %s"
                    " AND aggregate_id IS NOT NULL ORDER BY id LIMIT %s").format(
                sql.Identifier(LIVE_SCHEMA, "projection_errors")),
            (projection.name, limit),
        ).fetchall()  # fmt: skip
    return [Difference("projection_errors", "not applied", tuple(r)) for r in rows]


def scratch_schema(projection: Projection) -> str:
    return f"verify_{projection.name}"


def differences(pool: ConnectionPool, projection: Projection, scratch: str, limit: int = 50) -> list[Difference]:
    found: list[Difference] = []
    with pool.connection() as conn:
        for table in projection.tables:
            live = sql.Identifier(LIVE_SCHEMA, table)
            built = sql.Identifier(scratch, table)
            for side, a, b in (("live only", live, built), ("rebuild only", built, live)):
                rows = conn.execute(
                    sql.SQL("SELECT * FROM {} EXCEPT SELECT * FROM {} LIMIT %s").format(a, b), (limit,)
                ).fetchall()
                found += [Difference(table, side, tuple(r)) for r in rows]
    return found


def verify(
    app: Any,
    pool: ConnectionPool,
    projection: Projection,
    *,
    settle_seconds: float = 10.0,
    progress: Progress | None = None,
) -> list[Difference]:
    """Rebuilds into a scratch schema and compares; the live model may trail by a moment, so a
    difference must persist for ``settle_seconds`` (replaying new events meanwhile) to be reported.
    Records the read model could not apply are reported too (``projection_errors``)."""
    import time

    scratch = scratch_schema(projection)
    with pool.connection() as conn, conn.transaction():
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
        create_tables(conn.cursor(), scratch, projection)
    replay = Replay(app, pool, projection, scratch)
    deadline = time.monotonic() + settle_seconds
    while True:
        replay.run(progress)
        found = differences(pool, projection, scratch)
        if not found or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    with pool.connection() as conn, conn.transaction():
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
    errors = projection_errors(pool, projection)
    reported = {(d.row[0], d.row[1]) for d in errors}
    errors += [
        Difference("projection_errors", "not applied", (f.message.aggregate_id, f.message.version, None, None,
                                                        f"{type(f.error).__name__}: {f.error}"))
        for f in replay.failures if (f.message.aggregate_id, f.message.version) not in reported
    ]  # fmt: skip
    return found + errors
