"""``notifications.outgoing.v1``: one message per notification for a mailer to deliver.

The message is published by the relay from the "sent" record in the event store, so it exists once
per recorded sending; a relay crash may repeat it, with the same ``notification_id`` (a mailer drops
the repeat).  Keyed by ``subject_id``.  Each context has its own model, told apart by ``context``
(``Notification``, ``decode_notification``): ``eventsessions`` mails, ``classroom`` reminders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = 1


class Recipient(BaseModel):
    registration_id: UUID
    name: str
    email: str


class OutgoingNotification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["Notification"] = "Notification"
    schema_version: int = SCHEMA_VERSION
    notification_id: UUID
    aggregate_id: UUID  # the mail schedule copy that recorded the sending, and its version then
    version: int
    occurred_at: datetime
    kind: str  # e.g. "eventsessions.mail.before_event"
    context: Literal["eventsessions"] = "eventsessions"
    template: str
    subject_id: UUID  # the session (or event) for a one-shot mail, the registration for after_sub
    event_id: UUID
    session_id: UUID | None
    scheduler_id: UUID
    schedule_id: UUID
    recipients: list[Recipient]
    due_at: datetime | None
    sent_at: datetime
    data: dict[str, Any]  # event_name, date_tz, date_begin, date_end, date_range (spec §9)


class StudentRecipient(BaseModel):
    student_id: UUID


class ClassroomNotification(BaseModel):
    """A live session's reminder (spec B.5): sent to the classroom's students active at the tick."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: Literal["Notification"] = "Notification"
    schema_version: int = SCHEMA_VERSION
    notification_id: UUID
    aggregate_id: UUID  # the live session that recorded the sending, and its version then
    version: int
    occurred_at: datetime
    kind: str  # "live_session_reminder"
    context: Literal["classroom"] = "classroom"
    template: str  # the source's notification type, "session_reminder"
    subject_id: UUID  # the live session
    session_id: UUID
    classroom_id: UUID
    minutes: int  # how long before the start
    recipients: list[StudentRecipient]
    due_at: datetime
    sent_at: datetime
    title: str  # "Session in {minutes} min: {title}"
    body: str  # "Join at {HH:MM}"
    data: dict[str, Any]  # session_id, classroom_id


Notification = Annotated[OutgoingNotification | ClassroomNotification, Field(discriminator="context")]
NOTIFICATION: TypeAdapter[Any] = TypeAdapter(Notification)


def decode_notification(value: bytes) -> Any:
    """Parses one ``notifications.outgoing.v1`` value, of any context."""
    return NOTIFICATION.validate_json(value)
