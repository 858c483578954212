"""The shared machinery of every inbound topic: upstream requests -> commands, one outcome each.

Every inbound consumer does the same four things inside the consumer runner's transaction
(``consumers.runner``); the pieces for each live here, once:

1. Parse with the request model (``parse_or_dead_letter``).  A record that is not JSON or fails the
   schema (a bad value, a text over its limit, a NUL) goes to ``<topic>.DLT`` with its headers; the next
   record is processed.
2. Idempotency by ``message_id``, with a fingerprint of the parsed body (``Ledger``), written with the
   offsets.  The same body again is the same message: it was answered then, so it changes nothing and
   gets no second outcome.  Another body under a used id gets a ``rejected`` outcome with code
   ``inbound.message_id_reused`` and runs nothing.
3. Run the command.  A business refusal (any ``DomainError``) is a ``rejected`` outcome with the error's
   code and message.  A concurrency conflict that outlived the command's retries, or an unreachable
   event store, is transient: the batch fails and the runner tries it again, never a rejection.
4. Publish exactly one outcome per message on ``<topic>.outcomes`` under the record's key
   (``OutcomePublisher``), and wait for the broker's ack before the runner commits the offsets.

``InboundConsumer`` is that loop, record by record; a context subclasses it with its request model,
how to execute a request, and its reused-id answer.  ``InboundHandler`` is the one for a context that
only has a ``request -> command`` function (an ``InboundRoute``), as registrations do.  A consumer that
must apply a batch at once (classroom presence) uses the pieces directly.

A crash after a command but before the commit replays the batch: every command is safe to replay in
order (creates use ids derived from the message id, a state change to the current state records
nothing), so the replay changes nothing and answers the same.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar
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

#: The processed inbound messages of the inbound topics (de-duplication by ``message_id``).
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

T = TypeVar("T")


class Message(Protocol):
    """An inbound request or its outcome: a pydantic model that carries the ``message_id``."""

    @property
    def message_id(self) -> UUID: ...

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...

    def model_dump_json(self) -> str: ...


RequestT = TypeVar("RequestT", bound=Message)  # a context's request model
OutcomeT = TypeVar("OutcomeT", bound=Message)  # a context's outcome model
R = TypeVar("R", bound=InboundRequest)  # a request of an ``InboundRoute``


class InboundRetryError(TimeoutError):
    """A command failed for a passing reason; the runner's error policy retries the batch (a
    ``TimeoutError``), so the message is processed again rather than rejected."""


class EmptyMessageError(ValueError):
    """A record without a value (a tombstone) is no request."""


# --- 1. parsing, or the dead-letter topic ---------------------------------------------------------


def parse_or_dead_letter(record: Any, parse: Callable[[bytes | None], T], dead: list[DeadLetter]) -> T | None:
    """The record's request, or None after adding it to ``dead`` when it is no such request.  A failure
    that is not the record's own (``classify`` says retry or stop) is raised: the batch fails."""
    try:
        return parse(record.value)
    except Exception as error:
        if classify(error) is not Action.DEAD_LETTER:
            raise
        dead.append(DeadLetter.of(record, error))
        return None


def body_fingerprint(request: Message) -> str:
    """What tells a repeat (same body) from a reuse of its id (another body): the parsed values, so key
    order and spacing do not matter."""
    return fingerprint(request.model_dump(mode="json"))


# --- 2. idempotency by message_id -----------------------------------------------------------------


class Seen(Enum):
    NEW = "new"  # never recorded: run it
    REPEAT = "repeat"  # recorded with this body: answered then, nothing now
    REUSED = "reused"  # recorded with another body: the reused-id answer, nothing runs


