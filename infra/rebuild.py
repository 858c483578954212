"""Rebuild and verify read models from the event store.

``replay`` feeds the notification log through the same mapping, the same JSON round trip and the
same ``track_versions`` + ``apply`` as the live consumers, in batches, into any schema.
``rebuild`` empties a live read model and replays it (the live consumer keeps running: both take the
projection's advisory lock per transaction, and per-aggregate versions drop whatever the other applied).
``verify`` replays into a scratch schema and lists every row that differs from the live tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from producers.catalogue import REGISTRY, decoder_for
from projections.base import Projection, create_tables, lock_projection, track_versions
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
    messages_of: Callable[[Any], list[Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.messages_of = REGISTRY.bind(self.app.repository)

    def run(self, progress: Progress | None = None) -> int:
        """Replays up to the end of the log as it is now; returns the number of messages applied."""
        topics = set(self.projection.topics)
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position, limit=self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                return self.applied
            # The same JSON round trip as the live consumers: the read model sees what Kafka carries.
            messages = [
                decoder_for(out.topic)(out.message.__pydantic_serializer__.to_json(out.message))
                for notification in notifications
                for out in self.messages_of(self.app.mapper.to_domain_event(notification))
                if out.topic in topics
            ]
            with self.pool.connection() as conn, conn.transaction():
                cur = conn.cursor()
                cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.schema)))
                lock_projection(cur, self.projection.name)
                new, _ = track_versions(cur, self.projection.name, messages)
                if new:
                    self.projection.apply(cur, new)
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
    return Replay(app, pool, projection, LIVE_SCHEMA).run(progress)


@dataclass
class Difference:
    table: str
    side: str  # "live only" or "rebuild only"
    row: tuple[Any, ...]


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
    difference must persist for ``settle_seconds`` (replaying new events meanwhile) to be reported."""
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
    return found
