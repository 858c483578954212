"""Dead letters: the original record, untouched, plus headers that say where it came from and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from producers.relay import FlushTimeout

#: Seconds per wait for the dead letters' acks (``stopping`` is checked between two).
ACK_WAIT_STEP = 0.5


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the origin topic (physical name)
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    error: BaseException

    @classmethod
    def of(cls, record: Any, error: BaseException) -> DeadLetter:
        return cls(
            record.topic, record.partition, record.offset, record.key, record.value,
            list(record.headers or []), error,
        )  # fmt: skip

    def dlt_headers(self) -> list[tuple[str, bytes]]:
        return [
            *self.headers,
            ("dlt.origin.topic", self.topic.encode()),
            ("dlt.origin.partition", str(self.partition).encode()),
            ("dlt.origin.offset", str(self.offset).encode()),
            ("dlt.exception.class", type(self.error).__qualname__.encode()),
            ("dlt.exception.message", str(self.error)[:4000].encode()),
        ]


def send_dead_letters(
    producer: Any, letters: list[DeadLetter], stopping: Callable[[], bool] = lambda: False, *, group: str | None = None
) -> None:
    """Publishes and waits for the broker's ack: a dead letter is never lost before its offset moves on.
    The broker may be away for long: the wait goes on until it is back, or until ``stopping()``
    (``TimeoutError``: the batch is then left uncommitted, to be read again)."""
    extra = [] if group is None else [("dlt.consumer.group", group.encode())]
    futures = [
        producer.send(f"{d.topic}.DLT", key=d.key, value=d.value, headers=d.dlt_headers() + extra) for d in letters
    ]
    while True:
        try:
            producer.flush(ACK_WAIT_STEP)
            break
        except FlushTimeout:
            if stopping():
                raise TimeoutError("stopping while dead letters wait for the broker") from None
    for future in futures:
        future.get(timeout=0)
