"""A read model behind the consumer runner: decode, drop duplicates, apply, in the runner's transaction.

A record the read model cannot apply (a value PostgreSQL refuses, a message that does not parse) is
permanent for that record only: the batch is applied again record by record, each in a savepoint,
to isolate it; it goes to the dead-letter topic (by the runner, with its headers) and to a row of
``projection_errors`` (which ``projections verify`` and ``/readyz`` report), its version counts as
seen, and the read model goes on with the next record.  A transient failure (PostgreSQL away) is
not isolated: it fails the whole batch, which the runner retries.

A claim check (``producers.claim_check``: a message too large for the broker, replaced by a
reference to the stored event) is resolved against the event store before decoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from psycopg import Cursor

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from consumers.supervisor import describe
from producers.catalogue import decoder_for
from producers.claim_check import is_claim
from producers.messages import Message
from producers.topics import physical
from projections.base import Projection, lock_projection, track_versions
from projections.migrations import Component, Migration

log = structlog.get_logger(__name__)

#: The records each read model could not apply (in the live schema, beside the read models).
PROJECTION_ERRORS = Component("projection_errors", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS projection_errors ("
              " id bigserial PRIMARY KEY, projection text NOT NULL, aggregate_id uuid, version integer,"
              " topic text, partition integer, \"offset\" bigint, error_class text NOT NULL, error text NOT NULL,"
              " noticed_at timestamptz NOT NULL DEFAULT now());"
              " CREATE INDEX IF NOT EXISTS projection_errors_by_projection ON projection_errors (projection)"),
))  # fmt: skip

#: Resolves a claim check found on a logical topic into the message's bytes.
Resolve = Callable[[str, bytes], bytes]


@dataclass(frozen=True)
class Failure:
    """One message a read model could not apply."""

    index: int  # in the batch given to ``apply_isolating``
    message: Message
    error: BaseException


def apply_isolating(cur: Cursor[Any], projection: Projection, messages: Sequence[Message]) -> list[Failure]:
    """``track_versions`` + ``apply`` of a batch in a savepoint; if it fails with a permanent error, again
    record by record, each in its own savepoint.  Returns the messages that could not be applied
    (their versions are recorded as seen).  Transient errors propagate.  The live consumers and
    ``infra.rebuild`` use it alike, so a rebuilt read model skips exactly what the live one skipped."""
    conn = cur.connection
    try:
        with conn.transaction():
            new, _gaps = track_versions(cur, projection.name, messages)
            if new:
                projection.apply(cur, new)
        return []
    except Exception as error:
        if classify(error) is Action.RETRY:
            raise
    failures: list[Failure] = []
    for index, message in enumerate(messages):
        try:
            with conn.transaction():
                new, _gaps = track_versions(cur, projection.name, [message])
                if new:
                    projection.apply(cur, new)
        except Exception as error:
            if classify(error) is not Action.DEAD_LETTER:
                raise
            failures.append(Failure(index, message, error))
            try:
                with conn.transaction():  # seen, so that the aggregate's next version applies without a gap
                    track_versions(cur, projection.name, [message])
            except Exception as seen_error:
                if classify(seen_error) is Action.RETRY:
                    raise
    return failures


def record_error(
    cur: Cursor[Any], projection: str, error: BaseException, *, aggregate_id: UUID | None = None,
    version: int | None = None, record: Any = None,
) -> None:  # fmt: skip
    cur.execute(
        "INSERT INTO projection_errors (projection, aggregate_id, version, topic, partition, \"offset\","
        " error_class, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (projection, aggregate_id, version, getattr(record, "topic", None), getattr(record, "partition", None),
         getattr(record, "offset", None), type(error).__name__, describe(error)),
    )  # fmt: skip
    log.error(
        "record not applied to read model", projection=projection, aggregate_id=str(aggregate_id),
        version=version, topic=getattr(record, "topic", None), offset=getattr(record, "offset", None),
        error=describe(error),
    )  # fmt: skip


class Projector:
    def __init__(self, projection: Projection, topic_prefix: str = "", resolve: Resolve | None = None) -> None:
        self.projection = projection
        self.group = f"{topic_prefix}sessionstream.projection.{projection.name}"
        self.topics: Sequence[str] = tuple(physical(t, topic_prefix) for t in projection.topics)
        # Each topic has its own message types: a record is decoded by its topic's decoder.
        self.decoders = {physical(t, topic_prefix): decoder_for(t) for t in projection.topics}
        self.logical = {physical(t, topic_prefix): t for t in projection.topics}
        self.resolve = resolve

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        messages: list[Message] = []
        origins: list[Any] = []
        dead: list[DeadLetter] = []
        for record in records:
            try:
                messages.append(self._decode(record))
                origins.append(record)
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
                record_error(cur, self.projection.name, error, record=record)
        lock_projection(cur, self.projection.name)
        for failure in apply_isolating(cur, self.projection, messages):
            record = origins[failure.index]
            dead.append(DeadLetter.of(record, failure.error))
            record_error(
                cur, self.projection.name, failure.error, aggregate_id=failure.message.aggregate_id,
                version=failure.message.version, record=record,
            )  # fmt: skip
        return dead

    def _decode(self, record: Any) -> Message:
        value = record.value
        if is_claim(value):
            if self.resolve is None:
                raise ValueError("a claim check, and no event store to resolve it against")
            value = self.resolve(self.logical[record.topic], value)
        return self.decoders[record.topic](value)
