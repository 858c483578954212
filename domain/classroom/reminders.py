"""Reminders of a live session (B.5): the due rule, re-arming, and the text of the notification.

``is_due`` is the one statement of the due rule; phase 2's SQL for ``GET /notifications/due`` is tested
against it.  Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Transcoding

SCHEDULED = "scheduled"
#: B.5.6: the notification type of the source; the API's due list calls the kind ``live_session_reminder``.
NOTIFICATION_TYPE = "session_reminder"
NOTIFICATION_KIND = "live_session_reminder"


@dataclass(frozen=True)
class Reminder:
    minutes: int
    sent_at: datetime | None = None


def due_at(scheduled_at: datetime, minutes: int) -> datetime:
    """The instant from which the reminder may be sent: ``scheduled_at - minutes``."""
    return scheduled_at - timedelta(minutes=minutes)


def is_due(
    *, status: str, scheduled_at: datetime, remind_before_minutes: int, sent_at: datetime | None, now: datetime
) -> bool:
    """B.5.1: scheduled, strictly before the start, unsent, and its due time reached.

    So a reminder fires at the first tick at or after its due time, "late but sent" when it was
    added after that time, and never once the session started, was cancelled, or its start passed
    unseen (an outage) (B.5.4); there is no 35-minute cap (B.5.5).
    """
    return (
        status == SCHEDULED
        and now < scheduled_at
        and sent_at is None
        and due_at(scheduled_at, remind_before_minutes) <= now
    )


def rearmed(reminders: list[Reminder], new_scheduled_at: datetime, at: datetime) -> list[int]:
    """B.5.7: the sent reminders a reschedule at ``at`` re-arms: their new due time is still ahead.

    Unsent reminders are armed already (CL-19); reminders whose new due time has passed keep their state.
    """
    return [r.minutes for r in reminders if r.sent_at is not None and due_at(new_scheduled_at, r.minutes) > at]


def reminder_text(
    *, minutes: int, title: str, scheduled_at: datetime, session_id: UUID, classroom_id: UUID
) -> dict[str, Any]:
    """B.5.6, word for word; the time is the UTC ``HH:MM`` of the stored start (CL-12)."""
    start = scheduled_at.astimezone(timezone.utc)
    return {
        "title": f"Session in {minutes} min: {title}",
        "body": f"Join at {start:%H:%M}",
        "data": {"session_id": str(session_id), "classroom_id": str(classroom_id)},
        "notification_type": NOTIFICATION_TYPE,
    }


class ReminderAsDict(Transcoding):
    """Lets a snapshot hold the reminders."""

    type = Reminder
    name = "classroom_reminder"

    def encode(self, obj: Reminder) -> dict[str, Any]:
        return {"minutes": obj.minutes, "sent_at": obj.sent_at}

    def decode(self, data: dict[str, Any]) -> Reminder:
        return Reminder(**data)
