"""Sends a due event-session mail: the command on its schedule copy (``domain.eventsessions.mailing``)."""

from __future__ import annotations

from datetime import datetime

from consumers.dispatcher import SendResult
from domain.eventsessions.application import EventSessions
from projections.due import DueItem


class EventSessionsSender:
    def __init__(self, app: EventSessions) -> None:
        self.app = app

    def send(self, item: DueItem, at: datetime) -> SendResult:
        registration_id = item.ref["registration_id"]
        if registration_id is not None:
            result = self.app.send_attendee_mail(item.ref["schedule_id"], registration_id, at)
        else:
            result = self.app.send_scheduled_mail(item.ref["schedule_id"], at)
        return SendResult(item.id, result.sent, result.reason)
