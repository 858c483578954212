"""``sessionstream audit replay``: the stored history onto a topic of the auditor's choice.

The messages are the relay's own: the log is read in order (``infra.audit.log``), every event is
decoded and mapped as the relay does, and each domain message is built and sent by the relay's own
``Relay._send`` (same value, key and headers), through a sender that redirects it to the auditor's
topic and adds ``ce_replay: true``.  The replayed messages are the domain messages only (one per
event); notifications for a mailer are not history.  The topic is created if missing, with one
partition by default, so the whole topic is in log order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from infra import kafka
from infra.audit.log import LogReader, Window, prefixes
from producers.catalogue import DECODERS, REGISTRY
from producers.relay import Delivered, Relay, Sender

Progress = Callable[[int, int], None]  # (events read, last notification id)
REPLAY_HEADER = ("ce_replay", b"true")


class ReplaySender:
    """A relay ``Sender`` that sends everything to one topic, marked as a replay."""

    def __init__(self, inner: Sender, topic: str) -> None:
        self.inner = inner
        self.topic = topic

    def send(self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Delivered:
        return self.inner.send(self.topic, key=key, value=value, headers=[*headers, REPLAY_HEADER])

    def flush(self, timeout: float | None = None) -> None:
        self.inner.flush(timeout)


class _Unrecorded:
    """A replay has no position of its own: it reads its window from the start every time."""

    def load(self) -> int:
        return 0

    def save(self, notification_id: int) -> None:
        pass


def contexts() -> list[str]:
    return sorted({m.context for m in REGISTRY.mappings})


def replay(
    app: Any,
    sender: Sender,
    topic: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    context: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Publishes the events of the window, in log order, to ``topic``; returns how many messages."""
    if context is not None and context not in contexts():
        raise ValueError(f"unknown context {context!r}; known: {', '.join(contexts())}")
    redirect = ReplaySender(sender, topic)
    relay = Relay(app, redirect, _Unrecorded(), REGISTRY)
    chosen = prefixes(REGISTRY, context=context) if context is not None else None
    reader = LogReader(app, Window(prefixes=chosen, since=since, until=until))
    published = 0
    for rows in reader.batches():
        futures = [
            relay._send(row.id, outgoing)  # the relay's own message building
            for row in rows
            for outgoing in relay.messages_of(relay.decode(row))
            if outgoing.topic in DECODERS
        ]
        if futures:
            redirect.flush()
            for future in futures:
                future.get(timeout=0)  # raises if the broker did not acknowledge it
        published += len(futures)
        if progress:
            progress(len(rows), rows[-1].id)
    return published


def ensure_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    kafka.ensure_topics(bootstrap, "", partitions, names=[topic])
