"""Who may do what (B.3): the checks every command and view runs before it decides anything.

The actor is named by ``actor_id``.  Its role in a session is ``owner`` (the session's teacher),
``member`` (an active member of the session's classroom) or nobody; nobody cannot see the session at
all and gets 404, as the source's queryset scoping did (B.3.2); a member asking for a teacher's action
gets 403 (B.3.3, B.3.4).
"""

from __future__ import annotations

from uuid import UUID

from domain.classroom.classroom import Classroom
from domain.classroom.errors import (
    AttendanceTeacherOnlyError,
    LiveSessionNotFoundError,
    OwnerOnlyError,
    TeacherRequiredError,
)
from domain.classroom.live_session import LiveSession

OWNER, MEMBER = "owner", "member"


def role_of(session: LiveSession, classroom: Classroom, actor_id: UUID | None) -> str | None:
    if actor_id is None:
        return None
    if actor_id == session.teacher_id:
        return OWNER
    return MEMBER if classroom.is_active_member(actor_id) else None


def check_can_see(session: LiveSession, classroom: Classroom, actor_id: UUID) -> str:
    """B.3.2: the owner, or an active member of the classroom; anyone else gets 404."""
    role = role_of(session, classroom, actor_id)
    if role is None:
        raise LiveSessionNotFoundError(session.id)
    return role


def check_is_owner(session: LiveSession, classroom: Classroom, actor_id: UUID) -> None:
    """B.3.3: start, end, cancel, reschedule, edit, reminders, excuse."""
    if check_can_see(session, classroom, actor_id) != OWNER:
        raise OwnerOnlyError()


def check_can_view_attendance(session: LiveSession, classroom: Classroom, actor_id: UUID) -> None:
    """B.3.4: "Only the teacher can view attendance" (403) for a member who can see the session."""
    if check_can_see(session, classroom, actor_id) != OWNER:
        raise AttendanceTeacherOnlyError()


def check_can_schedule(classroom: Classroom, actor_id: UUID) -> None:
    """B.3.1: the classroom's teacher schedules its sessions; anyone else gets the source's 403."""
    if actor_id != classroom.teacher_id:
        raise TeacherRequiredError()


def check_is_attendee(session: LiveSession, classroom: Classroom, student_id: UUID, *, leaving: bool = False) -> None:
    """B.3.5: join and register need an active membership (the host passes: B.3.6 / CL-7).  CL-5: a
    student who is no longer active but has a record may still leave (close their own segment)."""
    if role_of(session, classroom, student_id) is not None:
        return
    if leaving and session.record(student_id) is not None:
        return
    raise LiveSessionNotFoundError(session.id)
