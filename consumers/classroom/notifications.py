"""Sends a due live session reminder: the command on the session (``Classrooms.record_reminder_sent``).

The command re-checks B.5.1 at the tick under the session's version and takes the recipients from the
classroom at that moment (its active students, B.5.2); the relay then publishes the recorded sending
on ``notifications.outgoing.v1``.  Of two racing dispatchers one records it, the other is answered
``sent = False`` (``reminder.already_sent``, CL-11): each reminder goes out once.
"""

from __future__ import annotations

from datetime import datetime

from consumers.dispatcher import SendResult
from domain.classroom.application import Classrooms
from projections.due import DueItem


class ClassroomSender:
    def __init__(self, app: Classrooms) -> None:
        self.app = app

    def send(self, item: DueItem, at: datetime) -> SendResult:
        result = self.app.record_reminder_sent(item.ref["session_id"], item.ref["minutes"], at)
        return SendResult(item.id, result.sent, result.reason)
