"""``inbound.presence.v1`` -> attendance commands: one save per room per batch, one outcome per webhook.

The pieces, kept apart so they port onto a shared inbound machinery as they are:

- ``parse``: bytes -> ``PresenceWebhook``; what does not parse or fails the schema is dead-lettered
  (``<topic>.DLT``, same key, origin headers) and the next record is processed.
- ``to_presence_event`` / ``outcome_of``: a webhook -> the domain's ``PresenceEvent``, and the domain's
  per-item ``PresenceResult`` -> the outcome message.
- ``InboundPresence.handle``: de-duplicates by ``message_id`` (``inbound_messages``, in the runner's
  transaction with the offsets; the same id with another body is ``inbound.message_id_reused``), groups
  the fresh webhooks by room in arrival order, applies each room's as ONE ``apply_presence`` (one
  load, one save, however many webhooks: a 5,000-student lesson's joins are a handful of saves, not
  5,000 transactions), then records and publishes every outcome, in order.

Per-room order: webhooks are keyed by room, so one room's are in one partition, in order, and a batch
applies them in that order; the domain places a late or out-of-order one by its own ``at`` (CL-1).
A crash after a save but before the runner's commit replays the batch: a replayed join or leave is an
exact duplicate mark and records nothing (CL-2), so the attendance is as if it ran once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.types.json import Jsonb

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from domain.classroom.application import Classrooms
from domain.classroom.presence import PresenceEvent, PresenceResult
from domain.shared.application import fingerprint
from producers.classroom.inbound import PresenceOutcome, PresenceWebhook
from producers.classroom.topics import INBOUND_PRESENCE
from producers.topics import outcomes_topic, physical

REUSED = "inbound.message_id_reused"
#: A batch as large as the projections' (``SESSIONSTREAM_CONSUMER_MAX_RECORDS``' default): each room's
#: part of it is one save.
MAX_RECORDS = 2000


def parse(value: bytes | None) -> PresenceWebhook:
    """One webhook, validated (pydantic's ValidationError otherwise: a dead letter)."""
    return PresenceWebhook.model_validate_json(value if value is not None else b"")


def body_fingerprint(webhook: PresenceWebhook) -> str:
    """What tells a repeat (same body) from a reuse of the id (another body): the parsed values."""
    return fingerprint(webhook.model_dump(mode="json"))


def to_presence_event(webhook: PresenceWebhook) -> PresenceEvent:
    return PresenceEvent(webhook.event, webhook.at, webhook.participant)


def outcome_of(webhook: PresenceWebhook, result: PresenceResult) -> PresenceOutcome:
    if result.accepted:
        return PresenceOutcome(message_id=webhook.message_id, status="accepted", aggregate_id=webhook.room,
                               version=result.version)  # fmt: skip
    return PresenceOutcome(message_id=webhook.message_id, status="rejected", code=result.code, detail=result.detail,
                           aggregate_id=webhook.room, version=result.version or None)  # fmt: skip


def reused(webhook: PresenceWebhook) -> PresenceOutcome:
    return PresenceOutcome(
        message_id=webhook.message_id, status="rejected", code=REUSED, aggregate_id=webhook.room,
        detail="This message_id was already used by a different message.",
    )  # fmt: skip


@dataclass
class Arrival:
    """A parsed webhook of the batch, its record, its body's fingerprint, and its outcome once known."""

    record: Any
    webhook: PresenceWebhook
    fingerprint: str
    outcome: PresenceOutcome | None = None
    fresh: bool = False


class InboundPresence:
    """The ``inbound.presence.v1`` handler of the consumer runner (``consumers.runner.BatchHandler``)."""

    max_records = MAX_RECORDS

    def __init__(self, app: Classrooms, producer: Any, topic_prefix: str = "") -> None:
        self.app = app
        self.producer = producer
        self.group = f"{topic_prefix}sessionstream.inbound.presence"
        self.topics = (physical(INBOUND_PRESENCE, topic_prefix),)
        self.outcomes = physical(outcomes_topic(INBOUND_PRESENCE), topic_prefix)

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        arrivals: list[Arrival] = []
        for record in records:
            try:
                webhook = parse(record.value)
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
                continue
            arrivals.append(Arrival(record, webhook, body_fingerprint(webhook)))
        self._deduplicate(cur, arrivals)
        self._apply(arrivals)
        self._record(cur, [a for a in arrivals if a.fresh])
        self._publish([a for a in arrivals if a.outcome is not None])
        return dead

    def _deduplicate(self, cur: Cursor[Any], arrivals: list[Arrival]) -> None:
        """Marks the fresh webhooks; a repeat gets nothing new, a reused id a rejected outcome."""
        if not arrivals:
            return
        cur.execute(
            "SELECT message_id, outcome ->> 'fingerprint' FROM inbound_messages WHERE message_id = ANY(%s)",
            ([a.webhook.message_id for a in arrivals],),
        )
        seen: dict[UUID, str | None] = dict(cur.fetchall())
        for arrival in arrivals:
            message_id = arrival.webhook.message_id
            if message_id not in seen:
                seen[message_id] = arrival.fingerprint
                arrival.fresh = True
            elif seen[message_id] != arrival.fingerprint:
                arrival.outcome = reused(arrival.webhook)

    def _apply(self, arrivals: list[Arrival]) -> None:
        by_room: dict[UUID, list[Arrival]] = {}
        for arrival in arrivals:
            if arrival.fresh:
                by_room.setdefault(arrival.webhook.room, []).append(arrival)
        for room, items in by_room.items():
            results = self.app.apply_presence(room, [to_presence_event(a.webhook) for a in items])
            for arrival, result in zip(items, results, strict=True):
                arrival.outcome = outcome_of(arrival.webhook, result)

    def _record(self, cur: Cursor[Any], fresh: list[Arrival]) -> None:
        if fresh:
            cur.executemany(
                "INSERT INTO inbound_messages (message_id, topic, outcome) VALUES (%s, %s, %s)",
                [(a.webhook.message_id, a.record.topic,
                  Jsonb({**a.outcome.model_dump(mode="json"), "fingerprint": a.fingerprint}))  # type: ignore[union-attr]
                 for a in fresh],
            )  # fmt: skip

    def _publish(self, answered: list[Arrival]) -> None:
        futures = [
            self.producer.send(
                self.outcomes, key=a.record.key, value=a.outcome.model_dump_json().encode(),  # type: ignore[union-attr]
                headers=[("ce_type", b"PresenceWebhookOutcome"), ("message_id", str(a.webhook.message_id).encode())],
            )  # fmt: skip
            for a in answered
        ]
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=0)
