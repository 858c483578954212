"""Read models rebuilt from the event store, fast: now, into a scratch schema, or as they stood.

``replay_into`` feeds a read model the messages the relay would have published, in log order, in
three overlapping stages: a reader thread fetches the log (``infra.audit.log``: one server-side
cursor, binary rows, only the aggregates whose messages the read model consumes), this thread decodes
the rows with the relay's ``EventDecoder`` and maps them through the registry, and a writer thread
applies each batch in one transaction with the read model's own ``track_versions`` + ``apply``
(its ``fold`` copies large batches: ``projections.base.write_rows``).

Memory stays flat however large the store is: at most ``in_flight(batch)`` rows (with their events
and messages) are held at once, a few batches of ``BATCH`` rows, and the mapping remembers the parent
or key of at most ``remember(batch)`` aggregates; what it does not remember, it reads for a whole batch
in one query on its first miss (``Bound.batch`` with ``infra.audit.log.first_rows``), never one
aggregate at a time.  Both bounds are reached after a few batches, so a store of 50,000 events and one of
1,000,000 cost the same memory.  (Rows in the read model's tables grow with the store, but in PostgreSQL.)

The messages are the objects the mapping built.  The live consumers see them after a JSON round trip
through Kafka; the round trip is made here too, for each message class, until one of its messages
came back equal to what was sent, and skipped for that class from then on.

``rebuild_as_of`` builds a read model as it stood at an instant (every event stamped at or before it)
into a schema of its own, beside the live one, which it never touches.
"""

from __future__ import annotations

import gc
import queue
import re
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from psycopg import Connection, sql
from psycopg_pool import ConnectionPool

from infra.audit.log import LogReader, Window, first_rows, prefixes
from producers.catalogue import REGISTRY, decoder_for
from producers.relay import EventDecoder
from projections.base import (
    Projection,
    create_tables,
    exclusive_replay,
    lock_projection,
    projection_lock,
    track_versions,
)  # fmt: skip
from projections.catalogue import LIVE_SCHEMA

Progress = Callable[[int, int], None]  # (events read, last notification id)

_END = object()

#: Rows per batch: few enough that the rows in flight (``in_flight``: 20,000, some 30-50 MB with their
#: messages) are reached by any store worth the name, many enough that a batch's fixed costs (its round
#: trips, and one write per batch of each row it touches: a session's seats, an event's dates) stay
#: small per event.  Measured on a 400,000-event store: 2,000 rows cost `seat_availability` 10-15% of
#: its rate, 10,000 rows (and two queued) held 180 MB.
BATCH = 4_000
#: Batches waiting between two stages.
QUEUED = 1
#: The interpreter's switch interval during a replay (see ``replay_into``): 1 ms sped the writer-bound
#: read models up by a tenth and slowed the mapping-bound ones by more; 2 ms costs neither.
SWITCH_S = 0.002


def in_flight(batch: int) -> int:
    """The most rows a replay holds at once: one batch being fetched, mapped and written each, and
    ``QUEUED`` waiting before the mapping and before the writer."""
    return batch * (3 + 2 * QUEUED)


def remember(batch: int) -> int:
    """How many aggregates' parents (keys) the mapping keeps: at least twice a batch, so that a batch
    that misses costs one read (``producers.registry.Bound.batch``), and a few batches' worth, so that an
    aggregate active in recent batches needs no read at all."""
    return 4 * batch


_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Rebuilt:
    position: int  # the log's last notification id when the replay began: everything up to it was read
    events: int  # stored events read (only those of the aggregates the read model consumes)
    applied: int  # messages applied
    seconds: float


class RoundTrip:
    """The message as a live consumer would decode it (see the module docstring)."""

    def __init__(self) -> None:
        self.same: set[type] = set()

    def __call__(self, topic: str, message: Any) -> Any:
        kind = type(message)
        if kind in self.same:
            return message
        decoded = decoder_for(topic)(message.__pydantic_serializer__.to_json(message))
        if type(decoded) is kind and decoded == message:
            self.same.add(kind)
        return decoded


