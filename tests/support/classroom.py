"""Classroom scenarios for tests: an in-memory application, and one run of commands that records every
kind of event the context has (the mapping test checks each one has a published message)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID

from domain.classroom.application import Classrooms
from domain.shared.clock import FrozenClock

NOW = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)
START = datetime(2027, 3, 1, 18, tzinfo=timezone.utc)  # the lesson's scheduled start
TEACHER = UUID(int=1)
ADA, BO, CY = UUID(int=2), UUID(int=3), UUID(int=4)


def in_memory(clock: FrozenClock | None = None) -> Classrooms:
    return Classrooms(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock or FrozenClock(NOW))


def minute(n: float) -> datetime:
    """``n`` minutes after the lesson's first scheduled start."""
    return START + timedelta(minutes=n)


def every_event(app: Classrooms) -> Classrooms:
    """Runs commands that record at least one event of every class of ``Classroom`` and ``LiveSession``."""
    # A classroom and its memberships: added, then one changed.
    classroom = app.create_classroom(name="German B1", teacher_id=TEACHER).id
    for student in (ADA, BO, CY):
        app.add_member(classroom, student)
    app.change_member(classroom, CY, "paused")
    app.change_member(classroom, CY, "active")

    # A lesson with two reminders (Scheduled, ReminderAdded); details changed; the 60-minute one sent.
    lesson = app.schedule_live_session(
        classroom, actor_id=TEACHER, title="Modal verbs", scheduled_at=START, reminders=[30, 60]
    ).id
    app.update_live_session(lesson, TEACHER, {"title": "Modal verbs II"})
    assert app.record_reminder_sent(lesson, 60, at=minute(-50)).sent
    # Moved two hours later: the sent reminder's new due time is ahead of the clock, so it is re-armed.
    app.update_live_session(lesson, TEACHER, {"scheduled_at": minute(120)})
    app.remove_reminder(lesson, TEACHER, 30)

    # Attendance: Ada registers and never comes (marked absent at the end), Bo joins and leaves,
    # Cy is excused by the teacher.
    app.register(lesson, ADA)
    app.start(lesson, TEACHER, at=minute(120))
    app.join(lesson, BO, at=minute(121))
    app.leave(lesson, BO, at=minute(150))
    app.mark_attendance(lesson, TEACHER, CY)
    app.end(lesson, TEACHER, at=minute(180))

    # A second lesson, cancelled before it starts.
    spare = app.schedule_live_session(classroom, actor_id=TEACHER, title="Spare", scheduled_at=START).id
    app.cancel(spare, TEACHER)
    return app
