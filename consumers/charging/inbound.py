"""``inbound.ocpi-sessions.v1`` -> the charging receiver's PUT and PATCH, one outcome per message.

The loop (dead letters, idempotency by ``message_id``, publishing the outcomes) is the shared one,
``consumers.inbound.InboundConsumer``; what is charging's own is here:
- the request model and its parsing (``producers.charging.inbound``: numbers as ``Decimal``, so the
  body's figures stay exact);
- ``execute``: request -> command -> outcome, by the same rules and with the same OCPI status codes
  as the HTTP receiver (a schema error in ``body`` or a refused update is a ``rejected`` outcome with
  2001, an unknown session one with HTTP 404's 2001; a stale update is ``accepted`` with 1000);
- its ledger, ``charging_inbound_messages``, with a fingerprint of the request without its
  ``message_id``, and its reused-id answer (OCPI 2001).

A crash after a command but before the runner's commit replays the tail of the partition in order;
replaying is safe, because a repeated PUT or PATCH changes nothing (CH-13).  Per-session order holds
when upstream keys requests by the session's identity text (``producers.charging.topics``).
"""

from __future__ import annotations

from typing import Any

from consumers.inbound import InboundConsumer, Ledger
from domain.charging.application import ChargingSessions
from domain.charging.errors import ChargingError
from domain.charging.identity import session_aggregate_id
from domain.charging.validation import validate_session, validate_session_patch
from domain.shared.application import fingerprint
from domain.shared.errors import DomainError, NotFoundError
from producers.charging.inbound import OcpiSessionOutcome, OcpiSessionRequest, parse_request
from producers.charging.topics import INBOUND_OCPI_SESSIONS
from producers.inbound import MESSAGE_ID_REUSED
from projections.migrations import Component, Migration

SUCCESS = 1000
SERVER_ERROR = 3000

#: The processed requests of ``inbound.ocpi-sessions.v1`` (de-duplication by ``message_id``).
CHARGING_INBOUND_MESSAGES = Component("charging_inbound_messages", (
    Migration("0001_create", "CREATE TABLE IF NOT EXISTS charging_inbound_messages ("
              " message_id uuid PRIMARY KEY, fingerprint text NOT NULL, outcome jsonb NOT NULL,"
              " processed_at timestamptz NOT NULL DEFAULT now())"),
))  # fmt: skip
#: Its rows always have a fingerprint (``NOT NULL``); it is of the request without its ``message_id``.
CHARGING_LEDGER = Ledger(table="charging_inbound_messages", topic_column=False)


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


class InboundOcpiSessions(InboundConsumer[OcpiSessionRequest, OcpiSessionOutcome]):
    ledger = CHARGING_LEDGER
    # A command failing otherwise than by the domain's refusal fails the batch, as it always did here:
    # the worker stops (and is restarted) rather than parking a session update.
    dead_letter_failed_commands = False

    def __init__(self, app: ChargingSessions, producer: Any, topic_prefix: str = "") -> None:
        super().__init__("ocpi-sessions", INBOUND_OCPI_SESSIONS, "OcpiSessionRequestOutcome", producer, topic_prefix)
        self.app = app

    def parse(self, value: bytes | None) -> OcpiSessionRequest:
        return parse_request(value)

    def fingerprint(self, request: OcpiSessionRequest) -> str:
        return request_fingerprint(request)

    def execute(self, request: OcpiSessionRequest) -> OcpiSessionOutcome:
        return execute(self.app, request)

    def reused(self, request: OcpiSessionRequest) -> OcpiSessionOutcome:
        return reused(request)
