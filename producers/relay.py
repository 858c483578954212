"""The relay: the application's notification log -> domain topics, nothing lost, nothing skipped.

One loop: read the notifications after the recorded position, publish them in order, wait until the
broker has acknowledged every one (``flush`` on an idempotent ``acks=all`` producer), and only then
record the new position in PostgreSQL.  A crash anywhere before that record re-sends the tail: the
topics may hold a duplicate, never a gap.  Consumers drop duplicates by aggregate version.

The notification log is safe to tail: eventsourcing takes a table lock while inserting, so
notification ids become visible in order, and once the log's highest id is visible every lower id
that will ever exist is visible too.

Scopes (one relay per topic): a relay may publish only part of the log, the events of the aggregates
whose messages go to one domain topic (``scopes()``).  Each scope has its own position, so the
scopes run in parallel processes (``infra.service``) and each topic keeps its per-key order: one
relay, reading in notification order, publishes everything that goes to it.  The first scope also
takes every event of an aggregate no scope names, so the scopes together cover the whole log.  A
scope's query reads up to the log's highest id at that moment (its horizon); when it returns less
than a full batch, the scope has seen everything up to the horizon and moves its position there, so
a scope with few events never rescans the log.

Faults: a broker outage only makes the relay wait for its acks (in short steps, so that ``stop()``
is heard; the position is then left where it was).  A message the broker refuses as too large is
published as a claim check (``producers.claim_check``), in its place, never skipped.  ``checkpoint``
runs after the acks and before the position is saved: the service checks there that this process
still holds its scope's lock (and a test may pause there to kill it inside a batch).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from producers import claim_check
from producers.notification_log import (  # noqa: F401 - re-exported: the relay's parts
    MESSAGE_ID_NAMESPACE,
    EventDecoder,
    NotificationLog,
    Row,
    Scope,
    message_id,
)  # fmt: skip
from producers.topics import physical

if TYPE_CHECKING:
    from producers.registry import Outgoing, Registry

log = logging.getLogger(__name__)

#: ``ce_source`` is ``sessionstream/<context>``.
CE_SOURCE_PREFIX = "sessionstream/"
#: Seconds between saves of a position that moved only because the scope had nothing to publish.
SCAN_SAVE_INTERVAL = 1.0
#: Seconds per wait for the broker's acks (``stop()`` is heard between two).
ACK_WAIT_STEP = 0.5
#: Room left for the key, the headers and the record's framing under the broker's message limit.
ENVELOPE_BYTES = 8 * 1024


class DeliveryFailed(Exception):
    """The broker did not acknowledge a message and will not (a permanent refusal)."""


class MessageTooLarge(DeliveryFailed):
    """The broker (or the producer) refused a message for its size."""


class FlushTimeout(Exception):
    """Some messages have no ack yet: the broker is slow or away; they are still being sent."""


class ClientStuck(Exception):
    """The Kafka client will not recover from a broker restart by itself (it lost every broker, or its
    group's coordinator): whoever owns it builds a new one, which sends its unacknowledged messages again."""


class RelayStopped(Exception):
    """``stop()`` arrived while waiting for acks: the batch is left unrecorded, to be sent again."""


class Position(Protocol):
    def load(self) -> int: ...
    def save(self, notification_id: int) -> None: ...


class Delivered(Protocol):
    def get(self, timeout: float | None = None) -> Any:
        """Raises if the message was not acknowledged."""
        ...


class Sender(Protocol):
    def send(self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Delivered: ...
    def flush(self, timeout: float | None = None) -> None: ...


class RelayMetrics(Protocol):
    def on_published(self, count: int, position: int) -> None: ...

    # Optional: ``on_progress(position, horizon)`` after every read, caught up or not.


@dataclass
class RelayStats:
    published: int = 0
    skipped: int = 0
    position: int = 0


def scopes(registry: Registry, quiet_topics: Sequence[str] = ()) -> list[Scope]:
    """One scope per busy domain topic, over the aggregates that publish to it (``registry``).  Every
    idle relay still wakes on each commit to look, so the quiet topics share the first scope's process."""
    by_topic: dict[str, list[str]] = {}
    for prefix, topic in registry.topics_by_aggregate().items():
        if topic not in quiet_topics:
            by_topic.setdefault(topic, []).append(prefix)
    known = tuple(p for prefixes in by_topic.values() for p in prefixes)
    return [
        Scope(topic, tuple(prefixes), others=known if i == 0 else None)
        for i, (topic, prefixes) in enumerate(by_topic.items())
    ]


class Relay:
    """Publishes the application's notification log (or one scope of it) to Kafka (see the module
    docstring)."""

    def __init__(
        self,
        app: Any,
        sender: Sender,
        position: Position,
        registry: Registry,
        *,
        topic_prefix: str = "",
        batch_size: int = 2000,
        scope: Scope | None = None,
        wait_for_new: Callable[[float], None] | None = None,
        metrics: RelayMetrics | None = None,
        checkpoint: Callable[[int], None] | None = None,
        message_max_bytes: int = 1_000_000,
    ) -> None:
        self.app = app
        self.sender = sender
        self.position = position
        self.prefix = topic_prefix
        self.batch_size = batch_size
        self.scope = scope
        self.wait_for_new = wait_for_new or (lambda timeout: threading.Event().wait(min(timeout, 0.005)))
        self.metrics = metrics
        self.progress: Callable[[int, int], None] | None = getattr(metrics, "on_progress", None)
        self.checkpoint = checkpoint
        self.value_limit = message_max_bytes - ENVELOPE_BYTES
        #: (notification id, index) of messages the broker refused whole: sent as claim checks.
        self.claim_checked: set[tuple[int, int]] = set()
        self.claim_checks = 0
        self.stats = RelayStats(position=position.load())
        self.messages_of = registry.bind(app.repository)
        self.log = NotificationLog(app.recorder, scope)
        self.decode = EventDecoder(app.mapper)
        self._saved = self.stats.position
        self._saved_at = time.monotonic()
        self._stop = threading.Event()
        # Cheap repeats: each aggregate's id as str and bytes, each event type and schema version as bytes.
        self._ids: dict[int, tuple[str, bytes]] = {}
        self._bytes: dict[object, bytes] = {}

    def stop(self) -> None:
        self._stop.set()

    def run(self, idle_wait: float = 0.5) -> None:
        """Relays until ``stop()``; waits for new notifications once a batch comes back short (drained).

        While a full batch is published, the next one is read in a helper thread (the query's wait
        overlaps the mapping); batches are still published and recorded one after the other."""
        with ThreadPoolExecutor(1, thread_name_prefix="relay-read") as reader:
            ahead: Future[tuple[list[Row], int]] | None = None
            while not self._stop.is_set():
                start = self.stats.position
                rows, horizon = ahead.result() if ahead is not None else self.log.read(start, self.batch_size)
                ahead = None
                if len(rows) >= self.batch_size:
                    ahead = reader.submit(self.log.read, rows[-1].id, self.batch_size)
                try:
                    read = self._publish(start, rows, horizon)
                except RelayStopped:
                    return
                if read < self.batch_size:
                    # A short batch read everything up to the log's horizon: anything committed since
                    # notifies the waiter (it listens before this read), so reading again at once would
                    # only find nothing, once per wake-up of every relay process.
                    self.wait_for_new(idle_wait)

    def relay_once(self) -> int:
        """Publishes one batch after the recorded position; returns how many notifications it read."""
        start = self.stats.position
        return self._publish(start, *self.log.read(start, self.batch_size))

    def _publish(self, start: int, rows: list[Row], horizon: int) -> int:
        # A short batch is everything up to the horizon; a full one, everything up to its last row.
        end = rows[-1].id if len(rows) >= self.batch_size else max(horizon, start)
        sent = 0
        while rows:
            deliveries = []
            for row in rows:
                for index, outgoing in enumerate(self.messages_of(self.decode(row))):
                    deliveries.append((row.id, index, self._send(row.id, outgoing, index)))
            sent = len(deliveries)
            refused = self._acknowledged(deliveries)
            if not refused:
                break
            # Send the batch again, in order, with those as claim checks (the acked ones are
            # duplicates, which consumers drop by version).
            self.claim_checked |= refused
            log.warning("broker refused messages as too large; sending claim checks", extra={"messages": len(refused)})
        if self.checkpoint is not None:
            self.checkpoint(sent)
        now = time.monotonic()
        # A position that moved over other scopes' events only is saved now and then, not each time.
        if end > self._saved and (rows or now - self._saved_at >= SCAN_SAVE_INTERVAL):
            self.position.save(end)
            self._saved, self._saved_at = end, now
        self.stats.position = end
        self.stats.published += sent
        self.stats.skipped += len(rows) - sent
        if self.metrics and end > start:
            self.metrics.on_published(sent, end)
        if self.progress is not None:
            self.progress(end, horizon)
        return len(rows)

    def _acknowledged(self, deliveries: list[tuple[int, int, Delivered]]) -> set[tuple[int, int]]:
        """Waits for every ack (the broker may be away for a while: we wait, in steps that let
        ``stop()`` in); returns the messages refused as too large; raises on any other refusal."""
        if not deliveries:
            return set()
        while True:
            try:
                self.sender.flush(ACK_WAIT_STEP)
                break
            except FlushTimeout:
                if self._stop.is_set():
                    raise RelayStopped() from None
        refused: set[tuple[int, int]] = set()
        for notification_id, index, delivery in deliveries:
            try:
                delivery.get(timeout=0)
            except MessageTooLarge:
                if (notification_id, index) in self.claim_checked:
                    raise  # even the claim check was refused: nothing smaller to send
                refused.add((notification_id, index))
        return refused

    def _send(self, notification_id: int, outgoing: Outgoing, index: int = 0) -> Delivered:
        message = outgoing.message
        aggregate_id, aggregate_id_bytes = self._id(message.aggregate_id)
        version = message.version
        version_bytes = str(version).encode()
        key = self._id(outgoing.key)[1] if isinstance(outgoing.key, UUID) else outgoing.key.encode()
        headers = [
            ("ce_specversion", b"1.0"),
            # A notification has its own id; a domain message's derives from its aggregate and version.
            (
                "ce_id",
                str(outgoing.message_id).encode()
                if outgoing.message_id
                else message_id(aggregate_id, version).encode(),
            ),
            ("ce_type", self._as_bytes(outgoing.event_type)),
            ("ce_source", self._as_bytes(CE_SOURCE_PREFIX + outgoing.context)),
            ("ce_subject", aggregate_id_bytes),
            ("ce_time", message.occurred_at.isoformat().encode()),
            ("schema_version", self._as_bytes(message.schema_version)),
            ("aggregate_id", aggregate_id_bytes),
            ("aggregate_version", version_bytes),
            ("notification_id", str(notification_id).encode()),
            # Commands do not carry a correlation id yet: the message key groups what belongs together.
            ("correlation_id", key),
        ]
        value = message.__pydantic_serializer__.to_json(message)
        if len(value) > self.value_limit or (notification_id, index) in self.claim_checked:
            value = claim_check.claim(notification_id, index, aggregate_id, version)
            headers.append((claim_check.HEADER, b"1"))
            self.claim_checks += 1
        try:
            return self.sender.send(physical(outgoing.topic, self.prefix), key=key, value=value, headers=headers)
        except MessageTooLarge:
            if (notification_id, index) in self.claim_checked:
                raise
            self.claim_checked.add((notification_id, index))  # refused by the producer itself
            return self._send(notification_id, outgoing, index)

    def _id(self, value: UUID) -> tuple[str, bytes]:
        known = self._ids.get(value.int)  # an int hashes faster than a UUID
        if known is None:
            if len(self._ids) >= 200_000:
                self._ids.clear()
            text = str(value)
            known = self._ids[value.int] = (text, text.encode())
        return known

    def _as_bytes(self, value: object) -> bytes:
        known = self._bytes.get(value)
        if known is None:
            known = self._bytes[value] = str(value).encode()
        return known


def covers(scope_list: Sequence[Scope], topic: str) -> list[str]:
    """The names of the scopes that take an event-store topic (exactly one, for any topic)."""
    return [
        s.name for s in scope_list
        if topic.startswith(s.prefixes) or (s.others is not None and not topic.startswith(s.others))
    ]  # fmt: skip
