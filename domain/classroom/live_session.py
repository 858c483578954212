"""A live session of a classroom, with its attendance records and reminders (B.1).

Invariants:
- ``status`` moves only along B.2: scheduled -> live (start, or a participant joining by webhook),
  scheduled -> cancelled, live -> completed (end), scheduled|live -> completed (room finished); every
  other move raises ``session.invalid_transition`` (B.2.6).  ``scheduled_at`` changes only while
  scheduled (B.2.7).  Who may ask is the application's check (B.3); the session decides what happens.
- One attendance record per student (B.1.4), never for the teacher (B.3.6).  Its summary is the replay of
  its presence marks clipped to the live window ``[started_at, completed_at]`` (B.4.1, CL-1, CL-3), so
  ``duration_minutes`` is never negative and never above the elapsed time.  ``completed_at`` is never
  before ``started_at`` (CL-8).
- Completing closes every open segment at ``completed_at`` (B.4.9) and then marks the active members
  without an attended or excused record ``absent`` (B.4.10); a cancelled session marks nobody (B.4.12).
- Reminders are unique by lead time (B.1.3), at least a minute (B.1.2), sent at most once (B.5.3) and
  removed only while unsent (CL-13); a reschedule re-arms the sent ones whose new due time is ahead (B.5.7).

State is flat (``FlatStateCopy``): records and reminders are immutable values, replaced, never mutated.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.classroom.attendance import ATTENDED, EXCUSED, REGISTERED, Attendance, Window
from domain.classroom.errors import (
    AlreadyAttendedError,
    DuplicateReminderError,
    InvalidTransitionError,
    RegistrationClosedError,
    ReminderAlreadySentError,
    ReminderNotFoundError,
    SessionCancelledError,
    SessionNotLiveError,
)
from domain.classroom.reminders import Reminder, due_at, rearmed
from domain.shared.copying import FlatStateCopy

SCHEDULED, LIVE, COMPLETED, CANCELLED = "scheduled", "live", "completed", "cancelled"
#: ``by`` of a lifecycle event: who asked (a teacher, or the participant whose join started it).
BY_TEACHER, BY_PARTICIPANT_JOINED, BY_ROOM_FINISHED = "teacher", "participant_joined", "room_finished"


class LiveSession(FlatStateCopy, Aggregate):
    class Cancelled(Aggregate.Event):
        """B.2.2.  Version 2 renamed ``at`` to ``cancelled_at`` (the session's own attribute and read-model
        column) and added ``reason`` (free text, optional; None in version 1 events).  Version 1 events are
        upcast when they are read; their stored bytes never change."""

        class_version = 2
        cancelled_at: datetime
        by: UUID
        reason: str | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["cancelled_at"] = state.pop("at")
            state["reason"] = None

    @event("Scheduled")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        classroom_id: UUID,
        teacher_id: UUID,
        title: str,
        description: str,
        scheduled_at: datetime,
        duration_minutes: int,
        timezone: str,
        session_type: str,
        meeting_url: str | None,
        meeting_id: str | None,
        meeting_password: str | None,
        materials: list[dict[str, Any]],
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.classroom_id = classroom_id
        self.teacher_id = teacher_id
        self.title = title
        self.description = description
        self.scheduled_at = scheduled_at
        self.duration_minutes = duration_minutes
        self.timezone = timezone
        self.session_type = session_type
        self.meeting_url = meeting_url
        self.meeting_id = meeting_id
        self.meeting_password = meeting_password
        self.materials = materials
        self.recording_url: str | None = None
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.status = SCHEDULED
        self.started_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.reminders: list[Reminder] = []  # each one arrives with its own ReminderAdded
        self.attendance: dict[str, Attendance] = {}  # student id -> record

    # -- questions -------------------------------------------------------------------------------

    @property
    def window(self) -> Window:
        return Window(self.started_at, self.completed_at)

    def record(self, student_id: UUID | str) -> Attendance | None:
        return self.attendance.get(str(student_id))

    def reminder(self, minutes: int) -> Reminder | None:
        return next((r for r in self.reminders if r.minutes == minutes), None)

    def was_live_at(self, at: datetime) -> bool:
        """B.4.3 with CL-4: live now, or completed and ``at`` falls before the completion."""
        if self.status == LIVE:
            return True
        return self.status == COMPLETED and self.started_at is not None and self.window.admits(at)

    def _record_or_new(self, student_id: UUID) -> Attendance:
        return self.attendance.get(str(student_id)) or Attendance(str(student_id))

    # -- details and schedule --------------------------------------------------------------------

    def change_details(self, changes: dict[str, Any]) -> None:
        """B.1.7: the checked editable fields (never ``status``); only real changes are recorded."""
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if changed:
            self._details_changed(changes=changed)

    @event("DetailsChanged")
    def _details_changed(self, changes: dict[str, Any]) -> None:
        for field, value in changes.items():
            setattr(self, field, value)

    def reschedule(self, scheduled_at: datetime, at: datetime) -> None:
        """B.2.7 only while scheduled; B.5.7 re-arms the sent reminders whose new due time is ahead."""
        if scheduled_at == self.scheduled_at:
            return
        if self.status != SCHEDULED:
            raise InvalidTransitionError(self.status, SCHEDULED)
        due = [{"minutes": r.minutes, "due_at": due_at(scheduled_at, r.minutes)} for r in self.reminders]
        self._rescheduled(scheduled_at=scheduled_at, previous_scheduled_at=self.scheduled_at, at=at, reminders=due)
        for minutes in rearmed(self.reminders, scheduled_at, at):
            self._reminder_rearmed(minutes=minutes, due_at=due_at(scheduled_at, minutes), at=at)

    @event("Rescheduled")
    def _rescheduled(
        self, scheduled_at: datetime, previous_scheduled_at: datetime, at: datetime, reminders: list[dict[str, Any]]
    ) -> None:
        self.scheduled_at = scheduled_at

    # -- lifecycle (B.2) -------------------------------------------------------------------------

    def start(self, at: datetime, by: UUID | None, trigger: str = BY_TEACHER) -> None:
        """B.2.1 / B.2.4."""
        if self.status != SCHEDULED:
            raise InvalidTransitionError(self.status, LIVE)
        self._started(at=at, by=by, trigger=trigger)

    @event("Started")
    def _started(self, at: datetime, by: UUID | None, trigger: str) -> None:
        self.status = LIVE
        self.started_at = at

    def cancel(self, at: datetime, by: UUID, reason: str | None = None) -> None:
        """B.2.2; B.4.12: nobody is marked absent."""
        if self.status != SCHEDULED:
            raise InvalidTransitionError(self.status, CANCELLED)
        self._cancelled(cancelled_at=at, by=by, reason=reason)

    @event(Cancelled)
    def _cancelled(self, cancelled_at: datetime, by: UUID, reason: str | None = None) -> None:
        self.status = CANCELLED
        self.cancelled_at = cancelled_at

    def end(self, at: datetime, by: UUID | None, active_member_ids: list[str], trigger: str = BY_TEACHER) -> None:
        """B.2.3 (the teacher, from live) / B.2.5 (room finished, from scheduled or live), then B.4.9-B.4.11."""
        allowed = (SCHEDULED, LIVE) if trigger == BY_ROOM_FINISHED else (LIVE,)
        if self.status not in allowed:
            raise InvalidTransitionError(self.status, COMPLETED)
        completed_at = max(at, self.started_at) if self.started_at is not None else at  # CL-8
        self._ended(at=completed_at, by=by, trigger=trigger)
        window = self.window
        for student_id, record in list(self.attendance.items()):
            # B.4.9: close what is open; CL-3: marks at or after the completion stop counting.
            if record.marks and (record.connected or record.marks[-1][0] >= completed_at):
                after = record.within(window)
                if after != record:
                    self._student_left(student_id=UUID(student_id), at=completed_at, closed_by_end=True,
                                       **after.summary())  # fmt: skip
        for student_id in active_member_ids:  # B.4.10, B.4.11: active members only
            known = self.attendance.get(student_id)
            if known is None or known.status in (None, REGISTERED):
                self._student_marked_absent(student_id=UUID(student_id), at=completed_at, status="absent")

    @event("Ended")
    def _ended(self, at: datetime, by: UUID | None, trigger: str) -> None:
        self.status = COMPLETED
        self.completed_at = at

    # -- attendance (B.4) ------------------------------------------------------------------------

    def register(self, student_id: UUID, at: datetime) -> bool:
        """B.4.2: while scheduled or live, idempotent; CL-15 otherwise."""
        if self.status not in (SCHEDULED, LIVE):
            raise RegistrationClosedError()
        if student_id == self.teacher_id:
            return False  # B.3.6: the host is not tracked
        record = self.record(student_id)
        if record is not None and record.status is not None:
            return False
        self._student_registered(student_id=student_id, at=at, status=REGISTERED)
        return True

    @event("StudentRegistered")
    def _student_registered(self, student_id: UUID, at: datetime, status: str) -> None:
        self.attendance[str(student_id)] = replace(self._record_or_new(student_id), registered=True)

    def join(self, student_id: UUID, at: datetime, *, by_webhook: bool = False) -> bool:
        """B.4.3-B.4.6; a webhook join starts a scheduled session first (B.2.4, CL-9); the host is not
        tracked (B.3.6, CL-7).  False when nothing was recorded (an exact duplicate mark, CL-2)."""
        if by_webhook and self.status == SCHEDULED:
            self.start(at, by=student_id, trigger=BY_PARTICIPANT_JOINED)
        if not self.was_live_at(at):
            raise SessionNotLiveError()
        if student_id == self.teacher_id:
            return False
        record = self._record_or_new(student_id)
        if record.has_mark(at, True):
            return False
        after = record.with_mark(at, True, self.window)
        self._student_joined(student_id=student_id, at=at, **after.summary())
        return True

    @event("StudentJoined")
    def _student_joined(
        self,
        student_id: UUID,
        at: datetime,
        status: str | None,
        joined_at: datetime | None,
        left_at: datetime | None,
        duration_minutes: int,
        connected: bool,
    ) -> None:
        self.attendance[str(student_id)] = self._record_or_new(student_id).with_mark(at, True, self.window)

    def leave(self, student_id: UUID, at: datetime) -> bool:
        """B.4.7 / B.4.8; CL-6 keeps a leave that arrives first; B.4.14 / CL-4 after completion."""
        if student_id == self.teacher_id or self.status == CANCELLED or not self.window.admits(at):
            return False
        record = self._record_or_new(student_id)
        if record.has_mark(at, False):
            return False
        after = record.with_mark(at, False, self.window)
        self._student_left(student_id=student_id, at=at, closed_by_end=False, **after.summary())
        return True

    @event("StudentLeft")
    def _student_left(
        self,
        student_id: UUID,
        at: datetime,
        closed_by_end: bool,
        status: str | None,
        joined_at: datetime | None,
        left_at: datetime | None,
        duration_minutes: int,
        connected: bool,
    ) -> None:
        record = self._record_or_new(student_id)
        self.attendance[str(student_id)] = (
            record.within(self.window) if closed_by_end else record.with_mark(at, False, self.window)
        )

    @event("StudentMarkedAbsent")
    def _student_marked_absent(self, student_id: UUID, at: datetime, status: str) -> None:
        self.attendance[str(student_id)] = replace(self._record_or_new(student_id), absent=True)

    def excuse(self, student_id: UUID, at: datetime, by: UUID) -> bool:
        """B.4.13 (before or after completion); CL-16 in a cancelled session."""
        if self.status == CANCELLED:
            raise SessionCancelledError()
        record = self.record(student_id)
        status = record.status if record else None
        if status == ATTENDED:
            raise AlreadyAttendedError()
        if status == EXCUSED:
            return False
        self._student_excused(student_id=student_id, at=at, by=by, status=EXCUSED)
        return True

    @event("StudentExcused")
    def _student_excused(self, student_id: UUID, at: datetime, by: UUID, status: str) -> None:
        self.attendance[str(student_id)] = replace(self._record_or_new(student_id), excused=True)

    # -- reminders (B.1, B.5) --------------------------------------------------------------------

    def add_reminder(self, minutes: int) -> None:
        """B.1.3: one per lead time (``minutes`` is checked by ``fields.check_reminder_minutes``)."""
        if self.reminder(minutes) is not None:
            raise DuplicateReminderError(minutes)
        self._reminder_added(minutes=minutes, due_at=due_at(self.scheduled_at, minutes))

    @event("ReminderAdded")
    def _reminder_added(self, minutes: int, due_at: datetime) -> None:
        self.reminders = sorted([*self.reminders, Reminder(minutes)], key=lambda r: r.minutes)

    def remove_reminder(self, minutes: int) -> None:
        """CL-13: only while unsent."""
        reminder = self.reminder(minutes)
        if reminder is None:
            raise ReminderNotFoundError(minutes)
        if reminder.sent_at is not None:
            raise ReminderAlreadySentError(minutes)
        self._reminder_removed(minutes=minutes)

    @event("ReminderRemoved")
    def _reminder_removed(self, minutes: int) -> None:
        self.reminders = [r for r in self.reminders if r.minutes != minutes]

    def replace_reminders(self, minutes: list[int]) -> None:
        """CL-13: a PATCH's list becomes the set; all checks pass before anything is recorded."""
        wanted = list(dict.fromkeys(minutes))
        if len(wanted) != len(minutes):
            raise DuplicateReminderError(next(m for m in minutes if minutes.count(m) > 1))
        dropped = [r for r in self.reminders if r.minutes not in wanted]
        for reminder in dropped:
            if reminder.sent_at is not None:
                raise ReminderAlreadySentError(reminder.minutes)
        for reminder in dropped:
            self._reminder_removed(minutes=reminder.minutes)
        for m in wanted:
            if self.reminder(m) is None:
                self.add_reminder(m)

    def record_reminder_sent(
        self, minutes: int, sent_at: datetime, recipient_ids: list[str], text: dict[str, Any]
    ) -> None:
        """B.5.2: sent to ``recipient_ids`` at the tick; the application checked the due rule (B.5.1)."""
        reminder = self.reminder(minutes)
        if reminder is None:
            raise ReminderNotFoundError(minutes)
        if reminder.sent_at is not None:
            raise ReminderAlreadySentError(minutes)  # B.5.3
        self._reminder_sent(
            minutes=minutes, due_at=due_at(self.scheduled_at, minutes), sent_at=sent_at,
            recipient_ids=recipient_ids, classroom_id=self.classroom_id, **text,
        )  # fmt: skip

    @event("ReminderSent")
    def _reminder_sent(
        self,
        minutes: int,
        due_at: datetime,
        sent_at: datetime,
        recipient_ids: list[str],
        classroom_id: UUID,
        title: str,
        body: str,
        data: dict[str, str],
        notification_type: str,
    ) -> None:
        self._set_sent_at(minutes, sent_at)

    @event("ReminderRearmed")
    def _reminder_rearmed(self, minutes: int, due_at: datetime, at: datetime) -> None:
        self._set_sent_at(minutes, None)

    def _set_sent_at(self, minutes: int, sent_at: datetime | None) -> None:
        self.reminders = [Reminder(r.minutes, sent_at) if r.minutes == minutes else r for r in self.reminders]