@dataclass(frozen=True)
class Ledger:
    """Where an inbound topic records the message ids it answered, each with its body's fingerprint.

    The contexts came with three layouts of it, kept as they are so that the rows already recorded
    keep their meaning: the ``fingerprint`` column of ``inbound_messages`` (registrations), a key of its
    ``outcome`` document (music, classroom; their rows leave the column empty), and a table of its own
    (charging).  The names are the code's constants, never input, hence the SQL built from them.
    """

    table: str = "inbound_messages"
    #: None: the table's ``fingerprint`` column; else the key of the ``outcome`` document holding it.
    fingerprint_key: str | None = None
    #: Whether the table has a ``topic`` column (``inbound_messages`` is shared by several topics).
    topic_column: bool = True
    #: A recorded row without a fingerprint (from before ``0002_fingerprint``) is the same message.
    unfingerprinted_is_repeat: bool = False

    @cached_property
    def _fingerprint_sql(self) -> str:
        return "fingerprint" if self.fingerprint_key is None else f"outcome ->> '{self.fingerprint_key}'"

    @cached_property
    def _select_one(self) -> str:
        return f"SELECT {self._fingerprint_sql} FROM {self.table} WHERE message_id = %s"

    @cached_property
    def _select_many(self) -> str:
        return f"SELECT message_id, {self._fingerprint_sql} FROM {self.table} WHERE message_id = ANY(%s)"

    @cached_property
    def _insert(self) -> str:
        columns = ["message_id", *(["topic"] if self.topic_column else []), "outcome",
                   *(["fingerprint"] if self.fingerprint_key is None else [])]  # fmt: skip
        return f"INSERT INTO {self.table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"

    def verdict(self, recorded: str | None, digest: str) -> Seen:
        """A recorded message id's body, against this one's."""
        if recorded == digest or (recorded is None and self.unfingerprinted_is_repeat):
            return Seen.REPEAT
        return Seen.REUSED

    def check(self, cur: Cursor[Any], message_id: UUID, digest: str) -> Seen:
        """One message against what is recorded (the record-by-record path)."""
        cur.execute(self._select_one, (message_id,))
        row = cur.fetchone()
        return Seen.NEW if row is None else self.verdict(row[0], digest)

    def triage(self, cur: Cursor[Any], messages: Sequence[tuple[UUID, str]]) -> list[Seen]:
        """A batch of (message id, fingerprint) in one query.  A message id twice in the batch is judged
        as if the first were recorded already, as the record-by-record path would find it."""
        if not messages:
            return []
        cur.execute(self._select_many, ([message_id for message_id, _ in messages],))
        recorded: dict[UUID, str | None] = dict(cur.fetchall())
        verdicts = []
        for message_id, digest in messages:
            if message_id in recorded:
                verdicts.append(self.verdict(recorded[message_id], digest))
            else:
                recorded[message_id] = digest
                verdicts.append(Seen.NEW)
        return verdicts

    def _row(self, message_id: UUID, topic: str, outcome: Message, digest: str) -> tuple[Any, ...]:
        """The values of ``_insert``, in its columns' order."""
        document = outcome.model_dump(mode="json")
        values: list[Any] = [message_id, *([topic] if self.topic_column else [])]
        if self.fingerprint_key is None:
            return (*values, Jsonb(document), digest)
        return (*values, Jsonb({**document, self.fingerprint_key: digest}))

    def record(self, cur: Cursor[Any], message_id: UUID, topic: str, outcome: Message, digest: str) -> None:
        cur.execute(self._insert, self._row(message_id, topic, outcome, digest))

    def record_many(self, cur: Cursor[Any], rows: Sequence[tuple[UUID, str, Message, str]]) -> None:
        """Rows of (message id, origin topic, outcome, fingerprint), in one statement."""
        if rows:
            cur.executemany(self._insert, [self._row(*row) for row in rows])


#: ``inbound_messages`` with its ``fingerprint`` column (registrations, and any new inbound topic).
INBOUND_LEDGER = Ledger(unfingerprinted_is_repeat=True)


# --- 4. the outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomePublisher:
    """Sends the outcomes of a batch to ``<topic>.outcomes`` and waits for the broker's acks."""

    producer: Any
    topic: str  # physical name
    ce_type: str  # the ``ce_type`` header

    def send(self, key: bytes | None, outcome: Message) -> Any:
        return self.producer.send(
            self.topic, key=key, value=outcome.model_dump_json().encode(),
            headers=[("ce_type", self.ce_type.encode()), ("message_id", str(outcome.message_id).encode())],
        )  # fmt: skip

    def wait(self, futures: Sequence[Any]) -> None:
        """Every outcome acked before the runner commits the offsets: a lost one fails the batch."""
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=0)


