"""Reminder commands of the classroom application (B.5), as a mixin of ``Classrooms``.

Sending is a command: the dispatcher asks the session to record a due reminder as sent, with its
recipients (the members active at that moment) and its text; the relay publishes that record (the event
store is the outbox).  The due rule is checked again at the tick, under the session's version, so of two
racing dispatchers one records the sending and the other is refused (CL-11): nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.classroom.access import check_is_owner
from domain.classroom.errors import LiveSessionNotFoundError, ReminderAlreadySentError, ReminderNotFoundError
from domain.classroom.fields import check_reminder_minutes
from domain.classroom.reminders import is_due, reminder_text
from domain.shared.application import Outcome

if TYPE_CHECKING:
    from domain.classroom.classroom import Classroom
    from domain.classroom.live_session import LiveSession

NOT_DUE = "reminder.not_due"


@dataclass(frozen=True)
class ReminderDispatch:
    """What ``record_reminder_sent`` did: ``sent`` is False with a ``reason`` code when it sent nothing."""

    session_id: UUID
    minutes: int
    sent: bool
    version: int
    reason: str = ""
    recipient_ids: list[str] = field(default_factory=list)


class ReminderCommands:
    """Needs the host application's loaders, ``save``, ``retrying`` and ``clock`` (see ``Classrooms``)."""

    clock: Any
    save: Callable[..., Any]
    retrying: Callable[[Callable[[], Any]], Any]
    _loaded: Callable[[UUID], tuple[LiveSession, Classroom]]
    _instant: Callable[[datetime | None], datetime]

    def add_reminder(self, session_id: UUID, actor_id: UUID, minutes: int) -> Outcome:
        """B.1.2, B.1.3; the owner only (B.3.3)."""
        check_reminder_minutes(minutes)
        return self._manage(session_id, actor_id, lambda s: s.add_reminder(minutes))

    def remove_reminder(self, session_id: UUID, actor_id: UUID, minutes: int) -> Outcome:
        """CL-13: only while unsent; the owner only (B.3.3)."""
        return self._manage(session_id, actor_id, lambda s: s.remove_reminder(minutes))

    def _manage(self, session_id: UUID, actor_id: UUID, change: Callable[[LiveSession], None]) -> Outcome:
        def attempt() -> Outcome:
            session, classroom = self._loaded(session_id)
            check_is_owner(session, classroom, actor_id)
            change(session)
            self.save(session)
            return Outcome(session.id, session.version)

        result: Outcome = self.retrying(attempt)
        return result

    def due_reminders(self, session_id: UUID, at: datetime | None = None) -> list[int]:
        """The lead times (minutes) of the session's reminders due at ``at`` (B.5.1)."""
        session, _ = self._loaded(session_id)
        now = self._instant(at)
        return [
            r.minutes for r in session.reminders
            if is_due(status=session.status, scheduled_at=session.scheduled_at, remind_before_minutes=r.minutes,
                      sent_at=r.sent_at, now=now)
        ]  # fmt: skip

    def record_reminder_sent(self, session_id: UUID, minutes: int, at: datetime | None = None) -> ReminderDispatch:
        """B.5.2: records the reminder as sent at the tick ``at`` to the members active now, once (B.5.3).

        Refusals are answers, not errors (CL-11): ``reminder.already_sent`` (another dispatcher won),
        ``reminder.not_due`` (B.5.1 does not hold at ``at``), ``reminder.not_found``, ``live_session.not_found``.
        """
        when = self._instant(at)

        def attempt() -> ReminderDispatch:
            try:
                session, classroom = self._loaded(session_id)
            except LiveSessionNotFoundError as error:
                return ReminderDispatch(session_id, minutes, False, 0, error.code)
            reminder = session.reminder(minutes)
            if reminder is None:
                return ReminderDispatch(session_id, minutes, False, session.version, ReminderNotFoundError.code)
            if reminder.sent_at is not None:
                return ReminderDispatch(session_id, minutes, False, session.version, ReminderAlreadySentError.code)
            due = is_due(status=session.status, scheduled_at=session.scheduled_at, remind_before_minutes=minutes,
                         sent_at=reminder.sent_at, now=when)  # fmt: skip
            if not due:
                return ReminderDispatch(session_id, minutes, False, session.version, NOT_DUE)
            recipients = classroom.active_member_ids()  # B.5.2: active at this moment, never the teacher
            text = reminder_text(minutes=minutes, title=session.title, scheduled_at=session.scheduled_at,
                                 session_id=session.id, classroom_id=session.classroom_id)  # fmt: skip
            session.record_reminder_sent(minutes, when, recipients, text)
            self.save(session)
            return ReminderDispatch(session_id, minutes, True, session.version, recipient_ids=recipients)

        result: ReminderDispatch = self.retrying(attempt)
        return result
