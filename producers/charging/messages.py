"""Messages of ``charging.sessions.v1``: what happened to one OCPI charging session.

Every message names its ``type``, the aggregate and its ``version`` after the event, and the session's
``session_key`` (the Kafka key, ``["nl","stk","101"]``).  Session objects travel as version-neutral
documents (``domain.charging.documents``): the stored form with date-times as OCPI text, numbers as
JSON numbers, a Price with ``before_taxes`` and ``incl_vat`` (from 2.2.1) or ``taxes`` (from 2.3.0),
unknown fields as one JSON text under ``extra``.  ``SessionCreated`` and ``SessionReplaced`` carry the
whole object; later messages carry only what changed, so a PATCH's message does not grow with the
number of stored periods.  Readers ignore unknown fields: adding a field is a compatible change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from producers.charging import topics
from producers.charging.inbound import OcpiSessionOutcome, OcpiSessionRequest
from producers.messages import SCHEMA_VERSION as SCHEMA_VERSION
from producers.messages import Message as DomainMessage
from producers.topics import outcomes_topic

Document = dict[str, Any]


class Message(DomainMessage):
    session_key: str


class SessionCreated(Message):
    """A first PUT: the whole session, its periods included."""

    type: Literal["SessionCreated"] = "SessionCreated"
    session: Document


class SessionReplaced(Message):
    """A later PUT: the whole session replaces the stored one, periods included (R-3)."""

    type: Literal["SessionReplaced"] = "SessionReplaced"
    session: Document


class SessionFieldsPatched(Message):
    """A PATCH's changed top-level fields (never ``charging_periods`` or ``status``); null clears one."""

    type: Literal["SessionFieldsPatched"] = "SessionFieldsPatched"
    changes: Document


class SessionPeriodsAppended(Message):
    """A PATCH's new charging periods, appended (R-6); ``period_count`` is the count after."""

    type: Literal["SessionPeriodsAppended"] = "SessionPeriodsAppended"
    charging_periods: list[Document]
    period_count: int


class SessionStatusChanged(Message):
    type: Literal["SessionStatusChanged"] = "SessionStatusChanged"
    from_status: str
    to_status: str


class SessionStaleUpdateIgnored(Message):
    """R-13: a PUT or PATCH older than the stored session, answered 1000 and ignored."""

    type: Literal["SessionStaleUpdateIgnored"] = "SessionStaleUpdateIgnored"
    method: Literal["PUT", "PATCH"]
    received_last_updated: datetime
    current_last_updated: datetime


class SessionPreferencesSet(Message):
    """CH-16: the driver's charging preferences and the ChargingPreferencesResponse given."""

    type: Literal["SessionPreferencesSet"] = "SessionPreferencesSet"
    preferences: Document
    response: str


SessionMessage = Annotated[
    SessionCreated
    | SessionReplaced
    | SessionFieldsPatched
    | SessionPeriodsAppended
    | SessionStatusChanged
    | SessionStaleUpdateIgnored
    | SessionPreferencesSet,
    Field(discriminator="type"),
]

_SESSIONS = TypeAdapter(SessionMessage)


def decode_session_message(value: bytes) -> Message:
    """Parses and validates one ``charging.sessions.v1`` value (a ``ValidationError`` dead-letters it)."""
    return _SESSIONS.validate_json(value)  # type: ignore[no-any-return]


DECODERS = {"charging.sessions.v1": decode_session_message}


#: The messages of each charging topic, for the published schemas (``producers.catalogue.MESSAGES``).
TOPIC_MESSAGES: dict[str, object] = {
    topics.SESSIONS: SessionMessage,
    topics.INBOUND_OCPI_SESSIONS: OcpiSessionRequest,
    outcomes_topic(topics.INBOUND_OCPI_SESSIONS): OcpiSessionOutcome,
}
