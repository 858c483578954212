"""Test data for the classroom unit tests: a classroom with a teacher and three active students, and a
lesson scheduled for 18:00 UTC; helpers name instants in minutes from that start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from domain.classroom.application import Classrooms
from domain.classroom.presence import PresenceEvent
from domain.shared.clock import FrozenClock

UTC = timezone.utc
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
START = datetime(2027, 3, 1, 18, tzinfo=UTC)  # the lesson's scheduled_at


def minute(n: float) -> datetime:
    """``n`` minutes after the lesson's scheduled start."""
    return START + timedelta(minutes=n)


def joined(student: UUID, n: float) -> PresenceEvent:
    return PresenceEvent("participant_joined", minute(n), student)


def left(student: UUID, n: float) -> PresenceEvent:
    return PresenceEvent("participant_left", minute(n), student)


def finished(n: float) -> PresenceEvent:
    return PresenceEvent("room_finished", minute(n))


@dataclass
class Lesson:
    """A classroom (teacher + three active students) and one scheduled session of it."""

    app: Classrooms
    clock: FrozenClock
    teacher: UUID
    classroom_id: UUID
    students: list[UUID]
    session_id: UUID

    @property
    def a(self) -> UUID:
        return self.students[0]

    @property
    def b(self) -> UUID:
        return self.students[1]

    @property
    def c(self) -> UUID:
        return self.students[2]

    def session(self):
        return self.app.get_live_session(self.session_id)

    def record(self, student: UUID):
        return self.session().record(student)

    def start(self, n: float = 0):
        return self.app.start(self.session_id, self.teacher, at=minute(n))

    def end(self, n: float):
        return self.app.end(self.session_id, self.teacher, at=minute(n))

    def join(self, student: UUID, n: float):
        return self.app.join(self.session_id, student, at=minute(n))

    def leave(self, student: UUID, n: float):
        return self.app.leave(self.session_id, student, at=minute(n))

    def webhooks(self, *events: PresenceEvent):
        return self.app.apply_presence(self.session_id, list(events))

    def event_names(self) -> list[str]:
        return [type(e).__name__ for e in self.app.events.get(self.session_id)]


def new_lesson(app: Classrooms, clock: FrozenClock, **session_values) -> Lesson:
    teacher = uuid4()
    classroom_id = app.create_classroom(name="German B1", teacher_id=teacher).id
    students = [uuid4() for _ in range(3)]
    for student in students:
        app.add_member(classroom_id, student)
    session_values.setdefault("title", "Modal verbs")
    session_values.setdefault("scheduled_at", START)
    session_id = app.schedule_live_session(classroom_id, actor_id=teacher, **session_values).id
    return Lesson(app, clock, teacher, classroom_id, students, session_id)
