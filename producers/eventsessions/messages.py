"""Messages of ``eventsessions.{events,sessions,registrations}.v1`` (and, through ``decode``, of every
event-sessions topic: see ``eventsessions_mail_v1`` for the mail and catalogue topics).

Each message names its ``type``, the aggregate it comes from and that aggregate's ``version`` after
the event, and the parent ``event_id`` (the Kafka key).  Payloads carry resulting figures (seat counts
after the change), so a read model never has to re-derive them.  Readers ignore unknown fields:
adding a field is a compatible change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, TypeAdapter

from domain.eventsessions.seats import RegistrationState
from producers.eventsessions import topics
from producers.eventsessions.base import SCHEMA_VERSION as SCHEMA_VERSION  # re-exported: the contract's version
from producers.eventsessions.base import Message as Message
from producers.eventsessions.inbound import Outcome, RegistrationRequest
from producers.eventsessions.mail_messages import CatalogueMessage, MailMessage
from producers.topics import outcomes_topic


class SeatFigures(Message):
    registration_id: UUID
    from_state: RegistrationState | None
    to_state: RegistrationState | None
    seats_unconfirmed: int
    seats_reserved: int
    seats_used: int


# -- eventsessions.events.v1 ------------------------------------------------------------------


class EventCreated(Message):
    type: Literal["EventCreated"] = "EventCreated"
    name: str
    date_tz: str
    use_sessions: bool
    seats_limited: bool
    seats_max: int
    auto_confirm: bool
    event_type_id: UUID | None
    date_begin: datetime
    date_end: datetime
    stage_id: int
    created_at: datetime


class EventDetailsChanged(Message):
    type: Literal["EventDetailsChanged"] = "EventDetailsChanged"
    changed: list[str]
    name: str | None = None
    date_tz: str | None = None
    auto_confirm: bool | None = None
    stage_id: int | None = None
    date_begin: datetime | None = None
    date_end: datetime | None = None


class EventCapacityChanged(Message):
    type: Literal["EventCapacityChanged"] = "EventCapacityChanged"
    seats_limited: bool
    seats_max: int


class EventUseSessionsToggled(Message):
    type: Literal["EventUseSessionsToggled"] = "EventUseSessionsToggled"
    use_sessions: bool


class EventSessionAttached(Message):
    type: Literal["EventSessionAttached"] = "EventSessionAttached"
    session_id: UUID


class EventSessionDetached(Message):
    type: Literal["EventSessionDetached"] = "EventSessionDetached"
    session_id: UUID


class EventRegistrationsStarted(Message):
    type: Literal["EventRegistrationsStarted"] = "EventRegistrationsStarted"


class EventSeatsChanged(SeatFigures):
    type: Literal["EventSeatsChanged"] = "EventSeatsChanged"


class EventMailSchedulerSet(Message):
    type: Literal["EventMailSchedulerSet"] = "EventMailSchedulerSet"
    scheduler_id: UUID
    interval_type: str


class EventMailSchedulerDropped(Message):
    type: Literal["EventMailSchedulerDropped"] = "EventMailSchedulerDropped"
    scheduler_id: UUID


EventMessage = Annotated[
    EventCreated
    | EventDetailsChanged
    | EventCapacityChanged
    | EventUseSessionsToggled
    | EventSessionAttached
    | EventSessionDetached
    | EventRegistrationsStarted
    | EventSeatsChanged
    | EventMailSchedulerSet
    | EventMailSchedulerDropped,
    Field(discriminator="type"),
]

# -- eventsessions.sessions.v1 ----------------------------------------------------------------


class SessionScheduled(Message):
    type: Literal["SessionScheduled"] = "SessionScheduled"
    date_begin: datetime
    date_end: datetime
    seats_limited: bool
    seats_max: int
    stage_id: int
    kanban_state: str
    created_at: datetime


class SessionRescheduled(Message):
    type: Literal["SessionRescheduled"] = "SessionRescheduled"
    date_begin: datetime
    date_end: datetime


class SessionArchived(Message):
    type: Literal["SessionArchived"] = "SessionArchived"


class SessionUnarchived(Message):
    type: Literal["SessionUnarchived"] = "SessionUnarchived"


class SessionDeleted(Message):
    type: Literal["SessionDeleted"] = "SessionDeleted"


class SessionStageChanged(Message):
    type: Literal["SessionStageChanged"] = "SessionStageChanged"
    stage_id: int


class SessionKanbanStateChanged(Message):
    type: Literal["SessionKanbanStateChanged"] = "SessionKanbanStateChanged"
    kanban_state: str


class SessionCapacityChanged(Message):
    type: Literal["SessionCapacityChanged"] = "SessionCapacityChanged"
    seats_limited: bool
    seats_max: int


class SessionSeatsChanged(SeatFigures):
    type: Literal["SessionSeatsChanged"] = "SessionSeatsChanged"


SessionMessage = Annotated[
    SessionScheduled
    | SessionRescheduled
    | SessionArchived
    | SessionUnarchived
    | SessionDeleted
    | SessionStageChanged
    | SessionKanbanStateChanged
    | SessionCapacityChanged
    | SessionSeatsChanged,
    Field(discriminator="type"),
]

# -- eventsessions.registrations.v1 -----------------------------------------------------------


class RegistrationRegistered(Message):
    type: Literal["RegistrationRegistered"] = "RegistrationRegistered"
    session_id: UUID | None
    name: str
    email: str
    phone: str | None
    state: RegistrationState
    created_at: datetime
    date_closed: datetime | None


class RegistrationStateChanged(Message):
    type: Literal["RegistrationStateChanged"] = "RegistrationStateChanged"
    from_state: RegistrationState
    to_state: RegistrationState
    date_closed: datetime | None


class RegistrationMovedToSession(Message):
    type: Literal["RegistrationMovedToSession"] = "RegistrationMovedToSession"
    from_session_id: UUID | None
    to_session_id: UUID


RegistrationMessage = Annotated[
    RegistrationRegistered | RegistrationStateChanged | RegistrationMovedToSession,
    Field(discriminator="type"),
]

AnyMessage = Annotated[
    EventMessage | SessionMessage | RegistrationMessage | MailMessage | CatalogueMessage,
    Field(discriminator="type"),
]
ANY_MESSAGE: TypeAdapter[AnyMessage] = TypeAdapter(AnyMessage)


def decode(value: bytes) -> AnyMessage:
    """Parses and validates one message value; raises pydantic's ValidationError when it is not one."""
    return ANY_MESSAGE.validate_json(value)


#: Every event-sessions domain topic -> its decoder (``producers.catalogue``).
DECODERS = dict.fromkeys(topics.DOMAIN_TOPICS, decode)


#: The messages of each event-sessions topic, for the published schemas (``producers.catalogue.MESSAGES``).
TOPIC_MESSAGES: dict[str, object] = {
    topics.EVENTS: EventMessage,
    topics.SESSIONS: SessionMessage,
    topics.REGISTRATIONS: RegistrationMessage,
    topics.MAIL: MailMessage,
    topics.CATALOGUES: CatalogueMessage,
    topics.INBOUND_REGISTRATIONS: RegistrationRequest,
    outcomes_topic(topics.INBOUND_REGISTRATIONS): Outcome,
}
