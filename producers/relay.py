"""The relay: the application's notification log -> domain topics, nothing lost, nothing skipped.

One loop: read the notifications after the recorded position, publish them in order, wait until the
broker has acknowledged every one (``flush`` on an idempotent ``acks=all`` producer), and only then
record the new position in PostgreSQL.  A crash anywhere before that record re-sends the tail: the
topics may hold a duplicate, never a gap.  Consumers drop duplicates by aggregate version.

The notification log is safe to tail: eventsourcing takes a table lock while inserting, so
notification ids become visible in order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID, uuid5

from eventsourcing.persistence import Notification

from producers import mapping
from producers.topics import physical

log = logging.getLogger(__name__)

#: Namespace of the message ids: the same event always gets the same id, resent or not.
MESSAGE_ID_NAMESPACE = UUID("6b1f0c52-8d0e-4a53-9d0c-5f3c0f4a2f11")
CE_SOURCE = b"sessionstream/eventsessions"


class Position(Protocol):
    def load(self) -> int: ...
    def save(self, notification_id: int) -> None: ...


class Sender(Protocol):
    def send(self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Any: ...
    def flush(self, timeout: float | None = None) -> None: ...


class RelayMetrics(Protocol):
    def on_published(self, count: int, position: int) -> None: ...


@dataclass
class RelayStats:
    published: int = 0
    skipped: int = 0
    position: int = 0


class Relay:
    """Publishes the application's notification log to Kafka (see the module docstring)."""

    def __init__(
        self,
        app: Any,
        sender: Sender,
        position: Position,
        *,
        topic_prefix: str = "",
        batch_size: int = 2000,
        wait_for_new: Callable[[float], None] | None = None,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self.app = app
        self.sender = sender
        self.position = position
        self.prefix = topic_prefix
        self.batch_size = batch_size
        self.wait_for_new = wait_for_new or (lambda timeout: threading.Event().wait(min(timeout, 0.005)))
        self.metrics = metrics
        self.stats = RelayStats(position=position.load())
        self.parents = mapping.ParentIndex(app.repository)
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self, idle_wait: float = 0.5) -> None:
        """Relays until ``stop()``; waits for new notifications when the log is drained."""
        while not self._stop.is_set():
            if self.relay_once() == 0:
                self.wait_for_new(idle_wait)

    def relay_once(self) -> int:
        """Publishes one batch after the recorded position; returns how many notifications it read."""
        start = self.stats.position
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        futures = [self._send(n, out) for n, out in mapping.messages_of(self.app, notifications, self.parents)]
        self.sender.flush()
        for future in futures:
            # get() re-raises a failed send; the position is then left where it was.
            future.get(timeout=0)
        last = notifications[-1].id
        self.position.save(last)
        self.stats.position = last
        self.stats.published += len(futures)
        self.stats.skipped += len(notifications) - len(futures)
        if self.metrics:
            self.metrics.on_published(len(futures), last)
        return len(notifications)

    def _send(self, notification: Notification, outgoing: mapping.Outgoing) -> Any:
        message = outgoing.message
        aggregate_id = str(message.aggregate_id)
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", str(outgoing.message_id or uuid5(MESSAGE_ID_NAMESPACE, f"{aggregate_id}:{message.version}")).encode()),
            ("ce_type", outgoing.event_type.encode()),
            ("ce_source", CE_SOURCE),
            ("ce_subject", aggregate_id.encode()),
            ("ce_time", message.occurred_at.isoformat().encode()),
            ("schema_version", str(message.schema_version).encode()),
            ("aggregate_id", aggregate_id.encode()),
            ("aggregate_version", str(message.version).encode()),
            ("notification_id", str(notification.id).encode()),
            # Commands do not carry a correlation id yet: the parent event groups what belongs together.
            ("correlation_id", str(outgoing.key).encode()),
        ]
        return self.sender.send(
            physical(outgoing.topic, self.prefix),
            key=str(outgoing.key).encode(),
            value=message.model_dump_json().encode(),
            headers=headers,
        )
