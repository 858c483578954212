"""``inbound.presence.v1`` -> attendance commands: one save per room per batch, one outcome per webhook.

It shares the inbound pieces of ``consumers.inbound`` (dead letters, the ``message_id`` ledger, the
outcomes' publisher) but not its record-by-record loop: a batch is applied at once, per room.  Its own:

- ``parse``: bytes -> ``PresenceWebhook``; what does not parse or fails the schema is dead-lettered
  (``<topic>.DLT``, same key, origin headers) and the next record is processed.
- ``to_presence_event`` / ``outcome_of``: a webhook -> the domain's ``PresenceEvent``, and the domain's
  per-item ``PresenceResult`` -> the outcome message.
- ``InboundPresence.handle``: de-duplicates the batch by ``message_id`` in one query (``inbound_messages``,
  in the runner's transaction with the offsets; the same id with another body is
  ``inbound.message_id_reused``), groups the fresh webhooks by room in arrival order, applies each
  room's as ONE ``apply_presence`` (one load, one save, however many webhooks: a 5,000-student
  lesson's joins are a handful of saves, not 5,000 transactions), then records and publishes every
  outcome, in order.

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

from consumers.dead_letters import DeadLetter
from consumers.inbound import InboundEndpoint, Ledger, Seen, parse_or_dead_letter
from consumers.inbound import body_fingerprint as body_fingerprint  # the fingerprint of a webhook
from domain.classroom.application import Classrooms
from domain.classroom.presence import PresenceEvent, PresenceResult
from producers.classroom.inbound import PresenceOutcome, PresenceWebhook
from producers.classroom.topics import INBOUND_PRESENCE
from producers.inbound import MESSAGE_ID_REUSED

#: A batch as large as the projections' (``SESSIONSTREAM_CONSUMER_MAX_RECORDS``' default): each room's
#: part of it is one save.
MAX_RECORDS = 2000
#: Its fingerprints are in ``inbound_messages``' ``outcome`` document, as they were recorded before the
#: pieces were shared; a row without one is another body (the id is reused).
PRESENCE_LEDGER = Ledger(fingerprint_key="fingerprint")


def parse(value: bytes | None) -> PresenceWebhook:
    """One webhook, validated (pydantic's ValidationError otherwise: a dead letter)."""
    return PresenceWebhook.model_validate_json(value if value is not None else b"")


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
        message_id=webhook.message_id, status="rejected", code=MESSAGE_ID_REUSED, aggregate_id=webhook.room,
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


class InboundPresence(InboundEndpoint):
    """The ``inbound.presence.v1`` handler of the consumer runner (``consumers.runner.BatchHandler``)."""

    max_records = MAX_RECORDS

    def __init__(self, app: Classrooms, producer: Any, topic_prefix: str = "") -> None:
        super().__init__("presence", INBOUND_PRESENCE, "PresenceWebhookOutcome", producer, topic_prefix)
        self.app = app

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        arrivals: list[Arrival] = []
        for record in records:
            webhook = parse_or_dead_letter(record, parse, dead)
            if webhook is not None:
                arrivals.append(Arrival(record, webhook, body_fingerprint(webhook)))
        self._deduplicate(cur, arrivals)
        self._apply(arrivals)
        PRESENCE_LEDGER.record_many(cur, [(a.webhook.message_id, a.record.topic, a.outcome, a.fingerprint)
                                          for a in arrivals if a.fresh and a.outcome is not None])  # fmt: skip
        self.publisher.wait([self.publisher.send(a.record.key, a.outcome) for a in arrivals if a.outcome is not None])
        return dead

    def _deduplicate(self, cur: Cursor[Any], arrivals: list[Arrival]) -> None:
        """Marks the fresh webhooks; a repeat gets nothing new, a reused id a rejected outcome."""
        seen = PRESENCE_LEDGER.triage(cur, [(a.webhook.message_id, a.fingerprint) for a in arrivals])
        for arrival, verdict in zip(arrivals, seen, strict=True):
            arrival.fresh = verdict is Seen.NEW
            if verdict is Seen.REUSED:
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
