"""Errors of the classroom context: one root (``ClassroomError``) over the shared families.

The family decides the HTTP status (``NotFoundError`` 404, ``ForbiddenError`` 403, ``RuleViolationError``
409, ``InvalidInputError`` 422); ``code`` is the stable dotted id of ``RULES.md``.  Messages quoted by the
spec (B.3) are word for word.
"""

from __future__ import annotations

from uuid import UUID

from domain.shared.errors import (
    DomainError,
    ForbiddenError,
    IdReusedError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
)

__all__ = ["IdReusedError"]

TEACHER_REQUIRED = "Only teachers can create sessions. Apply to become a teacher first."
TEACHER_ONLY_ATTENDANCE = "Only the teacher can view attendance"
OWNER_ONLY = "Only the teacher can manage this session."


class ClassroomError(DomainError):
    """The root of every error this context raises."""

    code = "classroom.error"


# -- 404 ------------------------------------------------------------------------------------------


class ClassroomNotFoundError(ClassroomError, NotFoundError):
    code = "classroom.not_found"

    def __init__(self, classroom_id: UUID) -> None:
        super().__init__(f"Classroom {classroom_id} not found.")


class MemberNotFoundError(ClassroomError, NotFoundError):
    code = "classroom.member.not_found"

    def __init__(self, student_id: UUID) -> None:
        super().__init__(f"Student {student_id} is not a member of this classroom.")


class LiveSessionNotFoundError(ClassroomError, NotFoundError):
    """B.3.2: also what an actor outside the session's scope gets (queryset scoping)."""

    code = "live_session.not_found"

    def __init__(self, session_id: UUID) -> None:
        super().__init__(f"Live session {session_id} not found.")


class ReminderNotFoundError(ClassroomError, NotFoundError):
    code = "reminder.not_found"

    def __init__(self, minutes: int) -> None:
        super().__init__(f"This session has no reminder {minutes} minutes before it.")


# -- 403 ------------------------------------------------------------------------------------------


class TeacherRequiredError(ClassroomError, ForbiddenError):
    """B.3.1: only the classroom's teacher creates its sessions."""

    code = "live_session.teacher_required"

    def __init__(self) -> None:
        super().__init__(TEACHER_REQUIRED)


class OwnerOnlyError(ClassroomError, ForbiddenError):
    """B.3.3: a member who can see the session tried a teacher's action."""

    code = "live_session.owner_only"

    def __init__(self) -> None:
        super().__init__(OWNER_ONLY)


class AttendanceTeacherOnlyError(ClassroomError, ForbiddenError):
    """B.3.4: the attendance report is the owning teacher's."""

    code = "attendance.teacher_only"

    def __init__(self) -> None:
        super().__init__(TEACHER_ONLY_ATTENDANCE)


# -- 409 ------------------------------------------------------------------------------------------


class InvalidTransitionError(ClassroomError, RuleViolationError):
    """B.2.6: ``session.invalid_transition{from,to}``."""

    code = "session.invalid_transition"

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"A {from_status} session cannot become {to_status}.")
        self.from_status = from_status
        self.to_status = to_status
        #: What a caller shows beside the message (the problem document's ``from`` and ``to``).
        self.details = {"from": from_status, "to": to_status}


class SessionNotLiveError(ClassroomError, RuleViolationError):
    """B.4.3 / B.4.14."""

    code = "attendance.session_not_live"

    def __init__(self) -> None:
        super().__init__("The session is not live.")


class AlreadyAttendedError(ClassroomError, RuleViolationError):
    """B.4.13."""

    code = "attendance.already_attended"

    def __init__(self) -> None:
        super().__init__("The student attended this session and cannot be excused.")


class RegistrationClosedError(ClassroomError, RuleViolationError):
    """CL-15."""

    code = "attendance.registration_closed"

    def __init__(self) -> None:
        super().__init__("Registration is closed: the session is over or cancelled.")


class SessionCancelledError(ClassroomError, RuleViolationError):
    """CL-16."""

    code = "attendance.session_cancelled"

    def __init__(self) -> None:
        super().__init__("The session was cancelled.")


class DuplicateReminderError(ClassroomError, RuleViolationError):
    """B.1.3."""

    code = "reminder.duplicate"

    def __init__(self, minutes: int) -> None:
        super().__init__(f"This session already has a reminder {minutes} minutes before it.")


class ReminderAlreadySentError(ClassroomError, RuleViolationError):
    """CL-13: a sent reminder stays (its sending is history)."""

    code = "reminder.already_sent"

    def __init__(self, minutes: int) -> None:
        super().__init__(f"The reminder {minutes} minutes before the session was already sent.")


# -- 422 ------------------------------------------------------------------------------------------


class ClassroomInputError(ClassroomError, InvalidInputError):
    """Malformed input; ``field`` names the culprit, ``code`` is given per case."""

    code = "classroom.invalid"

    def __init__(self, field: str, message: str, code: str) -> None:
        InvalidInputError.__init__(self, field, message, code=code)


def invalid(field: str, message: str, code: str) -> ClassroomInputError:
    return ClassroomInputError(field, message, code)


def invalid_reminder_minutes(minutes: object) -> ClassroomInputError:
    """B.1.2."""
    return invalid("minutes", f"A reminder must be at least 1 minute before the session (got {minutes!r}).",
                   "reminder.minutes.invalid")  # fmt: skip
