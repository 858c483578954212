"""``notifications.outgoing.v1``: one message per notification for a mailer to deliver.

The message is published by the relay from the "sent" record in the event store, so it exists once
per recorded sending; a relay crash may repeat it, with the same ``notification_id`` (a mailer drops
the repeat).  Keyed by ``subject_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

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
