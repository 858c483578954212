"""Messages of ``music.sessions.v1`` and ``music.instances.v1`` (schema version 1; additive only).

Every message names its ``type``, the aggregate it comes from (``aggregate_id``) and that aggregate's
``version`` after the event.  Local dates travel as ``YYYY-MM-DD``, local wall-clock times as ``HH:MM``
(in the session's time zone), instants in UTC.  Payloads carry the values after the change, so a read
model never re-derives them; readers ignore fields they do not know.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from producers.messages import SCHEMA_VERSION as SCHEMA_VERSION  # re-exported: the contract's version
from producers.messages import Message as Message
from producers.music import topics
from producers.music.inbound import Outcome, TuneLogRequest
from producers.topics import outcomes_topic

# -- music.sessions.v1: the recurring session ------------------------------------------------------


class SessionCreated(Message):
    type: Literal["SessionCreated"] = "SessionCreated"
    name: str
    path: str
    timezone: str
    recurrence: Any = Field(description="The canonical recurrence JSON as the client gave it, or null.")
    session_type: str
    initiation_date: date | None
    termination_date: date | None
    location_name: str | None
    location_street: str | None
    location_website: str | None
    location_phone: str | None
    city: str | None
    state: str | None
    country: str | None
    active_buffer_minutes_before: int
    active_buffer_minutes_after: int
    auto_create_instances: bool
    auto_create_hours_ahead: int
    created_at: datetime


class SessionDetailsChanged(Message):
    """Every detail value after the change."""

    type: Literal["SessionDetailsChanged"] = "SessionDetailsChanged"
    name: str
    session_type: str
    location_name: str | None
    location_street: str | None
    location_website: str | None
    location_phone: str | None
    city: str | None
    state: str | None
    country: str | None


class SessionPathChanged(Message):
    type: Literal["SessionPathChanged"] = "SessionPathChanged"
    path: str
    previous_path: str


class SessionTimezoneChanged(Message):
    type: Literal["SessionTimezoneChanged"] = "SessionTimezoneChanged"
    timezone: str


class SessionRecurrenceChanged(Message):
    type: Literal["SessionRecurrenceChanged"] = "SessionRecurrenceChanged"
    recurrence: Any


class SessionLifetimeChanged(Message):
    type: Literal["SessionLifetimeChanged"] = "SessionLifetimeChanged"
    initiation_date: date | None
    termination_date: date | None


class SessionBuffersChanged(Message):
    type: Literal["SessionBuffersChanged"] = "SessionBuffersChanged"
    active_buffer_minutes_before: int
    active_buffer_minutes_after: int


class SessionAutoCreateConfigured(Message):
    type: Literal["SessionAutoCreateConfigured"] = "SessionAutoCreateConfigured"
    auto_create_instances: bool
    auto_create_hours_ahead: int


class SessionInstanceListed(Message):
    """Write-side bookkeeping: the session's calendar names this instance on this local date."""

    type: Literal["SessionInstanceListed"] = "SessionInstanceListed"
    instance_id: UUID
    date: date


class SessionInstanceUnlisted(Message):
    type: Literal["SessionInstanceUnlisted"] = "SessionInstanceUnlisted"
    instance_id: UUID
    date: date


class SessionActiveInstancesChanged(Message):
    type: Literal["SessionActiveInstancesChanged"] = "SessionActiveInstancesChanged"
    active_instance_ids: list[UUID]


# -- music.sessions.v1: the write side's index aggregates (keyed by the session they name) ---------


class SessionPathClaimed(Message):
    """``aggregate_id`` is the path index (uuid5 of the normalised path)."""

    type: Literal["SessionPathClaimed"] = "SessionPathClaimed"
    path: str
    session_id: UUID


class SessionPathReclaimed(Message):
    type: Literal["SessionPathReclaimed"] = "SessionPathReclaimed"
    session_id: UUID


class SessionPathReleased(Message):
    type: Literal["SessionPathReleased"] = "SessionPathReleased"
    session_id: UUID


class SessionRegistryStarted(Message):
    """``aggregate_id`` is the one registry of sessions."""

    type: Literal["SessionRegistryStarted"] = "SessionRegistryStarted"


class SessionRegistered(Message):
    type: Literal["SessionRegistered"] = "SessionRegistered"
    session_id: UUID


SessionMessage = Annotated[
    SessionCreated | SessionDetailsChanged | SessionPathChanged | SessionTimezoneChanged | SessionRecurrenceChanged
    | SessionLifetimeChanged | SessionBuffersChanged | SessionAutoCreateConfigured | SessionInstanceListed
    | SessionInstanceUnlisted | SessionActiveInstancesChanged | SessionPathClaimed | SessionPathReclaimed
    | SessionPathReleased | SessionRegistryStarted | SessionRegistered,
    Field(discriminator="type"),
]  # fmt: skip

# -- music.instances.v1: the instance ---------------------------------------------------------------


class InstanceCreated(Message):
    """A manual creation (``auto_created`` false, ``created_by`` the actor) or auto-create's (A.4:
    ``auto_created`` true, ``created_by`` null, ``horizon_hours`` the horizon it ran with)."""

    type: Literal["InstanceCreated"] = "InstanceCreated"
    session_id: UUID
    date: date
    start_time: str | None
    end_time: str | None
    location_override: str | None
    comments: str | None
    created_by: str | None
    auto_created: bool
    horizon_hours: int | None
    created_at: datetime


