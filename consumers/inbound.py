"""The shared machinery of every inbound topic: upstream requests -> commands, one outcome each.

A context supplies an ``InboundRoute``: its topic, its request model (an ``InboundRequest`` built from
``producers.fields``) and a ``request -> command`` function; ``InboundHandler`` does the rest, inside
the consumer runner's transaction (``consumers.runner``):

1. Parse with the request model.  A record that is not JSON or fails the schema (a bad value, a text
   over its limit, a NUL) goes to ``<topic>.DLT`` with its headers; the next record is processed.
2. Idempotency by ``message_id``, with a fingerprint of the parsed body, in ``inbound_messages`` (shared
   by every inbound topic, written with the offsets).  The same body again is the same message: it
   was answered then, so it changes nothing and gets no second outcome.  Another body under a used id
   gets a ``rejected`` outcome with code ``inbound.message_id_reused`` and runs nothing.
3. Run the command.  A business refusal (any ``DomainError``) is a ``rejected`` outcome with the error's
   code and message.  A concurrency conflict that outlived the command's retries, or an unreachable
   event store, is transient: the batch fails and the runner tries it again (``InboundRetryError``),
   never a rejection.  Any other failure of the command is a fault of this record alone: dead-lettered.
4. Publish exactly one outcome per message on ``<topic>.outcomes`` under the record's key, and wait for
   the broker's ack before the runner commits the offsets.

A crash after a command but before the commit replays the batch: every command is safe to replay in
order (creates use ids derived from the message id, a state change to the current state records
nothing), so the replay changes nothing and answers the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

import psycopg
from eventsourcing import persistence
from psycopg import Cursor
from psycopg.types.json import Jsonb

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from domain.shared.application import Outcome as CommandOutcome
from domain.shared.application import fingerprint
from domain.shared.errors import ConcurrencyError, DomainError
from producers.inbound import MESSAGE_ID_REUSED, InboundRequest, Outcome
from producers.topics import outcomes_topic, physical
from projections.migrations import Component, Migration

log = logging.getLogger(__name__)

R = TypeVar("R", bound=InboundRequest)

#: The processed inbound messages of every inbound topic (de-duplication by ``message_id``).
INBOUND_MESSAGES = Component("inbound_messages", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS inbound_messages ("
              " message_id uuid PRIMARY KEY, topic text NOT NULL, outcome jsonb NOT NULL,"
              " processed_at timestamptz NOT NULL DEFAULT now())"),
    # Rows from before it have none: their repeats are taken for the same message.
    Migration("0002_fingerprint", "ALTER TABLE inbound_messages ADD COLUMN IF NOT EXISTS fingerprint text"),
))  # fmt: skip

#: Failures of a command that pass: the batch is tried again, the message is never answered by them.
TRANSIENT: tuple[type[BaseException], ...] = (
    ConcurrencyError, persistence.OperationalError, persistence.InterfaceError,
    psycopg.OperationalError, psycopg.InterfaceError,
)  # fmt: skip


class InboundRetryError(TimeoutError):
    """A command failed for a passing reason; the runner's error policy retries the batch (a
    ``TimeoutError``), so the message is processed again rather than rejected."""


class EmptyMessageError(ValueError):
    """A record without a value (a tombstone) is no request."""


@dataclass(frozen=True)
class InboundRoute(Generic[R]):
    """What a context supplies for one inbound topic."""

    name: str  # the worker's and consumer group's name: ``sessionstream.inbound.<name>``
    topic: str  # the logical inbound topic, e.g. ``inbound.registrations.v1``
    request: type[R]
    command: Callable[[R], CommandOutcome]
    #: The aggregate a rejection is about, when the request names one.
    subject: Callable[[R], UUID | None] = field(default=lambda _request: None)
    #: The ``ce_type`` header of the outcomes.
    outcome_type: str = "InboundOutcome"


class InboundHandler(Generic[R]):
    """A ``BatchHandler`` (``consumers.runner``) for one ``InboundRoute``."""

    def __init__(self, route: InboundRoute[R], producer: Any, topic_prefix: str = "") -> None:
        self.route = route
        self.producer = producer
        self.group = f"{topic_prefix}sessionstream.inbound.{route.name}"
        self.topics = (physical(route.topic, topic_prefix),)
        self.outcomes = physical(outcomes_topic(route.topic), topic_prefix)

    def parse(self, value: bytes | None) -> R:
        if value is None:
            raise EmptyMessageError("The record has no value.")
        return self.route.request.model_validate_json(value)

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        futures = []
        for record in records:
            try:
                request = self.parse(record.value)
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
                continue
            digest = fingerprint(request.model_dump(mode="json"))
            cur.execute("SELECT fingerprint FROM inbound_messages WHERE message_id = %s", (request.message_id,))
            seen = cur.fetchone()
            if seen is not None and seen[0] in (None, digest):
                continue  # the same message again: answered when it was processed
            if seen is not None:
                outcome = self.reused(request)
            else:
                try:
                    outcome = self.execute(request)
                except InboundRetryError:
                    raise
                except Exception as error:  # a fault of this record alone (a bug, a value we missed)
                    log.error("inbound command failed", exc_info=error,
                              extra={"topic": record.topic, "offset": record.offset, "message_id": str(request.message_id)})  # fmt: skip
                    dead.append(DeadLetter.of(record, error))
                    continue
                cur.execute(
                    "INSERT INTO inbound_messages (message_id, topic, outcome, fingerprint) VALUES (%s, %s, %s, %s)",
                    (request.message_id, record.topic, Jsonb(outcome.model_dump(mode="json")), digest),
                )
            futures.append(self.publish(record.key, outcome))
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=0)
        return dead

    def execute(self, request: R) -> Outcome:
        """Runs the command: accepted, or rejected with the domain's code and message."""
        try:
            result = self.route.command(request)
        except TRANSIENT as error:
            raise InboundRetryError(f"{type(error).__name__}: {error}") from error
        except DomainError as error:
            return Outcome(
                message_id=request.message_id, status="rejected", code=error.code, detail=error.message,
                aggregate_id=self.route.subject(request),
            )  # fmt: skip
        return Outcome(message_id=request.message_id, status="accepted", aggregate_id=result.id, version=result.version)

    def reused(self, request: R) -> Outcome:
        return Outcome(
            message_id=request.message_id, status="rejected", code=MESSAGE_ID_REUSED,
            detail=f"Message id {request.message_id} was already used for a different message.",
            aggregate_id=self.route.subject(request),
        )  # fmt: skip

    def publish(self, key: bytes | None, outcome: Outcome) -> Any:
        return self.producer.send(
            self.outcomes, key=key, value=outcome.model_dump_json().encode(),
            headers=[("ce_type", self.route.outcome_type.encode()), ("message_id", str(outcome.message_id).encode())],
        )  # fmt: skip
