"""Read models fed directly, without Kafka: messages made by the relay's mapping from an application's
event store (read back through each topic's decoder, as a consumer would), applied to a scratch schema
of a real PostgreSQL database the way the consumers apply them (``track_versions`` then ``apply``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool

from producers.catalogue import DECODERS, REGISTRY
from producers.messages import Message
from projections.base import Projection, create_tables, track_versions


def published(app: Any, topics: Iterable[str]) -> list[Message]:
    """The messages the relay would publish on ``topics`` for everything ``app`` stored, in log order."""
    wanted = set(topics)
    messages_of = REGISTRY.bind(app.repository)
    return [
        DECODERS[out.topic](out.message.model_dump_json().encode())
        for notification in app.recorder.select_notifications(start=None, limit=1_000_000)
        for out in messages_of(app.mapper.to_domain_event(notification))
        if out.topic in wanted
    ]


class Scratch:
    """A fresh schema holding the tables of some read models."""

    def __init__(self, pool: ConnectionPool, *projections: Projection) -> None:
        self.pool = pool
        self.schema = f"scratch_{uuid.uuid4().hex[:10]}"
        with pool.connection() as conn, conn.transaction():
            for projection in projections:
                create_tables(conn.cursor(), self.schema, projection)

    @contextmanager
    def cursor(self) -> Iterator[Cursor[Any]]:
        """A cursor in one transaction, with the scratch schema first on the search path."""
        with self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor()
            cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.schema)))
            yield cur

    def feed(self, projection: Projection, messages: Iterable[Message]) -> list[Message]:
        """Applies ``messages`` in one transaction, as one consumer batch; returns the ones applied."""
        with self.cursor() as cur:
            new, _gaps = track_versions(cur, projection.name, list(messages))
            if new:
                projection.apply(cur, new)
        return new

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.cursor() as cur:
            cur.execute(query, params)  # type: ignore[arg-type]  # the tests' own SQL
            return cur.fetchall()