class InstanceRescheduled(Message):
    type: Literal["InstanceRescheduled"] = "InstanceRescheduled"
    date: date
    start_time: str | None
    end_time: str | None


class InstanceDetailsChanged(Message):
    type: Literal["InstanceDetailsChanged"] = "InstanceDetailsChanged"
    location_override: str | None
    comments: str | None


class InstanceCancelled(Message):
    type: Literal["InstanceCancelled"] = "InstanceCancelled"
    at: datetime


class InstanceUncancelled(Message):
    type: Literal["InstanceUncancelled"] = "InstanceUncancelled"
    at: datetime


class InstanceActivated(Message):
    type: Literal["InstanceActivated"] = "InstanceActivated"
    at: datetime


class InstanceDeactivated(Message):
    type: Literal["InstanceDeactivated"] = "InstanceDeactivated"
    at: datetime


class InstanceLogMarkedComplete(Message):
    type: Literal["InstanceLogMarkedComplete"] = "InstanceLogMarkedComplete"
    at: datetime


class InstanceLogReopened(Message):
    type: Literal["InstanceLogReopened"] = "InstanceLogReopened"
    at: datetime


class InstanceDeleted(Message):
    type: Literal["InstanceDeleted"] = "InstanceDeleted"
    at: datetime


# -- music.instances.v1: the tune log -----------------------------------------------------------------


class TuneAdded(Message):
    type: Literal["TuneAdded"] = "TuneAdded"
    entry_id: UUID
    order_number: int
    continues_set: bool
    tune_id: int | None
    name: str | None
    key_override: str | None
    setting_override: int | None
    played_timestamp: datetime | None
    inserted_at: datetime


class TuneRemoved(Message):
    type: Literal["TuneRemoved"] = "TuneRemoved"
    entry_id: UUID


class TuneSetStartChanged(Message):
    type: Literal["TuneSetStartChanged"] = "TuneSetStartChanged"
    entry_id: UUID
    continues_set: bool


class TuneMoved(Message):
    """Two entries swapped order numbers (and, at a set start, ``continues_set``): both after the move."""

    type: Literal["TuneMoved"] = "TuneMoved"
    entry_id: UUID
    direction: str
    order_number: int
    continues_set: bool
    other_entry_id: UUID
    other_order_number: int
    other_continues_set: bool


class SetMoved(Message):
    """``mapping``: every live entry's order number after the move (the log is renumbered)."""

    type: Literal["SetMoved"] = "SetMoved"
    entry_id: UUID
    direction: str
    mapping: dict[UUID, int]


class TuneLogRenumbered(Message):
    type: Literal["TuneLogRenumbered"] = "TuneLogRenumbered"
    mapping: dict[UUID, int]


class ReplacedEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    entry_id: UUID
    order_number: int
    continues_set: bool
    tune_id: int | None
    name: str | None


class TuneLogReplaced(Message):
    """The log is exactly ``entries`` now (every earlier entry is gone)."""

    type: Literal["TuneLogReplaced"] = "TuneLogReplaced"
    entries: list[ReplacedEntry]
    at: datetime


class TuneDetailsUpdated(Message):
    """All five detail values after the update."""

    type: Literal["TuneDetailsUpdated"] = "TuneDetailsUpdated"
    entry_id: UUID
    tune_id: int | None
    name: str | None
    key_override: str | None
    setting_override: int | None
    played_timestamp: datetime | None


InstanceMessage = Annotated[
    InstanceCreated | InstanceRescheduled | InstanceDetailsChanged | InstanceCancelled | InstanceUncancelled
    | InstanceActivated | InstanceDeactivated | InstanceLogMarkedComplete | InstanceLogReopened | InstanceDeleted
    | TuneAdded | TuneRemoved | TuneSetStartChanged | TuneMoved | SetMoved | TuneLogRenumbered | TuneLogReplaced
    | TuneDetailsUpdated,
    Field(discriminator="type"),
]  # fmt: skip

SESSION_MESSAGE: TypeAdapter[SessionMessage] = TypeAdapter(SessionMessage)
INSTANCE_MESSAGE: TypeAdapter[InstanceMessage] = TypeAdapter(InstanceMessage)


def decode_session(value: bytes) -> SessionMessage:
    """Parses and validates one ``music.sessions.v1`` value (pydantic's ValidationError when it is not one)."""
    return SESSION_MESSAGE.validate_json(value)


def decode_instance(value: bytes) -> InstanceMessage:
    """Parses and validates one ``music.instances.v1`` value."""
    return INSTANCE_MESSAGE.validate_json(value)


#: Every music domain topic -> its decoder (``producers.catalogue``).
DECODERS = {topics.SESSIONS: decode_session, topics.INSTANCES: decode_instance}


#: The messages of each music topic, for the published schemas (``producers.catalogue.MESSAGES``).
TOPIC_MESSAGES: dict[str, object] = {
    topics.SESSIONS: SessionMessage,
    topics.INSTANCES: InstanceMessage,
    topics.INBOUND_TUNELOG: TuneLogRequest,
    outcomes_topic(topics.INBOUND_TUNELOG): Outcome,
}
