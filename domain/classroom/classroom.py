"""A classroom: its teacher and its students' memberships.

Invariants:
- One membership per (classroom, student) (B.1.6), with status ``pending``, ``active``, ``paused`` or
  ``removed``; removing keeps the entry (status ``removed``) and every change is an event, so the
  history of who was a member when stays in the stream (CL-14).
- The teacher is never a member of their own classroom (CL-14): the host is not tracked (B.3.6).
- Only ``active`` members count anywhere (B.1.5): they see the classroom's sessions, join them, get
  their reminders and are marked absent when they miss one.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.classroom.errors import MemberNotFoundError, invalid
from domain.shared.copying import FlatStateCopy

ACTIVE = "active"
MEMBERSHIP_STATUSES = ("pending", "active", "paused", "removed")
#: What ``POST /classrooms/{id}/members`` may ask for (CL-14).
JOINING_STATUSES = ("active", "pending")


def check_membership_status(status: str, allowed: tuple[str, ...] = MEMBERSHIP_STATUSES) -> str:
    if status not in allowed:
        raise invalid("status", f"status must be one of: {', '.join(allowed)}.", "classroom.member.status_invalid")
    return status


class Classroom(FlatStateCopy, Aggregate):
    @event("Created")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the client-chosen or fresh id; eventsourcing keeps it out of the event
        name: str,
        teacher_id: UUID,
        created_at: datetime,
        fingerprint: str,
    ) -> None:
        self.name = name
        self.teacher_id = teacher_id
        self.created_at = created_at
        self.fingerprint = fingerprint
        self.memberships: dict[str, str] = {}  # student id -> status

    # -- questions -------------------------------------------------------------------------------

    def status_of(self, student_id: UUID) -> str | None:
        return self.memberships.get(str(student_id))

    def is_active_member(self, student_id: UUID) -> bool:
        return self.memberships.get(str(student_id)) == ACTIVE

    def active_member_ids(self) -> list[str]:
        """B.1.5: the students who count, as sorted id strings."""
        return sorted(sid for sid, status in self.memberships.items() if status == ACTIVE)

    # -- commands --------------------------------------------------------------------------------

    def add_member(self, student_id: UUID, status: str, at: datetime) -> bool:
        """CL-14: adds the student, or sets the status of a known one; False when nothing changed."""
        check_membership_status(status, JOINING_STATUSES)
        if student_id == self.teacher_id:
            raise invalid("student_id", "The teacher cannot be a member of their own classroom.",
                          "classroom.member.is_teacher")  # fmt: skip
        return self._change(student_id, status, at)

    def change_member(self, student_id: UUID, status: str, at: datetime) -> bool:
        """CL-14: PATCH (any status) and DELETE (``removed``) of a known member."""
        check_membership_status(status)
        if str(student_id) not in self.memberships:
            raise MemberNotFoundError(student_id)
        return self._change(student_id, status, at)

    def _change(self, student_id: UUID, status: str, at: datetime) -> bool:
        previous = self.memberships.get(str(student_id))
        if previous == status:
            return False
        self._membership_changed(student_id=student_id, from_status=previous, status=status, at=at)
        return True

    @event("MembershipChanged")
    def _membership_changed(self, student_id: UUID, from_status: str | None, status: str, at: datetime) -> None:
        self.memberships[str(student_id)] = status
