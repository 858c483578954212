"""What every read model shares.

- Tables are created unqualified; the caller picks the schema with ``search_path`` (the live read
  models, or a scratch schema for ``verify``), so one definition serves both.
- ``track_versions`` records each aggregate's latest version in ``projection_versions`` and returns
  the messages not applied before (a duplicate is a no-op) with the version gaps among them, in the
  same transaction as the change.
- ``fold`` loads the touched rows once, applies every message in memory, and writes each row once:
  a batch costs two statements, not one per message (``write_rows``: a large batch is copied).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol
from uuid import UUID

from psycopg import Cursor, sql

from producers.messages import Message
from projections.migrations import Component, Migration, migrate

log = logging.getLogger(__name__)

#: The bookkeeping every read model shares (a component of its own, ``projections.bookkeeping``).
COMMON_DDL = """
CREATE TABLE IF NOT EXISTS projection_versions (
    projection text NOT NULL,
    aggregate_id uuid NOT NULL,
    version integer NOT NULL,
    PRIMARY KEY (projection, aggregate_id)
);
CREATE TABLE IF NOT EXISTS projection_gaps (
    projection text NOT NULL,
    aggregate_id uuid NOT NULL,
    expected integer NOT NULL,
    received integer NOT NULL,
    noticed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
);
"""


class Projection(Protocol):
    # Read-only members, so a read model's class attributes (``name = "events"``, ...) satisfy them.
    @property
    def name(self) -> str: ...

    @property
    def topics(self) -> tuple[str, ...]: ...

    @property
    def tables(self) -> tuple[str, ...]: ...

    @property
    def migrations(self) -> tuple[Migration, ...]: ...

    def apply(self, cur: Cursor[Any], messages: Sequence[Any]) -> None:  # its own topics' message types
        """Applies new messages (duplicates already dropped by ``track_versions``), in order per aggregate."""
        ...


@dataclass(frozen=True)
class Gap:
    aggregate_id: UUID
    expected: int
    received: int


def lock_projection(cur: Cursor[Any], name: str) -> None:
    """Serialises writers of one read model: the live consumer and a concurrent rebuild."""
    cur.execute(projection_lock(name))


def projection_lock(name: str) -> sql.Composed:
    """The statement ``lock_projection`` runs, to send along with others in one round trip."""
    return sql.SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(sql.Literal(f"projection:{name}"))


#: Set while an exclusive replay applies a batch (``exclusive_replay``).
_EXCLUSIVE: ContextVar[bool] = ContextVar("projections_exclusive_replay", default=False)


@contextmanager
def exclusive_replay() -> Iterator[None]:
    """Inside, ``track_versions`` and ``fold`` know that the log is being replayed in order into tables
    no one else writes (an as-of or scratch rebuild: everything in them came from earlier batches of
    the same replay).  An aggregate's first event (version 1) is then its first message there, so the
    version and the rows it would look up cannot exist yet: a rebuild is mostly first events, and those
    look-ups were a quarter of its writer's time.  Never for the live read models, whose consumer
    writes beside a rebuild."""
    token = _EXCLUSIVE.set(True)
    try:
        yield
    finally:
        _EXCLUSIVE.reset(token)


BOOKKEEPING = Component("bookkeeping", (Migration("0001_create", COMMON_DDL),))


def component(projection: Projection) -> Component:
    """A read model's tables as a migration component (named ``projection:<name>``)."""
    return Component(f"projection:{projection.name}", projection.migrations)


def create_tables(cur: Cursor[Any], schema: str, projection: Projection) -> None:
    """The read model's tables (and the shared bookkeeping) in ``schema``, migrated to the latest."""
    migrate(cur, schema, [BOOKKEEPING, component(projection)])


def track_versions(cur: Cursor[Any], projection: str, messages: Sequence[Message]) -> tuple[list[Message], list[Gap]]:
    """Writes each aggregate's newest version (and any gap) for ``projection``; returns the messages
    not applied before, in order, and the gaps among them.  In an ``exclusive_replay`` an aggregate
    whose message has version 1 cannot have been tracked yet: only the others are looked up."""
    # Each aggregate id is hashed as few times as possible: ``UUID.__hash__`` is Python code, and a
    # rebuild tracks hundreds of thousands of ids.
    exclusive = _EXCLUSIVE.get()
    ids = {m.aggregate_id for m in messages if not exclusive or m.version != 1}
    known: dict[UUID, int] = {}
    if ids:
        # %b and binary rows: a batch's ids travel as one binary array, several times cheaper than text.
        cur.execute(
            "SELECT aggregate_id, version FROM projection_versions WHERE projection = %s AND aggregate_id = ANY(%b)",
            (projection, list(ids)),
            binary=True,
        )
        known = dict(cur.fetchall())
    before = dict(known)
    out: list[Message] = []
    gaps: list[Gap] = []
    for message in messages:
        aggregate_id, version = message.aggregate_id, message.version
        current = known.get(aggregate_id, 0)
        if version <= current:
            continue
        if version != current + 1:
            gaps.append(Gap(aggregate_id, current + 1, version))
        known[aggregate_id] = version
        out.append(message)
    if before:
        changed = [(projection, aid, v) for aid, v in known.items() if before.get(aid) != v]
        new_rows = [row for row in changed if row[1] not in before]
        changed_rows = [row for row in changed if row[1] in before]
    else:
        new_rows, changed_rows = [(projection, aid, v) for aid, v in known.items()], []
    if new_rows or changed_rows:
        write_rows(
            cur, "projection_versions", ("projection", "aggregate_id", "version"), ("projection", "aggregate_id"),
            new=new_rows, changed=changed_rows,
        )  # fmt: skip
    if gaps:
        cur.executemany(
            "INSERT INTO projection_gaps (projection, aggregate_id, expected, received) VALUES (%s, %s, %s, %s)",
            [(projection, g.aggregate_id, g.expected, g.received) for g in gaps],
        )
        for gap in gaps:
            log.error(
                "version gap in read model",
                extra={
                    "projection": projection,
                    "aggregate_id": str(gap.aggregate_id),
                    "expected": gap.expected,
                    "received": gap.received,
                },
            )
    return out, gaps