def replay_into(
    app: Any,
    pool: ConnectionPool,
    projection: Projection,
    schema: str,
    *,
    after: int = 0,
    until: datetime | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
    part: tuple[int, int] | None = None,
    horizon: int | None = None,
) -> Rebuilt:
    """Applies the log after ``after`` (up to ``until``, and ``horizon``) to ``projection`` in ``schema``,
    which holds nothing but what replays of the log up to ``after`` wrote, unless it is the live one;
    with ``part``, only that part's aggregates (``infra.audit.parts``)."""
    started = time.perf_counter()
    # No one else writes an as-of or scratch schema: its versions need no look-up for first events.
    exclusive = schema != LIVE_SCHEMA
    topics = set(projection.topics)
    window = Window(
        after=after, prefixes=prefixes(REGISTRY, topics=projection.topics), until=until, part=part, horizon=horizon
    )
    reader = LogReader(app, window, batch)
    decode = EventDecoder(app.mapper)
    messages_of = REGISTRY.bind(
        app.repository, remember=remember(batch), first_events=lambda ids: [decode(r) for r in first_rows(app, ids)]
    )
    as_consumed = RoundTrip()
    rows_in: queue.Queue[Any] = queue.Queue(maxsize=QUEUED)
    batches_out: queue.Queue[Any] = queue.Queue(maxsize=QUEUED)
    failures: list[BaseException] = []
    counts = {"events": 0, "applied": 0}

    def read() -> None:
        try:
            for rows in reader.batches():
                rows_in.put(rows)
        except BaseException as error:  # noqa: BLE001 - raised in the caller
            failures.append(error)
        finally:
            rows_in.put(_END)

    def write() -> None:
        try:
            # One connection for the whole replay: the pool would check it again before every batch.
            with pool.connection() as conn:
                while (item := batches_out.get()) is not _END:
                    messages, read_count, position = item
                    if messages and not failures:
                        _apply(conn, projection, schema, messages, exclusive=exclusive)
                    counts["applied"] += len(messages)
                    if progress:
                        progress(read_count, position)
        except BaseException as error:  # noqa: BLE001 - raised in the caller
            failures.append(error)
            while batches_out.get() is not _END:  # let the mapping stage finish
                pass

    threads = [threading.Thread(target=read, name="rebuild-read"), threading.Thread(target=write, name="rebuild-write")]
    # Millions of short-lived objects and no cycles to speak of: the cyclic collector only slows it down.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 200_000), *thresholds[1:])
    # After each of its round trips the writer waits for the interpreter lock, which the mapping holds up
    # to a switch interval (5 ms by default): a shorter one keeps the writer, the slowest stage, busy.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, SWITCH_S))
    for thread in threads:
        thread.start()
    try:
        while (rows := rows_in.get()) is not _END:
            if failures:
                continue
            # Each row decoded and mapped at once (a batch of decoded events kept for a second pass cost
            # about a tenth of the rate); a miss looks at the batch's rows, not at decoded events.
            with messages_of.batch(lambda rows=rows: [(decode.class_of(row), row.originator_id) for row in rows]):
                messages = [
                    as_consumed(out.topic, out.message)
                    for row in rows
                    for out in messages_of(decode(row))
                    if out.topic in topics
                ]
            counts["events"] += len(rows)
            batches_out.put((messages, len(rows), rows[-1].id))
    except BaseException as error:  # noqa: BLE001 - raised below, once both threads are joined
        failures.append(error)
        while rows_in.get() is not _END:
            pass
    finally:
        batches_out.put(_END)
        for thread in threads:
            thread.join()
        gc.set_threshold(*thresholds)
        sys.setswitchinterval(switch)
    if failures:
        raise failures[0]
    return Rebuilt(reader.horizon, counts["events"], counts["applied"], time.perf_counter() - started)


def _apply(conn: Connection[Any], projection: Projection, schema: str, messages: list[Any], *, exclusive: bool) -> None:
    with conn.transaction():
        cur = conn.cursor()
        # One round trip for the three: the writer waits for the interpreter lock after each one, and a
        # batch's round trips, not its rows, set the pace of small batches.  A batch lost in a database
        # crash is replayed by running the rebuild again: no WAL flush wait.  The read model's lock keeps
        # the live consumer out; an exclusive schema has none, and the parts of a replay in parts
        # (``infra.audit.parts``) write disjoint rows: without it, they write at once.
        lock = sql.SQL("") if exclusive else projection_lock(projection.name)
        cur.execute(sql.SQL("SET LOCAL synchronous_commit = off; SET LOCAL search_path TO {}; {}").format(
            sql.Identifier(schema), lock))  # fmt: skip
        with exclusive_replay() if exclusive else nullcontext():
            new, _gaps = track_versions(cur, projection.name, messages)
            if new:
                projection.apply(cur, new)


def empty(pool: ConnectionPool, projection: Projection, schema: str) -> None:
    """The read model's tables in ``schema``, created (migrated) if missing, emptied otherwise."""
    with pool.connection() as conn, conn.transaction():
        cur = conn.cursor()
        create_tables(cur, schema, projection)
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        lock_projection(cur, projection.name)
        for table in projection.tables:
            cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
        cur.execute("DELETE FROM projection_versions WHERE projection = %s", (projection.name,))
        cur.execute("DELETE FROM projection_gaps WHERE projection = %s", (projection.name,))


def as_of_schema(name: str, until: datetime) -> str:
    """The default schema of an as-of rebuild: ``asof_<read model>_<UTC instant>``."""
    return f"asof_{name}_{until.astimezone(timezone.utc).strftime('%Y%m%dt%H%M%S')}"[:63].lower()


def check_schema(schema: str) -> None:
    """An as-of schema is the auditor's own: a plain lowercase name, never the live one nor ``public``."""
    if not _SCHEMA_NAME.match(schema) or schema.startswith("pg_"):
        raise ValueError(f"schema {schema!r}: use lowercase letters, digits and '_' (at most 63)")
    if schema in (LIVE_SCHEMA, "public", "information_schema"):
        raise ValueError(f"schema {schema!r} holds the service's own tables; pick another one")


def rebuild_as_of(
    app: Any, pool: ConnectionPool, projection: Projection, until: datetime | None, schema: str,
    progress: Progress | None = None,
) -> Rebuilt:  # fmt: skip
    """``projection`` as it stood at ``until`` (now, without it), in ``schema``."""
    check_schema(schema)
    empty(pool, projection, schema)
    return replay_into(app, pool, projection, schema, until=until, progress=progress)


def rebuild_live(app: Any, pool: ConnectionPool, projection: Projection, progress: Progress | None = None) -> Rebuilt:
    """Empties the live read model and replays the whole log into it (its consumer may keep running:
    both take the read model's lock per transaction, and versions drop what the other applied)."""
    empty(pool, projection, LIVE_SCHEMA)
    return replay_into(app, pool, projection, LIVE_SCHEMA, progress=progress)
