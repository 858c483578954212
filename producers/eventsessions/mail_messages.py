"""Messages of ``eventsessions.mail.v1`` (mail schedulers and their per-owner copies, keyed by the parent
event) and ``eventsessions.catalogues.v1`` (event types and timeslots, keyed by their own id; their
``event_id`` is that key).

A copy's messages carry the template's values and the owner's dates with each change, so the mail
scheduler read model is built from this one topic, in per-key order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from producers.eventsessions.base import Message


class Rule(Message):
    interval_type: Literal["after_sub", "before_event", "after_event"]
    interval_unit: Literal["now", "hours", "days", "weeks", "months"]
    interval_nbr: int
    template: str


class MailSchedulerCreated(Rule):
    type: Literal["MailSchedulerCreated"] = "MailSchedulerCreated"
    sequence: int


class MailSchedulerChanged(Rule):
    type: Literal["MailSchedulerChanged"] = "MailSchedulerChanged"


class MailSchedulerRemoved(Message):
    type: Literal["MailSchedulerRemoved"] = "MailSchedulerRemoved"


class MailScheduleScheduled(Rule):
    """A template's copy for one owner: a session, or the event itself (``session_id`` null)."""

    type: Literal["MailScheduleScheduled"] = "MailScheduleScheduled"
    scheduler_id: UUID
    session_id: UUID | None
    date_begin: datetime
    date_end: datetime
    scheduled_date: datetime | None


class MailScheduleRescheduled(Rule):
    type: Literal["MailScheduleRescheduled"] = "MailScheduleRescheduled"
    date_begin: datetime
    date_end: datetime
    scheduled_date: datetime | None
    attendee_dates: dict[UUID, datetime] = Field(default_factory=dict)


class MailScheduleRemoved(Message):
    type: Literal["MailScheduleRemoved"] = "MailScheduleRemoved"


class MailScheduleAttendeeQueued(Message):
    type: Literal["MailScheduleAttendeeQueued"] = "MailScheduleAttendeeQueued"
    registration_id: UUID
    scheduled_date: datetime


class MailScheduleAttendeeDropped(Message):
    type: Literal["MailScheduleAttendeeDropped"] = "MailScheduleAttendeeDropped"
    registration_id: UUID


class MailScheduleAttendeeMailSent(Message):
    type: Literal["MailScheduleAttendeeMailSent"] = "MailScheduleAttendeeMailSent"
    registration_id: UUID
    sent_at: datetime
    mail_count_done: int
    mail_done: bool


class MailScheduleMailSent(Message):
    type: Literal["MailScheduleMailSent"] = "MailScheduleMailSent"
    sent_at: datetime
    mail_count_done: int
    recipients: int


MailMessage = Annotated[
    MailSchedulerCreated
    | MailSchedulerChanged
    | MailSchedulerRemoved
    | MailScheduleScheduled
    | MailScheduleRescheduled
    | MailScheduleRemoved
    | MailScheduleAttendeeQueued
    | MailScheduleAttendeeDropped
    | MailScheduleAttendeeMailSent
    | MailScheduleMailSent,
    Field(discriminator="type"),
]

# -- eventsessions.catalogues.v1 ----------------------------------------------------------------


class EventTypeCreated(Message):
    type: Literal["EventTypeCreated"] = "EventTypeCreated"
    name: str
    use_sessions: bool
    has_seats_limitation: bool
    seats_max: int
    auto_confirm: bool
    default_timezone: str
    mail_schedulers: list[dict[str, Any]]


class TimeslotCatalogueCreated(Message):
    type: Literal["TimeslotCatalogueCreated"] = "TimeslotCatalogueCreated"


class TimeslotAdded(Message):
    type: Literal["TimeslotAdded"] = "TimeslotAdded"
    slot_id: UUID
    time: float
    name: str


class TimeslotRemoved(Message):
    type: Literal["TimeslotRemoved"] = "TimeslotRemoved"
    slot_id: UUID


CatalogueMessage = Annotated[
    EventTypeCreated | TimeslotCatalogueCreated | TimeslotAdded | TimeslotRemoved,
    Field(discriminator="type"),
]
