"""The consumer runner: poll a batch, hand it to a handler, record offsets in the same transaction.

- Offsets live in PostgreSQL (``consumer_offsets``), written in the transaction that applies the
  batch; on every assignment the runner seeks to them, so a crash at any point replays exactly the
  batch that was not committed.  Kafka's own group offsets are committed afterwards, for lag tools only.
- A record the handler cannot decode is dead-lettered (and acked by the broker) before the
  transaction commits; the runner goes on with the next record.
- ``stop()`` (SIGTERM) lets the current batch finish, then closes the consumer.

The consumer is confluent-kafka's (see ``infra.kafka``): the seek to stored offsets happens in its
``on_assign`` callback, which assigns the partitions at those offsets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition
from psycopg import Connection, Cursor, sql
from psycopg_pool import ConnectionPool

from consumers.dead_letters import DeadLetter, send_dead_letters
from consumers.error_policy import Action, classify

log = logging.getLogger(__name__)


class BatchHandler(Protocol):
    group: str
    topics: Sequence[str]  # physical names

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        """Applies a batch inside the runner's transaction; returns the records to dead-letter."""
        ...


class RunnerMetrics(Protocol):
    def on_batch(self, group: str, records: int, seconds: float, lag: int) -> None: ...


def load_offsets(cur: Cursor[Any], group: str) -> dict[tuple[str, int], int]:
    cur.execute("SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = %s", (group,))
    return {(t, p): o for t, p, o in cur.fetchall()}


def save_offsets(cur: Cursor[Any], group: str, next_offsets: dict[tuple[str, int], int]) -> None:
    cur.executemany(
        "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
        [(group, t, p, o) for (t, p), o in next_offsets.items()],
    )


class Record:
    """One consumed record, with the attribute names the handlers and ``DeadLetter`` use."""

    __slots__ = ("topic", "partition", "offset", "key", "value", "_message")

    def __init__(self, message: Message) -> None:
        self._message = message
        self.topic: str = message.topic()  # type: ignore[assignment]
        self.partition: int = message.partition()  # type: ignore[assignment]
        self.offset: int = message.offset()  # type: ignore[assignment]
        self.key: bytes | None = message.key()  # type: ignore[assignment]
        self.value: bytes | None = message.value()  # type: ignore[assignment]

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        """Parsed on demand: only dead letters need them."""
        return list(self._message.headers() or [])  # type: ignore[arg-type]


class ConsumerRunner:
    def __init__(
        self,
        handler: BatchHandler,
        make_consumer: Callable[[str], Consumer],
        pool: ConnectionPool,
        dlt_producer: Any,
        *,
        schema: str,
        metrics: RunnerMetrics | None = None,
        poll_timeout_ms: int = 100,
        max_records: int = 2000,
    ) -> None:
        self.handler = handler
        self.make_consumer = make_consumer
        self.pool = pool
        self.dlt_producer = dlt_producer
        self.schema = schema
        self.metrics = metrics
        self.poll_timeout_ms = poll_timeout_ms
        self.max_records = max_records
        self._stop = threading.Event()
        self.consumer: Consumer | None = None
        self.last_batch_at = time.monotonic()
        self.failed: BaseException | None = None
        self.applied = 0

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _transaction_cursor(self, conn: Connection[Any]) -> Cursor[Any]:
        cur = conn.cursor()
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(self.schema)))
        return cur

    def seek_to_stored(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """``on_assign``: every assigned partition starts at our stored offset (or the beginning)."""
        with self.pool.connection() as conn, conn.transaction():
            stored = load_offsets(self._transaction_cursor(conn), self.handler.group)
        for tp in partitions:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        consumer.assign(partitions)
        log.info("partitions assigned", extra={"group": self.handler.group, "partitions": len(partitions)})

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        pass  # nothing to flush: every applied batch already recorded its offsets

    def run(self) -> None:
        """Consumes until ``stop()``; a failure that is not transient stops the runner (see ``failed``)."""
        consumer = self.consumer = self.make_consumer(self.handler.group)
        consumer.subscribe(list(self.handler.topics), on_assign=self.seek_to_stored, on_revoke=self._revoked)
        try:
            while not self._stop.is_set():
                records = self._poll(consumer)
                self.last_batch_at = time.monotonic()
                if records:
                    self._process(records)
        except BaseException as error:  # noqa: BLE001 - recorded for /readyz, then re-raised
            self.failed = error
            log.exception("consumer stopped", extra={"group": self.handler.group})
            raise
        finally:
            consumer.close()  # commits nothing: enable.auto.commit is off

    def _poll(self, consumer: Consumer) -> list[Record]:
        """Waits up to the poll timeout for a first record, then takes what is already fetched, up to
        ``max_records`` (``consume`` alone would wait for a full batch)."""
        first = consumer.poll(self.poll_timeout_ms / 1000)
        if first is None:
            return []
        messages = [first]
        if self.max_records > 1:
            messages += consumer.consume(self.max_records - 1, 0)
        records = []
        for message in messages:
            error = message.error()
            if error is None:
                records.append(Record(message))
            elif error.fatal():
                raise KafkaException(error)
            else:
                log.warning("consumer error", extra={"group": self.handler.group, "error": str(error)})
        return records

    def _process(self, records: list[Record]) -> None:
        started = time.perf_counter()
        next_offsets: dict[tuple[str, int], int] = {}
        for r in records:
            next_offsets[(r.topic, r.partition)] = max(next_offsets.get((r.topic, r.partition), 0), r.offset + 1)
        attempt = 0
        while True:
            try:
                with self.pool.connection() as conn, conn.transaction():
                    cur = self._transaction_cursor(conn)
                    dead = self.handler.handle(cur, records)
                    if dead:
                        send_dead_letters(self.dlt_producer, dead)
                        for letter in dead:
                            log.warning(
                                "record dead-lettered",
                                extra={"topic": letter.topic, "partition": letter.partition,
                                       "offset": letter.offset, "error": type(letter.error).__name__},
                            )  # fmt: skip
                    save_offsets(cur, self.handler.group, next_offsets)
                break
            except Exception as error:
                if classify(error) is not Action.RETRY or attempt >= 20:
                    raise
                attempt += 1
                log.warning("batch failed, retrying", extra={"group": self.handler.group, "attempt": attempt})
                time.sleep(min(0.1 * attempt, 2.0))
        self.applied += len(records)
        assert self.consumer is not None
        self.consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in next_offsets.items()], asynchronous=True
        )
        if self.metrics:
            self.metrics.on_batch(self.handler.group, len(records), time.perf_counter() - started, self.lag())

    def lag(self) -> int:
        """Records between our position and the end of each assigned partition (from fetch metadata)."""
        if self.consumer is None:
            return 0
        total = 0
        for tp in self.consumer.position(self.consumer.assignment()):
            _low, highwater = self.consumer.get_watermark_offsets(tp, cached=True) or (-1, -1)
            if highwater >= 0 and tp.offset >= 0:
                total += max(0, highwater - tp.offset)
        return total
