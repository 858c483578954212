"""The consumer runner: poll a batch, hand it to a handler, record offsets in the same transaction.

- Offsets live in PostgreSQL (``consumer_offsets``), written in the transaction that applies the
  batch; on every assignment the runner seeks to them, so a crash at any point replays exactly the
  batch that was not committed.  Kafka's own group offsets are committed afterwards, for lag tools only.
- A record the handler cannot decode is dead-lettered (and acked by the broker) before the
  transaction commits; the runner goes on with the next record.
- ``stop()`` (SIGTERM) lets the current batch finish, then closes the consumer.
- A transient failure (PostgreSQL away, a serialisation conflict, the broker away while a dead
  letter waits for its ack) retries the same batch in place, forever, with backoff
  (``error_policy.TRANSIENT``); the runner's ``condition`` says ``retrying`` meanwhile.  Any other
  failure ends ``run()``: its supervisor (``consumers.supervisor``) builds a new runner, which seeks
  to the stored offsets again.
- ``lag()``: records behind the ends of the assigned partitions, and how old the last applied
  record is while some are waiting.
- A client stuck for good (``ClientStuck``: librdkafka can lose every broker, or its group's
  coordinator, when a single-node broker restarts, and then never rejoins its group) ends ``run()``
  too, so that the supervisor's next runner builds a new one.

The consumer is confluent-kafka's (see ``infra.kafka``): the seek to stored offsets happens in its
``on_assign`` callback, which assigns the partitions at those offsets.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition
from psycopg import Connection, Cursor, sql
from psycopg_pool import ConnectionPool

from consumers.dead_letters import DeadLetter, send_dead_letters
from consumers.error_policy import TRANSIENT, transient
from consumers.supervisor import Condition, attempt_state
from producers.relay import ClientStuck

log = structlog.get_logger(__name__)

#: Seconds between two lag measurements while idle.
LAG_EVERY_S = 1.0
#: Seconds at least between two lag measurements, and between two offset commits to the broker, while
#: batches stream in: both were taken after every batch, which under a stream of small batches (a
#: PATCH a few milliseconds) was a tenth of a consumer's work and a commit request per batch at the broker.
BUSY_EVERY_S = 0.25


class Stopped(Exception):
    """``stop()`` arrived while a batch waited for a dependency: it is left uncommitted, to be read again."""


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

    __slots__ = ("_message", "key", "offset", "partition", "topic", "value")

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

    @property
    def timestamp_ms(self) -> int:
        return int(self._message.timestamp()[1])


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
        self.condition = Condition(f"consumer:{handler.group}")
        self._lag_events = 0
        self._lag_at = 0.0
        self._applied_at = 0.0  # when the last batch was applied
        self._unsent_offsets: dict[tuple[str, int], int] = {}  # applied, not yet committed to the broker
        self._sent_offsets_at = 0.0
        self._last_record_ms = 0
        self._caught_up_at = time.time()

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
        log.info("partitions assigned", group=self.handler.group, partitions=len(partitions))

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Nothing to flush: every applied batch already recorded its offsets.
        log.info("partitions revoked", group=self.handler.group, partitions=len(partitions))

    def run(self) -> None:
        """Consumes until ``stop()``; a failure that is not transient ends it (see ``failed``)."""
        consumer = self.consumer = self.make_consumer(self.handler.group)
        consumer.subscribe(list(self.handler.topics), on_assign=self.seek_to_stored, on_revoke=self._revoked)
        self.condition.state = "running"
        try:
            while not self._stop.is_set():
                records = self._poll(consumer)
                self.last_batch_at = time.monotonic()
                if records:
                    self._process(records)
                    continue
                if self._unsent_offsets:
                    self._send_offsets()
                if self._lag_at <= self._applied_at or self.last_batch_at - self._lag_at >= LAG_EVERY_S:
                    self._measure_lag()
                    self._check_client(consumer)
        except Stopped:
            pass
        except BaseException as error:  # recorded for /readyz, then re-raised
            self.failed = error
            raise
        finally:
            if self._unsent_offsets:
                self._send_offsets()
            consumer.close()  # commits nothing itself: enable.auto.commit is off; leaves the group at once

    def _check_client(self, consumer: Consumer) -> None:
        """Ends ``run()`` if the client is stuck: it would wait, unassigned, forever
        (``infra.kafka.STUCK_AFTER_S``); the supervisor's next runner builds a new client."""
        # Clients made by ``infra.kafka`` say so; a bare confluent-kafka consumer cannot tell.
        if getattr(consumer, "stuck", False):
            raise ClientStuck(f"the consumer of {self.handler.group} is stuck")

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
            else:  # the broker away, a partition's end: the client's own log says it once (infra.kafka)
                log.debug("consumer error", group=self.handler.group, error=str(error))
        return records

    def _process(self, records: list[Record]) -> None:
        started = time.perf_counter()
        next_offsets: dict[tuple[str, int], int] = {}
        for r in records:
            next_offsets[(r.topic, r.partition)] = max(next_offsets.get((r.topic, r.partition), 0), r.offset + 1)
        attempt = 0
        while True:
            try:
                self._apply(records, next_offsets)
                break
            except Exception as error:
                if not transient(error):
                    raise
                attempt += 1
                self.condition.fail(error)
                if self._stop.wait(TRANSIENT(attempt_state(attempt))):
                    raise Stopped() from error
        if attempt:
            self.condition.ok()
        self.applied += len(records)
        self._last_record_ms = max(self._last_record_ms, records[-1].timestamp_ms)
        self._unsent_offsets.update(next_offsets)
        self._applied_at = now = time.monotonic()
        if now - self._sent_offsets_at >= BUSY_EVERY_S:
            self._send_offsets()
        if now - self._lag_at >= BUSY_EVERY_S:
            self._measure_lag()
        if self.metrics:
            self.metrics.on_batch(self.handler.group, len(records), time.perf_counter() - started, self._lag_events)

    def _apply(self, records: list[Record], next_offsets: dict[tuple[str, int], int]) -> None:
        with self.pool.connection() as conn, conn.transaction():
            cur = self._transaction_cursor(conn)
            dead = self.handler.handle(cur, records)
            if dead:
                send_dead_letters(self.dlt_producer, dead, self._stop.is_set, group=self.handler.group)
                for letter in dead:
                    log.warning(
                        "record dead-lettered", group=self.handler.group, topic=letter.topic,
                        partition=letter.partition, offset=letter.offset, error=type(letter.error).__name__,
                    )  # fmt: skip
            save_offsets(cur, self.handler.group, next_offsets)

    def _send_offsets(self) -> None:
        """Commits the applied offsets to the broker too, for lag tools only: ours are in PostgreSQL."""
        assert self.consumer is not None
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._unsent_offsets.items()]
        self._unsent_offsets, self._sent_offsets_at = {}, time.monotonic()
        with contextlib.suppress(KafkaException):
            self.consumer.commit(offsets=offsets, asynchronous=True)

    def _measure_lag(self) -> None:
        """Records between our position and the end of each assigned partition (from fetch metadata)."""
        self._lag_at = time.monotonic()
        consumer = self.consumer
        if consumer is None:
            return
        total = 0
        try:
            for tp in consumer.position(consumer.assignment()):
                _low, highwater = consumer.get_watermark_offsets(tp, cached=True) or (-1, -1)
                if highwater >= 0 and tp.offset >= 0:
                    total += max(0, highwater - tp.offset)
        except (KafkaException, RuntimeError):
            return
        self._lag_events = total
        if total == 0:
            self._caught_up_at = time.time()

    def lag(self) -> tuple[int, float]:
        """(records waiting, and seconds the read model is behind while some wait: since the later of
        the last applied record's production and the last moment nothing was waiting)."""
        events = self._lag_events
        if events == 0:
            return 0, 0.0
        return events, max(0.0, time.time() - max(self._last_record_ms / 1000, self._caught_up_at))
