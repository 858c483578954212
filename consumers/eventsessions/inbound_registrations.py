"""``inbound.registrations.v1`` -> registration commands, one outcome per message.

- A record that does not parse or fails its schema is dead-lettered; the next one is processed.
- A business refusal (session full, unknown registration) is a ``rejected`` outcome, not a dead letter.
- Idempotent by ``message_id``: outcomes are recorded in ``inbound_messages`` in the runner's
  transaction, with the offsets; a message id seen before is answered by nothing new.  A crash after
  a command but before that commit replays the tail of the partition in order, and every command is
  safe to replay in order (a register reuses the id derived from the message id, and a state change
  to the current state records nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

from psycopg import Cursor
from psycopg.types.json import Jsonb

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from domain.eventsessions.application import EventSessions, Outcome
from domain.eventsessions.seats import RegistrationState
from domain.shared.errors import DomainError
from producers.eventsessions.inbound import Outcome as OutcomeMessage
from producers.eventsessions.inbound import RegistrationRequest
from producers.eventsessions.topics import INBOUND_REGISTRATIONS
from producers.topics import outcomes_topic, physical
from projections.migrations import Component, Migration

REGISTRATION_ID_NAMESPACE = UUID("0c7d3b8e-52a4-4f61-a1f7-3d1f4b8e9a20")
STATE_OF_ACTION = {
    "confirm": RegistrationState.OPEN,
    "attend": RegistrationState.DONE,
    "cancel": RegistrationState.CANCEL,
    "reset": RegistrationState.DRAFT,
}


#: The processed inbound messages of every inbound topic (de-duplication by ``message_id``).
INBOUND_MESSAGES = Component("inbound_messages", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS inbound_messages ("
              " message_id uuid PRIMARY KEY, topic text NOT NULL, outcome jsonb NOT NULL,"
              " processed_at timestamptz NOT NULL DEFAULT now())"),
))  # fmt: skip


class InboundRegistrations:
    def __init__(self, app: EventSessions, producer: Any, topic_prefix: str = "") -> None:
        self.app = app
        self.producer = producer
        self.group = f"{topic_prefix}sessionstream.inbound.registrations"
        self.topics = (physical(INBOUND_REGISTRATIONS, topic_prefix),)
        self.outcomes = physical(outcomes_topic(INBOUND_REGISTRATIONS), topic_prefix)

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        futures = []
        for record in records:
            try:
                request = RegistrationRequest.model_validate_json(record.value)
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
                continue
            cur.execute("SELECT 1 FROM inbound_messages WHERE message_id = %s", (request.message_id,))
            if cur.fetchone():
                continue  # processed before: its outcome was published then
            outcome = self.execute(request)
            cur.execute(
                "INSERT INTO inbound_messages (message_id, topic, outcome) VALUES (%s, %s, %s)",
                (request.message_id, record.topic, Jsonb(outcome.model_dump(mode="json"))),
            )
            futures.append(
                self.producer.send(
                    self.outcomes, key=record.key, value=outcome.model_dump_json().encode(),
                    headers=[("ce_type", b"RegistrationRequestOutcome"), ("message_id", str(request.message_id).encode())],
                )  # fmt: skip
            )
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=0)
        return dead

    def execute(self, request: RegistrationRequest) -> OutcomeMessage:
        try:
            result = self._command(request)
        except DomainError as error:
            return OutcomeMessage(
                message_id=request.message_id, status="rejected", code=error.code, detail=error.message,
                aggregate_id=request.registration_id,
            )  # fmt: skip
        return OutcomeMessage(
            message_id=request.message_id, status="accepted", aggregate_id=result.id, version=result.version
        )

    def _command(self, r: RegistrationRequest) -> Outcome:
        if r.action == "register":
            assert r.event_id is not None and r.name is not None and r.email is not None
            return self.app.register(
                id=r.registration_id or uuid5(REGISTRATION_ID_NAMESPACE, str(r.message_id)),
                event_id=r.event_id, session_id=r.session_id, name=r.name, email=str(r.email),
                phone=r.phone, state=r.state,
            )  # fmt: skip
        assert r.registration_id is not None
        if r.action == "move":
            assert r.session_id is not None
            return self.app.move_registration(r.registration_id, r.session_id)
        return self.app.change_registration_state(r.registration_id, STATE_OF_ACTION[r.action])
