"""The sealed chain in PostgreSQL: ``public.audit_chain``, one row per sealed event, beside the event store.

``position`` is the event's notification id, ``hash`` its ``hash(n)`` (``producers.audit``),
``sealed_at`` when the sealer committed it (the benchmark's seal lag).  The head is the row with the
highest position.  Writes go through ``COPY`` (a backlog seals at tens of thousands of rows per second)
without waiting for the WAL flush: a link lost in a database crash is sealed again, identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from producers.audit import GENESIS
from projections.migrations import Component, Migration

TABLE = "public.audit_chain"

AUDIT_CHAIN = Component("audit_chain", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS audit_chain ("
              " position bigint PRIMARY KEY, hash bytea NOT NULL,"
              " sealed_at timestamptz NOT NULL DEFAULT clock_timestamp())"),
))  # fmt: skip


@dataclass(frozen=True)
class Head:
    position: int = 0
    hash: bytes = GENESIS
    events: int = 0


class ChainStore:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def head(self) -> Head:
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT position, hash, (SELECT count(*) FROM {TABLE}) FROM {TABLE} ORDER BY position DESC LIMIT 1"
            ).fetchone()
        return Head(int(row[0]), bytes(row[1]), int(row[2])) if row else Head()

    def head_link(self) -> tuple[int, bytes | None]:
        """The head's position and hash, without counting (0 and None for an empty chain)."""
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT position, hash FROM {TABLE} ORDER BY position DESC LIMIT 1").fetchone()
        return (int(row[0]), bytes(row[1])) if row else (0, None)

    def append(self, links: Sequence[tuple[int, bytes]]) -> None:
        with self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor()
            cur.execute("SET LOCAL synchronous_commit = off")
            with cur.copy(f"COPY {TABLE} (position, hash) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "bytea"])
                for link in links:
                    copy.write_row(link)

    def page(self, events_table: str, from_position: int, limit: int) -> list[tuple[Any, ...]]:
        """Sealed links from ``from_position`` on, with their events' id, version, topic and state
        (None where the event is gone)."""
        with self.pool.connection() as conn:
            return conn.execute(
                f"SELECT c.position, e.originator_id, e.originator_version, e.topic, e.state, c.hash"
                f" FROM {TABLE} c LEFT JOIN {events_table} e ON e.notification_id = c.position"
                " WHERE c.position >= %s ORDER BY c.position LIMIT %s",
                (from_position, limit),
            ).fetchall()
