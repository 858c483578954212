"""The whole log, fast: one server-side cursor in one snapshot, binary rows, optional filters.

What replays the history (rebuilds, ``audit replay``) reads the log here: one ``REPEATABLE READ``
transaction, one named cursor fetched in large batches (memory stays flat however big the store),
rows in the relay's shape (``producers.relay.Row``) so its ``EventDecoder`` decodes them.

Filters: ``prefixes`` keeps the events whose event-store topic starts with one of them (in SQL: the
aggregates a read model or a context needs); ``since``/``until`` keep the events whose own timestamp
lies in the window.  Event timestamps follow log order only roughly (an event is stamped when its
command decides, and committed a moment later, under the table lock), so the window is applied
event by event; reading stops once an event is stamped more than ``SKEW`` after ``until``, on the
assumption that no command commits that long after deciding.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import tuple_row

from producers.audit import stored_timestamp
from producers.relay import Row

#: How long after ``until`` reading goes on, for events stamped before it and committed after.
SKEW = timedelta(minutes=5)
BATCH = 10_000


@dataclass(frozen=True)
class Window:
    after: int = 0  # notification id: rows after it
    prefixes: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: ``(k, n)``: only the aggregates of part k of n (by their id's last byte; ``infra.audit.parts``).
    part: tuple[int, int] | None = None
    #: The last notification id to read (default: the log's last in the reading snapshot).
    horizon: int | None = None


def timestamp_of(state: bytes) -> datetime:
    return datetime.fromisoformat(stored_timestamp(state).decode())


class LogReader:
    """Iterates the log's rows in batches (see the module docstring); ``horizon`` is the last
    notification id of the snapshot, known once iteration began."""

    def __init__(self, app: Any, window: Window = Window(), batch: int = BATCH) -> None:
        self.recorder = app.recorder
        self.window = window
        self.batch = batch
        self.horizon = 0

    def batches(self) -> Iterator[list[Row]]:
        recorder = self.recorder
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        window = self.window
        where = sql.SQL("notification_id > %(after)s AND notification_id <= %(horizon)s")
        if window.prefixes is not None:
            where = sql.SQL("{} AND topic ^@ ANY(%(prefixes)s)").format(where)
        if window.part is not None:
            where = sql.SQL("{} AND get_byte(uuid_send(originator_id), 15) %% %(parts)s = %(part)s").format(where)
        with recorder.datastore.get_connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            plain = conn.cursor(row_factory=tuple_row)
            if window.horizon is None:
                found = plain.execute(sql.SQL("SELECT max(notification_id) FROM {}").format(table)).fetchone()
                self.horizon = int(found[0] or 0) if found else 0
            else:
                self.horizon = window.horizon
            part, parts = window.part or (0, 1)
            params = {"after": window.after, "horizon": self.horizon, "prefixes": list(window.prefixes or ()),
                      "part": part, "parts": parts}  # fmt: skip
            with conn.cursor(name="sessionstream_log", row_factory=tuple_row, binary=True) as cur:
                cur.execute(sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state FROM {} WHERE {}"
                    " ORDER BY notification_id"
                ).format(table, where), params)  # fmt: skip
                timed = window.since is not None or window.until is not None
                while fetched := cur.fetchmany(self.batch):
                    rows = [Row(r[0], r[1], r[2], r[3], bytes(r[4])) for r in fetched]
                    if timed:
                        rows, done = self._in_window(rows)
                        if rows:
                            yield rows
                        if done:
                            return
                    else:
                        yield rows

    def _in_window(self, rows: Sequence[Row]) -> tuple[list[Row], bool]:
        since, until = self.window.since, self.window.until
        stop_after = until + SKEW if until is not None else None
        kept: list[Row] = []
        for row in rows:
            at = timestamp_of(row.state)
            if stop_after is not None and at > stop_after:
                return kept, True
            if (since is None or at >= since) and (until is None or at <= until):
                kept.append(row)
        return kept, False


def estimated_rows(app: Any, prefixes: Sequence[str], percent: float = 1.0) -> int:
    """About how many stored events have a topic starting with one of ``prefixes``: a count over
    ``percent`` of the table's pages, scaled (some 10 ms for a 1,000,000-event store, against 350 ms
    for the exact count)."""
    recorder = app.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with recorder.datastore.get_connection() as conn:
        found = (
            conn.cursor(row_factory=tuple_row)
            .execute(
                sql.SQL("SELECT count(*) FROM {} TABLESAMPLE SYSTEM (%s) WHERE topic ^@ ANY(%s)").format(table),
                (percent, list(prefixes)),
            )
            .fetchone()
        )
    return int(found[0] * 100 / percent) if found else 0


def first_rows(app: Any, aggregate_ids: Collection[UUID]) -> list[Row]:
    """The first stored event (version 1) of each of ``aggregate_ids``, in one query (the primary key's
    index answers it): what a replay's mapping would otherwise read one aggregate at a time."""
    recorder = app.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with recorder.datastore.get_connection() as conn:
        # %b: the ids travel as one binary array, like the read models' own batch lookups.
        fetched = conn.cursor(row_factory=tuple_row, binary=True).execute(sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
            " WHERE originator_id = ANY(%b) AND originator_version = 1"
        ).format(table), (list(aggregate_ids),)).fetchall()  # fmt: skip
    return [Row(r[0], r[1], r[2], r[3], bytes(r[4])) for r in fetched]


def _prefixes_of(event_class: type) -> tuple[str, ...]:
    # ``aggregate_prefixes`` (former names included) where the registry has it, else the current one.
    from producers import registry

    several = getattr(registry, "aggregate_prefixes", None)
    return tuple(several(event_class)) if several else (registry.aggregate_prefix(event_class),)


def prefixes(registry: Any, *, topics: Sequence[str] | None = None, context: str | None = None) -> tuple[str, ...]:
    """The event-store topic prefixes of the aggregates whose messages go to ``topics`` and/or that
    belong to ``context`` (as the registry's mappings say)."""
    from producers.registry import type_name

    found: set[str] = set()
    for event_class, topic in registry.topic_of.items():
        if topics is not None and topic not in topics:
            continue
        if context is not None and type_name(event_class).split(".")[0] != context:
            continue
        found.update(_prefixes_of(event_class))
    return tuple(sorted(found))
