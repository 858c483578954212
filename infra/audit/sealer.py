"""The sealer: follows the event store's notification log and seals every event into the hash chain.

It works like the relay and beside it, never in the writers' transactions (writers are not serialised
any further than eventsourcing already does): woken by the store's NOTIFY, it reads the rows after
the last sealed position up to the log's highest visible id (one statement, one snapshot:
``producers.relay.NotificationLog``), chains them (``producers.audit.seal``), appends the links
(``infra.audit.chain``) and publishes the head on ``audit.checkpoints.v1`` at least every 1,000
events or 10 seconds (and when it starts and stops).  Sealing never waits for Kafka: checkpoints are
sent at once and their acks checked when the log is quiet (or every few seconds when it never is); a
checkpoint that failed is sent again.

The gap rule: a notification id missing below the visible horizon is sealed over only once it can no
longer appear.  An id is drawn by an INSERT that holds a write lock on the events table from before
it draws the id until its transaction ends.  So when a read shows a gap below its horizon ``h`` (an id
drawn before ``h`` was, hence before the read), every transaction that could still fill it was
holding such a lock when the read ran: the sealer lists the transactions holding one right after the
read, waits until each of them has ended (committed: the row is visible; rolled back: the id is gone
for good), and only then treats the gaps below ``h`` as settled and reads again.  With eventsourcing's
own EXCLUSIVE table lock the list is nearly always empty and a gap is a rolled-back insert (a version
conflict), settled at once; the rule does not rely on that lock, so an insert by another path (SQL
behind the application's back, a recorder without the lock) is never passed over while it can
still commit.

``infra.audit.sealer_run`` runs it in the service: under the log's lock, through PostgreSQL outages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol
from uuid import UUID, uuid5

import psycopg
from psycopg import sql

from infra.audit.chain import ChainStore, Head
from producers.audit import AUDIT_CHECKPOINTS, ChainCheckpoint, seal
from producers.relay import CE_SOURCE_PREFIX, NotificationLog, Row, Sender
from producers.topics import physical

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1000  # events
CHECKPOINT_INTERVAL = 10.0  # seconds
SETTLE_AFTER = 2.0  # seconds a sent checkpoint may wait for its ack check while the log never goes quiet
CHECKPOINT_NAMESPACE = UUID("0c7b9e55-3f2a-4f0e-9a61-2d8f1b6c4e37")
#: Lock modes that let a transaction insert into the events table.
WRITE_LOCKS = ["RowExclusiveLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]


class SealMetrics(Protocol):
    def on_sealed(self, count: int, position: int) -> None: ...


def log_name(app: Any) -> str:
    """The name of the application's log (its events table), the checkpoints' key."""
    return str(app.recorder.events_table_name)


def checkpoint_headers(checkpoint: ChainCheckpoint) -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid5(CHECKPOINT_NAMESPACE, f"{checkpoint.log}:{checkpoint.position}")).encode()),
        ("ce_type", b"audit.ChainCheckpoint"),
        ("ce_source", f"{CE_SOURCE_PREFIX}audit".encode()),
        ("ce_subject", checkpoint.log.encode()),
        ("ce_time", checkpoint.sealed_at.isoformat().encode()),
        ("schema_version", str(checkpoint.schema_version).encode()),
    ]


class Writers:
    """Which transactions hold a write lock on the events table, and waiting until they have ended."""

    def __init__(self, database_url: str, recorder: Any) -> None:
        self.database_url = database_url
        self.table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name).as_string(None)
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.database_url, autocommit=True)
        return self._conn

    def holding(self) -> list[str]:
        rows = (
            self._connection()
            .execute(
                "SELECT DISTINCT virtualtransaction FROM pg_locks WHERE locktype = 'relation'"
                " AND relation = to_regclass(%s) AND mode = ANY(%s) AND pid IS DISTINCT FROM pg_backend_pid()",
                (self.table, WRITE_LOCKS),
            )
            .fetchall()
        )
        return [r[0] for r in rows]

    def wait_until_ended(self, transactions: list[str], stopping: threading.Event) -> None:
        waited_since = time.monotonic()
        warned = waited_since
        while transactions and not stopping.is_set():
            row = (
                self._connection()
                .execute(
                    "SELECT array_agg(DISTINCT virtualtransaction) FROM pg_locks WHERE virtualtransaction = ANY(%s)",
                    (transactions,),
                )
                .fetchone()
            )
            transactions = list(row[0] or []) if row else []
            if transactions:
                if time.monotonic() - warned > 10:
                    warned = time.monotonic()
                    log.warning("sealing waits for a writer that may still fill a gap",
                                extra={"transactions": transactions, "seconds": warned - waited_since})  # fmt: skip
                stopping.wait(0.001)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Sealer:
    """Seals the application's log (see the module docstring)."""

    def __init__(
        self,
        app: Any,
        store: ChainStore,
        sender: Sender,
        writers: Writers,
        *,
        topic_prefix: str = "",
        batch_size: int = 10_000,
        wait_for_new: Callable[[float], None] | None = None,
        metrics: SealMetrics | None = None,
        now: Callable[[], float] = time.monotonic,
        still_ours: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.writers = writers
        self.topic = physical(AUDIT_CHECKPOINTS, topic_prefix)
        self.log_name = log_name(app)
        self.batch_size = batch_size
        self.wait_for_new = wait_for_new or (lambda timeout: threading.Event().wait(min(timeout, 0.005)))
        self.metrics = metrics
        self.now = now
        #: Raises if this sealer no longer holds the log's lock, as when its server went away since the
        #: last append (``infra.audit.sealer_run`` says why it is called before every append).
        self.still_ours = still_ours
        self.log = NotificationLog(app.recorder, None)
        self.head: Head = store.head()
        self.settled = self.head.position  # gaps at or below this id are known to stay gaps
        self.published = 0  # the position of the last checkpoint acknowledged
        self.published_at = now()
        self._queued = 0  # the position of the last checkpoint queued
        self._pending: list[ChainCheckpoint] = []
        self._in_flight: list[tuple[ChainCheckpoint, Any, float]] = []
        self._stop = threading.Event()
        self._drained = False  # the last read sealed everything up to the log's horizon

    # -- running ------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def resume(self, wait_for_new: Callable[[float], None], still_ours: Callable[[], None] | None) -> None:
        """Carries on after PostgreSQL was away: from the head the chain table has, not the one in memory
        (links are committed without waiting for the WAL flush, so a crash may have lost the last ones;
        they are sealed again, identically), with the gap rule starting afresh from there, and with new
        connections.  Checkpoints not yet acknowledged are kept and sent again."""
        self.wait_for_new, self.still_ours = wait_for_new, still_ours
        self.writers.close()
        self.head = self.store.head()
        self.settled = self.head.position

    def run(self, idle_wait: float = 0.5) -> None:
        """Seals until ``stop()``; publishes the head at start, on its timer and at the end."""
        self.publish_head()
        try:
            while not self._stop.is_set():
                if self.seal_once() == 0 or self._drained:
                    self._on_timer()
                    self.wait_for_new(idle_wait)
        finally:
            self.publish_head()

    def seal_once(self) -> int:
        """Reads after the head, seals what it may; returns how many rows it read (0: nothing new)."""
        rows, horizon = self.log.read(self.head.position, self.batch_size)
        # A short batch sealed whole read everything up to the horizon: anything committed since has
        # notified the waiter (it listens before this read), so reading again at once would find nothing.
        self._drained = False
        if not rows:
            return 0
        sealable = self._before_unsettled_gap(rows)
        self._drained = len(rows) < self.batch_size and len(sealable) == len(rows)
        if len(sealable) < len(rows):
            # A gap that may still fill: wait out the transactions that could fill it, then re-read.
            self.writers.wait_until_ended(self.writers.holding(), self._stop)
            self.settled = max(self.settled, horizon)
        if sealable:
            self._append(sealable)
        return len(rows)

    def _before_unsettled_gap(self, rows: list[Row]) -> list[Row]:
        expected = self.head.position + 1
        for i, row in enumerate(rows):
            if row.id != expected and row.id - 1 > self.settled:  # missing ids up to row.id - 1
                return rows[:i]
            expected = row.id + 1
        return rows

    def _append(self, rows: list[Row]) -> None:
        links = seal(self.head.hash, rows)
        if self.still_ours is not None:
            self.still_ours()
        self.store.append(links)
        before = self.head.events
        position, digest = links[-1]
        self.head = Head(position, digest, before + len(links))
        self.settled = max(self.settled, position)
        if self.metrics:
            self.metrics.on_sealed(len(links), position)
        # Every 1,000th event sealed is a checkpoint, sent at once; the acks are awaited when the log is quiet.
        first = CHECKPOINT_EVERY - before % CHECKPOINT_EVERY
        for i in range(first - 1, len(links), CHECKPOINT_EVERY):
            self._queue(self._checkpoint(links[i][0], links[i][1], before + i + 1))
        self._send()
        if self._in_flight and self.now() - self._in_flight[0][2] >= SETTLE_AFTER:  # a log that is never quiet
            self._settle()

    # -- checkpoints --------------------------------------------------------------------------

    def _checkpoint(self, position: int, digest: bytes, events: int) -> ChainCheckpoint:
        return ChainCheckpoint(
            log=self.log_name, position=position, hash=digest.hex(), events=events, sealed_at=datetime.now(timezone.utc)
        )

    def publish_head(self) -> None:
        """Publishes the head now (unless a checkpoint already names it) and waits for the acks."""
        if self.head.position > max(self.published, self._queued):
            self._queue(self._checkpoint(self.head.position, self.head.hash, self.head.events))
        self._send()
        self._settle()

    def _queue(self, checkpoint: ChainCheckpoint) -> None:
        self._pending.append(checkpoint)
        self._queued = max(self._queued, checkpoint.position)

    def _on_timer(self) -> None:
        """On a quiet log: the head once 10 s have passed since the last checkpoint, and the acks of
        what was sent (sealing never waits for Kafka)."""
        quiet_for = self.now() - self.published_at
        if self.head.position > max(self.published, self._queued) and quiet_for >= CHECKPOINT_INTERVAL:
            self._queue(self._checkpoint(self.head.position, self.head.hash, self.head.events))
        self._send()
        self._settle()

    def _send(self) -> None:
        key = self.log_name.encode()
        while self._pending:
            checkpoint = self._pending.pop(0)
            try:
                delivery = self.sender.send(self.topic, key=key, value=checkpoint.model_dump_json().encode(),
                                            headers=checkpoint_headers(checkpoint))  # fmt: skip
            except Exception:  # retried on the next tick
                log.warning("chain checkpoint not sent; will retry", exc_info=True, extra={"topic": self.topic})
                self._pending.insert(0, checkpoint)
                return
            self._in_flight.append((checkpoint, delivery, self.now()))

    def _settle(self) -> None:
        """Waits for the acks of the checkpoints sent; one that failed is sent again on the next tick
        (the checkpoints only lag while Kafka is away)."""
        if not self._in_flight:
            return
        try:
            self.sender.flush(10)
        except Exception:  # their deliveries say which failed
            log.warning("chain checkpoints not acknowledged yet", exc_info=True, extra={"topic": self.topic})
        for checkpoint, delivery, _sent_at in self._in_flight:
            try:
                delivery.get(timeout=0)
            except Exception:  # noqa: BLE001 - sent again on the next tick
                self._pending.append(checkpoint)
                continue
            if checkpoint.position > self.published:
                self.published, self.published_at = checkpoint.position, self.now()
        self._in_flight.clear()


# -- as ``sessionstream run`` runs it ---------------------------------------------------------------


def sealer_for(container: Any, sender: Sender | None = None, **kwargs: Any) -> Sealer:
    """The sealer of the container's event store, publishing through ``sender`` (default: the
    container's producer)."""
    app = container.event_store
    return Sealer(
        app, ChainStore(container.pool), sender or container.producer,
        Writers(container.endpoints.database_url, app.recorder),
        topic_prefix=container.settings.topic_prefix, **kwargs,
    )  # fmt: skip
