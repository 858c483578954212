"""Claim checks: how a message too large for the broker still reaches its topic, in its place.

The relay never skips a stored event and never stops on one.  When a message would exceed the
broker's limit (``message_max_bytes``; or the broker refused it with ``MSG_SIZE_TOO_LARGE``), the
relay publishes, at the same place in the order, on the same topic with the same key and headers, a
small message that names the stored event instead (``claim(...)``), plus the header
``claim_check: 1``.  A consumer resolves it (``ClaimChecks.resolve``) by loading that event from the
event store and mapping it exactly as the relay does, so the read model sees the same message as if
it had travelled whole.  External consumers see the header and the reference:

    {"claim_check": {"notification_id": 123, "index": 0, "aggregate_id": "...", "version": 4}}

``index`` is the message's place among those the event maps to (most events map to one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

HEADER = "claim_check"
PREFIX = b'{"claim_check":'


def claim(notification_id: int, index: int, aggregate_id: str, version: int) -> bytes:
    reference = {"notification_id": notification_id, "index": index, "aggregate_id": aggregate_id, "version": version}
    return json.dumps({"claim_check": reference}, separators=(",", ":")).encode()


def is_claim(value: bytes | None) -> bool:
    """Cheap enough for every record: a prefix test, no header parsing."""
    return value is not None and value.startswith(PREFIX)


class ClaimChecks:
    """Resolves claim checks against the event store (``app``: any application over it), mapping the
    named event through ``registry`` (``producers.catalogue.REGISTRY``) as the relay did."""

    def __init__(self, app: Any, registry: Any) -> None:
        self.app = app
        self.registry = registry
        self._messages_of: Callable[[Any], list[Any]] | None = None

    def resolve(self, topic: str, value: bytes) -> bytes:
        """The message a claim check on the logical ``topic`` stands for, as the relay would have sent it."""
        reference = json.loads(value)["claim_check"]
        notification_id = int(reference["notification_id"])
        found = self.app.recorder.select_notifications(start=notification_id, limit=1)
        if not found or found[0].id != notification_id:
            raise LookupError(f"claim check names notification {notification_id}, which the event store lacks")
        if self._messages_of is None:
            self._messages_of = self.registry.bind(self.app.repository)
        outgoing = self._messages_of(self.app.mapper.to_domain_event(found[0]))[int(reference["index"])]
        if outgoing.topic != topic:
            raise LookupError(f"claim check for {outgoing.topic} found on {topic}")
        message = outgoing.message
        return bytes(message.__pydantic_serializer__.to_json(message))