Row = dict[str, Any]


def fold(
    cur: Cursor[Any],
    table: str,
    key: str,
    columns: Sequence[str],
    messages: Iterable[Message],
    key_of: Callable[[Message], UUID | None],
    apply: Callable[[Row | None, Message], Row | None],
) -> None:
    """Loads the rows the messages touch, applies them in memory, upserts each touched row once.

    A table folded here is written by ``fold`` only, and every read model keys it by the message's own
    aggregate (``key_of`` is ``lambda m: m.aggregate_id``): an ``exclusive_replay`` relies on it."""
    batch = [(k, m) for m in messages if (k := key_of(m)) is not None]
    if not batch:
        return
    # Each key is hashed as few times as it can be (``UUID.__hash__`` is Python code, and a rebuild folds
    # hundreds of thousands of rows): once to collect the keys, then per message to read its row, write
    # it back and mark it touched.
    if _EXCLUSIVE.get():
        # A row keyed by the message's own aggregate is written by that aggregate's messages only, so in an
        # exclusive replay it cannot exist before the aggregate's first event: only the others are read.
        rows: dict[UUID, Row | None] = {}
        wanted: list[UUID] = []
        for k, m in batch:
            if k not in rows:
                rows[k] = None
                if m.version != 1 or k is not m.aggregate_id:
                    wanted.append(k)
    else:
        rows = dict.fromkeys(k for k, _ in batch)
        wanted = list(rows)
    fetched: list[Any] = []
    if wanted:
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        cur.execute(
            sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%b)").format(cols, sql.Identifier(table), sql.Identifier(key)),
            (wanted,),
            binary=True,
        )
        fetched = cur.fetchall()
    for row in fetched:
        rows[row[0]] = dict(zip(columns, row, strict=True))
    touched: dict[UUID, Row] = {}
    for k, message in batch:
        new = apply(rows[k], message)
        if new is not None:
            rows[k] = touched[k] = new
    if not touched:
        return
    values = itemgetter(*columns)
    if not fetched:
        write_rows(cur, table, columns, (key,), new=[values(row) for row in touched.values()], changed=())
        return
    loaded = {row[0] for row in fetched}
    write_rows(
        cur, table, columns, (key,),
        new=[values(row) for k, row in touched.items() if k not in loaded],
        changed=[values(row) for k, row in touched.items() if k in loaded],
    )  # fmt: skip


#: From this many rows on, ``write_rows`` copies instead of sending one statement per row.
BULK_ROWS = 500


def write_rows(
    cur: Cursor[Any], table: str, columns: Sequence[str], conflict: Sequence[str],
    *, new: Sequence[tuple[Any, ...]], changed: Sequence[tuple[Any, ...]],
) -> None:  # fmt: skip
    """Inserts ``new`` rows (keys absent from ``table``) and upserts ``changed`` ones.  The caller holds
    the read model's lock (``lock_projection``), so no other writer can add a key in between: many new
    rows go in with one ``COPY``, many changed ones through a temporary table and one ``INSERT ...
    ON CONFLICT`` (a rebuild writes hundreds of thousands of rows; one statement each was its cost)."""
    target = sql.Identifier(table)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    if len(new) >= BULK_ROWS:
        _copy(cur, target, cols, new)
        new = ()
    rows = [*new, *changed]
    if not rows:
        return
    keys = sql.SQL(", ").join(map(sql.Identifier, conflict))
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c not in conflict
    )
    if len(rows) < BULK_ROWS:
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}").format(
            target, cols, sql.SQL(", ").join(sql.Placeholder() * len(columns)), keys, updates
        )
        cur.executemany(statement, rows)
        return
    staged = sql.Identifier(f"staged_{table}")
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staged))
    cur.execute(
        sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} LIMIT 0").format(staged, cols, target)
    )
    _copy(cur, staged, cols, rows)
    cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}").format(
        target, cols, cols, staged, keys, updates
    ))  # fmt: skip
    cur.execute(sql.SQL("DROP TABLE {}").format(staged))


def _copy(cur: Cursor[Any], table: sql.Identifier, cols: sql.Composable, rows: Sequence[tuple[Any, ...]]) -> None:
    """``COPY`` in binary, typed by the table's own columns (about twice as fast as text)."""
    cur.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(cols, table))
    types = [column.type_code for column in cur.description or ()]
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table, cols)) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
