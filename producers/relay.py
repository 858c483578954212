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

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha1
from typing import Any, NamedTuple, Protocol, cast
from uuid import UUID, SafeUUID

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, UUIDAsHex, find_id_convertor
from eventsourcing.utils import resolve_topic
from psycopg import sql
from psycopg.rows import tuple_row

from producers import claim_check
from producers.eventsessions import mapping
from producers.eventsessions import topics
from producers.topics import physical

log = logging.getLogger(__name__)

#: Namespace of the message ids: the same event always gets the same id, resent or not.
MESSAGE_ID_NAMESPACE = UUID("6b1f0c52-8d0e-4a53-9d0c-5f3c0f4a2f11")
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


@dataclass(frozen=True)
class Scope:
    """The part of the log one relay publishes: events whose event-store topic starts with one of
    ``prefixes`` and, when ``others`` is set, every event whose topic starts with none of ``others``."""

    name: str
    prefixes: tuple[str, ...]
    others: tuple[str, ...] | None = None


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


class Row(NamedTuple):
    """A notification as the relay reads it (the attributes eventsourcing's mapper uses)."""

    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


class NotificationLog:
    """Reads a scope's notifications after a position, up to the log's highest id (one statement,
    one snapshot); returns them with that horizon."""

    def __init__(self, recorder: Any, scope: Scope | None) -> None:
        self.datastore = recorder.datastore
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        params: dict[str, Any] = {}
        where: sql.Composable
        if scope is None:
            where = sql.SQL("true")
        else:
            where = sql.SQL("topic ^@ ANY(%(prefixes)s)")
            params["prefixes"] = list(scope.prefixes)
            if scope.others is not None:
                where = sql.SQL("({} OR NOT topic ^@ ANY(%(others)s))").format(where)
                params["others"] = list(scope.others)
        self.params = params
        self.statement = sql.SQL(
            "SELECT h.horizon, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state"
            " FROM (SELECT max(notification_id) AS horizon FROM {table}) h LEFT JOIN LATERAL ("
            "  SELECT notification_id, originator_id, originator_version, topic, state FROM {table}"
            "  WHERE notification_id > %(start)s AND notification_id <= h.horizon AND {where}"
            "  ORDER BY notification_id LIMIT %(limit)s) e ON true"
        ).format(table=table, where=where)

    def read(self, start: int, limit: int) -> tuple[list[Row], int]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as cur:
            cur.execute(self.statement, {**self.params, "start": start, "limit": limit}, prepare=True)
            fetched = cur.fetchall()
        if not fetched or fetched[0][0] is None:
            return [], start  # an empty log
        horizon = fetched[0][0]
        if fetched[0][1] is None:
            return [], max(start, horizon)
        return [Row(r[1], r[2], r[3], r[4], bytes(r[5])) for r in fetched], horizon


class EventDecoder:
    """``app.mapper.to_domain_event`` for the relay: the same events, with less generic overhead
    (class, id converter and transcodings looked up once).  Mappers with a cipher, a compressor
    or another transcoder are used as they are."""

    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.fast = mapper.cipher is None and mapper.compressor is None and type(transcoder) is JSONTranscoder
        decoders = {name: t.decode for name, t in transcoder.names.items()}
        for name, t in transcoder.names.items():  # the stock transcodings, minus their checks
            if type(t) is UUIDAsHex:
                decoders[name] = _uuid_of_hex
            elif type(t) is DatetimeAsISO:
                decoders[name] = datetime.fromisoformat
        self._decoders = decoders
        self._json = json.JSONDecoder(object_hook=self._object)
        self._classes: dict[tuple[str, type], tuple[type, Callable[[Any], Any], int]] = {}

    def _object(self, d: dict[str, Any]) -> Any:
        if len(d) == 2 and "_type_" in d and "_data_" in d:
            return self._decoders[d["_type_"]](d["_data_"])
        return d

    def __call__(self, row: Row) -> Any:
        if not self.fast:
            return self.mapper.to_domain_event(row)
        key = (row.topic, type(row.originator_id))
        known = self._classes.get(key)
        if known is None:
            cls = resolve_topic(row.topic)
            convert_id = find_id_convertor(cls, cast(Hashable, key[1]))
            known = self._classes[key] = (cls, convert_id, getattr(cls, "class_version", 1))
        cls, convert_id, class_version = known
        text = row.state.decode("utf8")
        state, end = self._json.raw_decode(text)  # stored JSON has no surrounding whitespace
        if end != len(text):
            state = self._json.decode(text)  # let the full decoder say what is wrong
        state["originator_id"] = convert_id(row.originator_id)
        state["originator_version"] = row.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event


def _uuid_of_hex(data: str) -> UUID:
    """``UUID(data)`` for the 32 hex digits ``UUIDAsHex`` stores (``UUID.hex``), without
    ``UUID.__init__``'s parsing; anything else goes through ``UUID``."""
    if len(data) != 32:
        return UUID(data)
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(data, 16))
    object.__setattr__(value, "is_safe", _UNKNOWN_SAFETY)
    return value


_UNKNOWN_SAFETY = SafeUUID.unknown


def message_id(aggregate_id: str, version: int) -> str:
    """``str(uuid5(MESSAGE_ID_NAMESPACE, f"{aggregate_id}:{version}"))``, computed directly."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + f"{aggregate_id}:{version}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE_BYTES = MESSAGE_ID_NAMESPACE.bytes


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
        """Relays until ``stop()``; waits for new notifications when the log is drained.

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
                if read == 0:
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
            ("ce_id", str(outgoing.message_id).encode() if outgoing.message_id else message_id(aggregate_id, version).encode()),
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
