"""The audit chain's definition (shared by every context) and its checkpoint message.

Every stored event is sealed, in log order, into one SHA-256 hash chain::

    hash(n) = SHA-256(hash(n-1) || canonical(n))        hash(0) = 32 zero bytes

where ``n`` runs over the stored events in notification-id order (ids a rolled-back insert used up
are simply absent) and ``canonical(n)`` is the concatenation, for each of these five fields in this
order, of the field's length in bytes as a 4-byte big-endian unsigned integer, then the field's bytes:

1. aggregate id: the event's ``originator_id`` as 36 lowercase hyphenated hex digits (ASCII);
2. version: the event's ``originator_version`` in decimal (ASCII);
3. type: the event's type as stored, eventsourcing's topic of its class (the ``topic`` column,
   ``domain.eventsessions.registration:Registration.StateChanged``), UTF-8;
4. timestamp: the event's ``timestamp`` as stored, the ISO 8601 text of its datetime transcoding
   (``2025-10-06T09:00:00.123456+00:00``), UTF-8; empty when the stored state has none;
5. data: the event's ``state`` column, byte for byte as the application's mapper stored it.

Why stored values and not decoded ones: every stored bit is covered, anyone with the table and a
SHA-256 can recompute the chain, and the hashes never change when the code does (an upcaster added,
a class renamed or moved: the dotted type names shown to auditors come from the classes, the chain
does not).  The chain head is published on ``audit.checkpoints.v1`` (``ChainCheckpoint``), outside
PostgreSQL, so a rewrite of the events *and* of the sealed chain is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from producers.topics import TopicSpec

#: The chain heads of every event store this service seals (key = the log's name).
AUDIT_CHECKPOINTS = "audit.checkpoints.v1"
#: The hash before the first event.
GENESIS = bytes(32)
SCHEMA_VERSION = 1

_TIMESTAMP_PREFIX = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_PREFIX_LENGTH = len(_TIMESTAMP_PREFIX)


def stored_timestamp(state: bytes) -> bytes:
    """The ``timestamp`` text inside a stored state.  eventsourcing writes it first, so a prefix test
    finds it without parsing; anything else is parsed."""
    if state.startswith(_TIMESTAMP_PREFIX):
        end = state.find(b'"', _PREFIX_LENGTH)
        if end > 0:
            return state[_PREFIX_LENGTH:end]
    try:
        decoded = json.loads(state)
    except (ValueError, UnicodeDecodeError):
        return b""
    value = decoded.get("timestamp") if isinstance(decoded, dict) else None
    if isinstance(value, dict):
        value = value.get("_data_")
    return str(value).encode() if value is not None else b""


def canonical(aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The canonical bytes of one stored event (see the module docstring)."""
    fields = (str(aggregate_id).encode(), str(version).encode(), topic.encode(), stored_timestamp(state), state)
    return b"".join(len(f).to_bytes(4, "big") + f for f in fields)


def link(previous: bytes, event_bytes: bytes) -> bytes:
    return hashlib.sha256(previous + event_bytes).digest()


def seal(previous: bytes, rows: Iterable[Any]) -> list[tuple[int, bytes]]:
    """``(position, hash)`` of each row (``id``, ``originator_id``, ``originator_version``, ``topic``,
    ``state``, as the relay reads them), chained from ``previous``."""
    links: list[tuple[int, bytes]] = []
    sha256 = hashlib.sha256
    for row in rows:
        previous = sha256(
            previous + canonical(row.originator_id, row.originator_version, row.topic, row.state)
        ).digest()
        links.append((row.id, previous))
    return links


class ChainCheckpoint(BaseModel):
    """The chain's head at one position: ``hash`` is ``hash(n)`` (hex) of the event at ``position``,
    the ``events``-th event sealed."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["ChainCheckpoint"] = "ChainCheckpoint"
    schema_version: int = SCHEMA_VERSION
    log: str
    position: int = Field(ge=1)
    hash: str = Field(pattern="^[0-9a-f]{64}$")
    events: int = Field(ge=1)
    sealed_at: datetime


def decode_checkpoint(value: bytes) -> ChainCheckpoint:
    return ChainCheckpoint.model_validate_json(value)


CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(
        AUDIT_CHECKPOINTS, "the log's name", "the audit hash chain's head, at least every 1,000 events or 10 s",
        messages=ChainCheckpoint, config=(("retention.ms", "-1"),),  # kept forever: verify reads them all
    ),
)  # fmt: skip