# --- the consumers --------------------------------------------------------------------------------


class InboundEndpoint:
    """The names of one inbound topic's consumer: its group, its topic and its outcomes' publisher."""

    def __init__(self, name: str, topic: str, outcome_type: str, producer: Any, topic_prefix: str = "") -> None:
        self.producer = producer
        self.group = f"{topic_prefix}sessionstream.inbound.{name}"
        self.topics = (physical(topic, topic_prefix),)
        self.outcomes = physical(outcomes_topic(topic), topic_prefix)
        self.publisher = OutcomePublisher(producer, self.outcomes, outcome_type)


class InboundConsumer(InboundEndpoint, ABC, Generic[RequestT, OutcomeT]):
    """A ``BatchHandler`` (``consumers.runner``) for one inbound topic, record by record."""

    ledger: Ledger = INBOUND_LEDGER
    #: A command failing with anything but a ``DomainError`` or a transient error: True dead-letters that
    #: record alone (logged); False fails the batch, so the worker stops and its supervisor restarts it.
    dead_letter_failed_commands: bool = True

    @abstractmethod
    def parse(self, value: bytes | None) -> RequestT:
        """The record's value as a request; a ``ValueError`` (a dead letter) when it is none."""

    @abstractmethod
    def execute(self, request: RequestT) -> OutcomeT:
        """Runs the request's command: its outcome, accepted or rejected by the domain."""

    @abstractmethod
    def reused(self, request: RequestT) -> OutcomeT:
        """The answer to a message id seen before with another body."""

    def fingerprint(self, request: RequestT) -> str:
        return body_fingerprint(request)

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        futures = []
        for record in records:
            request = parse_or_dead_letter(record, self.parse, dead)
            if request is None:
                continue
            digest = self.fingerprint(request)
            seen = self.ledger.check(cur, request.message_id, digest)
            if seen is Seen.REPEAT:
                continue  # the same message again: answered when it was processed
            if seen is Seen.REUSED:
                outcome = self.reused(request)
            else:
                try:
                    outcome = self.execute(request)
                except InboundRetryError:
                    raise
                except Exception as error:  # a fault of this record alone (a bug, a value we missed)
                    if not self.dead_letter_failed_commands:
                        raise
                    log.error(
                        "inbound command failed",
                        exc_info=error,
                        extra={"topic": record.topic, "offset": record.offset, "message_id": str(request.message_id)},
                    )
                    dead.append(DeadLetter.of(record, error))
                    continue
                self.ledger.record(cur, request.message_id, record.topic, outcome, digest)
            futures.append(self.publisher.send(record.key, outcome))
        self.publisher.wait(futures)
        return dead


@dataclass(frozen=True)
class InboundRoute(Generic[R]):
    """What a context supplies for one inbound topic whose outcome is the shared ``Outcome``."""

    name: str  # the worker's and consumer group's name: ``sessionstream.inbound.<name>``
    topic: str  # the logical inbound topic, e.g. ``inbound.registrations.v1``
    request: type[R]
    command: Callable[[R], CommandOutcome]
    #: The aggregate a rejection is about, when the request names one.
    subject: Callable[[R], UUID | None] = field(default=lambda _request: None)
    #: The ``ce_type`` header of the outcomes.
    outcome_type: str = "InboundOutcome"


class InboundHandler(InboundConsumer[R, Outcome]):
    """An ``InboundConsumer`` for one ``InboundRoute``."""

    def __init__(self, route: InboundRoute[R], producer: Any, topic_prefix: str = "") -> None:
        super().__init__(route.name, route.topic, route.outcome_type, producer, topic_prefix)
        self.route = route

    def parse(self, value: bytes | None) -> R:
        if value is None:
            raise EmptyMessageError("The record has no value.")
        return self.route.request.model_validate_json(value)

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
