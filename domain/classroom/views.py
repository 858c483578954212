"""Write-side views (plain dataclasses) and the rules phase 2's read models must reproduce.

- ``live_session_view``: ``GET /live-sessions/{id}``; the meeting password only for the owner and the
  active members named by ``actor_id`` (CL-18).
- ``attendance_report``: B.6.2 with its totals; one row per record, plus the active members without a
  record yet (status ``None``, CL-17).
- ``select_upcoming``: B.6.1 over any collection of sessions (the read model's oracle).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.classroom.access import role_of
from domain.classroom.attendance import ATTENDED
from domain.classroom.classroom import Classroom
from domain.classroom.live_session import SCHEDULED, LiveSession
from domain.classroom.reminders import due_at

UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class ReminderView:
    minutes: int
    due_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class LiveSessionView:
    id: UUID
    version: int
    classroom_id: UUID
    teacher_id: UUID
    title: str
    description: str
    scheduled_at: datetime
    duration_minutes: int
    timezone: str
    session_type: str
    status: str
    meeting_url: str | None
    meeting_id: str | None
    meeting_password: str | None
    materials: list[dict[str, Any]]
    recording_url: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    reminders: list[ReminderView] = field(default_factory=list)


@dataclass(frozen=True)
class AttendanceRow:
    student_id: UUID
    status: str | None
    joined_at: datetime | None
    left_at: datetime | None
    duration_minutes: int


@dataclass(frozen=True)
class AttendanceReport:
    session_id: UUID
    session_title: str
    total_enrolled: int
    total_attended: int
    attendance: list[AttendanceRow]


@dataclass(frozen=True)
class ClassroomView:
    id: UUID
    version: int
    name: str
    teacher_id: UUID
    members: dict[str, str]  # student id -> membership status


@dataclass(frozen=True)
class UpcomingCandidate:
    """What B.6.1 needs of a session: ``Scheduled``, ``Rescheduled`` and the lifecycle events carry it."""

    id: UUID
    classroom_id: UUID
    teacher_id: UUID
    status: str
    scheduled_at: datetime


def live_session_view(session: LiveSession, classroom: Classroom, actor_id: UUID | None) -> LiveSessionView:
    sees_password = role_of(session, classroom, actor_id) is not None  # CL-18
    return LiveSessionView(
        id=session.id, version=session.version, classroom_id=session.classroom_id,
        teacher_id=session.teacher_id, title=session.title, description=session.description,
        scheduled_at=session.scheduled_at, duration_minutes=session.duration_minutes,
        timezone=session.timezone, session_type=session.session_type, status=session.status,
        meeting_url=session.meeting_url, meeting_id=session.meeting_id,
        meeting_password=session.meeting_password if sees_password else None,
        materials=[dict(m) for m in session.materials], recording_url=session.recording_url,
        created_at=session.created_at, started_at=session.started_at,
        completed_at=session.completed_at, cancelled_at=session.cancelled_at,
        reminders=[ReminderView(r.minutes, due_at(session.scheduled_at, r.minutes), r.sent_at)
                   for r in session.reminders],
    )  # fmt: skip


def attendance_report(session: LiveSession, classroom: Classroom) -> AttendanceReport:
    """B.6.2: total_enrolled = active members now; total_attended = records attended."""
    rows = {
        sid: AttendanceRow(UUID(sid), r.status, r.joined_at, r.left_at, r.duration_minutes)
        for sid, r in session.attendance.items()
        if r.status is not None
    }
    active = classroom.active_member_ids()
    for sid in active:
        rows.setdefault(sid, AttendanceRow(UUID(sid), None, None, None, 0))  # CL-17
    return AttendanceReport(
        session_id=session.id, session_title=session.title, total_enrolled=len(active),
        total_attended=sum(1 for row in rows.values() if row.status == ATTENDED),
        attendance=[rows[sid] for sid in sorted(rows)],
    )  # fmt: skip


def classroom_view(classroom: Classroom) -> ClassroomView:
    return ClassroomView(classroom.id, classroom.version, classroom.name, classroom.teacher_id,
                         dict(sorted(classroom.memberships.items())))  # fmt: skip


def select_upcoming(
    candidates: Iterable[UpcomingCandidate],
    *,
    actor_id: UUID,
    active_classroom_ids: Iterable[UUID],
    at: datetime,
    limit: int = UPCOMING_LIMIT,
) -> list[UpcomingCandidate]:
    """B.6.1 (CL-20): sessions the actor teaches or whose classroom has the actor as an active
    member; scheduled and starting at or after ``at``; soonest first, then by id; at most ``limit``."""
    classrooms = set(active_classroom_ids)
    visible = [
        c for c in candidates
        if (c.teacher_id == actor_id or c.classroom_id in classrooms)
        and c.status == SCHEDULED and c.scheduled_at >= at
    ]  # fmt: skip
    return sorted(visible, key=lambda c: (c.scheduled_at, c.id))[:limit]
