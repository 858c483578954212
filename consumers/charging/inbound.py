"""``inbound.ocpi-sessions.v1`` -> the charging receiver's PUT and PATCH, one outcome per message.

Three small pieces, so they port onto shared inbound machinery unchanged:
- the request model and its parsing (``producers.charging.inbound``: a record that is no such request
  is dead-lettered, and the next one is processed);
- ``execute``: request -> command -> outcome, by the same rules and with the same OCPI status codes
  as the HTTP receiver (a schema error in ``body`` or a refused update is a ``rejected`` outcome with
  2001, an unknown session one with HTTP 404's 2001; a stale update is ``accepted`` with 1000);
- ``InboundOcpiSessions``: idempotency by ``message_id`` (recorded with the body's fingerprint in the
  runner's transaction, with the offsets: a repeat gets nothing new, the same id with another body a
  ``rejected`` ``inbound.message_id_reused`` outcome) and publishing the outcomes.

A crash after a command but before the runner's commit replays the tail of the partition in order;
replaying is safe, because a repeated PUT or PATCH changes nothing (CH-13).  Per-session order holds
when upstream keys requests by the session's identity text (``producers.charging.topics``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor
from psycopg.types.json import Jsonb

from consumers.dead_letters import DeadLetter
from consumers.error_policy import Action, classify
from domain.charging.application import ChargingSessions
from domain.charging.errors import ChargingError
from domain.charging.identity import session_aggregate_id
from domain.charging.validation import validate_session, validate_session_patch
from domain.shared.application import fingerprint
from domain.shared.errors import DomainError, NotFoundError
from producers.charging.inbound import OcpiSessionOutcome, OcpiSessionRequest, parse_request
from producers.charging.topics import INBOUND_OCPI_SESSIONS
from producers.topics import outcomes_topic, physical
from projections.migrations import Component, Migration

SUCCESS = 1000
SERVER_ERROR = 3000
MESSAGE_ID_REUSED = "inbound.message_id_reused"

#: The processed requests of ``inbound.ocpi-sessions.v1`` (de-duplication by ``message_id``).
CHARGING_INBOUND_MESSAGES = Component("charging_inbound_messages", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS charging_inbound_messages ("
              " message_id uuid PRIMARY KEY, fingerprint text NOT NULL, outcome jsonb NOT NULL,"
              " processed_at timestamptz NOT NULL DEFAULT now())"),
))  # fmt: skip


def execute(app: ChargingSessions, request: OcpiSessionRequest) -> OcpiSessionOutcome:
    """The request's command, answered as the HTTP receiver would (see the module docstring)."""
    url = (request.country_code, request.party_id, request.session_id)
    try:
        if request.method == "PUT":
            pushed = app.put_session(*url, validate_session(request.body, request.ocpi_version))
        else:
            pushed = app.patch_session(*url, validate_session_patch(request.body, request.ocpi_version))
    except DomainError as error:
        known = isinstance(error, ChargingError)
        return OcpiSessionOutcome(
            message_id=request.message_id, status="rejected", code=error.code, detail=error.message,
            aggregate_id=session_aggregate_id(*url),
            ocpi_status_code=error.ocpi_status if known else SERVER_ERROR,  # type: ignore[attr-defined]
            http_status=404 if isinstance(error, NotFoundError) else 200 if known else 503,
        )  # fmt: skip
    return OcpiSessionOutcome(
        message_id=request.message_id, status="accepted", aggregate_id=pushed.id, version=pushed.version,
        ocpi_status_code=SUCCESS, http_status=201 if pushed.created else 200, result=pushed.result.value,
    )  # fmt: skip


def request_fingerprint(request: OcpiSessionRequest) -> str:
    return fingerprint(request.model_dump(mode="python", exclude={"message_id"}))


def reused(request: OcpiSessionRequest) -> OcpiSessionOutcome:
    return OcpiSessionOutcome(
        message_id=request.message_id, status="rejected", code=MESSAGE_ID_REUSED,
        detail="This message_id was used before with a different request.", ocpi_status_code=2001,
        http_status=200,
    )  # fmt: skip


class InboundOcpiSessions:
    def __init__(self, app: ChargingSessions, producer: Any, topic_prefix: str = "") -> None:
        self.app = app
        self.producer = producer
        self.group = f"{topic_prefix}sessionstream.inbound.ocpi-sessions"
        self.topics = (physical(INBOUND_OCPI_SESSIONS, topic_prefix),)
        self.outcomes = physical(outcomes_topic(INBOUND_OCPI_SESSIONS), topic_prefix)

    def handle(self, cur: Cursor[Any], records: Sequence[Any]) -> list[DeadLetter]:
        dead: list[DeadLetter] = []
        futures = []
        for record in records:
            try:
                request = parse_request(record.value)
            except Exception as error:
                if classify(error) is not Action.DEAD_LETTER:
                    raise
                dead.append(DeadLetter.of(record, error))
                continue
            digest = request_fingerprint(request)
            cur.execute("SELECT fingerprint FROM charging_inbound_messages WHERE message_id = %s", (request.message_id,))
            seen = cur.fetchone()
            if seen is not None and seen[0] == digest:
                continue  # processed before: its outcome was published then
            outcome = reused(request) if seen is not None else execute(self.app, request)
            if seen is None:
                cur.execute(
                    "INSERT INTO charging_inbound_messages (message_id, fingerprint, outcome) VALUES (%s, %s, %s)",
                    (request.message_id, digest, Jsonb(outcome.model_dump(mode="json"))),
                )
            futures.append(self.producer.send(
                self.outcomes, key=record.key, value=outcome.model_dump_json().encode(),
                headers=[("ce_type", b"OcpiSessionRequestOutcome"), ("message_id", str(request.message_id).encode())],
            ))  # fmt: skip
        if futures:
            self.producer.flush()
            for future in futures:
                future.get(timeout=0)
        return dead
