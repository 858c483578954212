"""The classroom application: classrooms, live sessions and their lifecycle, and the write-side views.

Attendance commands (register, join, leave, excuse, the presence batch) are in ``presence``, reminder
commands in ``reminding``; both are mixins of ``Classrooms``.  Every command loads, lets the aggregates
decide, and saves what it touched in one ``save()``, retried on a version conflict.  Memberships are read
at command time from the classroom, which the command does not write (CL-21).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import JSONTranscoder

from domain.classroom import views
from domain.classroom.access import check_can_schedule, check_can_see, check_can_view_attendance, check_is_owner
from domain.classroom.attendance import AttendanceAsDict
from domain.classroom.classroom import Classroom, check_membership_status
from domain.classroom.errors import ClassroomNotFoundError, LiveSessionNotFoundError, invalid
from domain.classroom.fields import (
    EDITABLE,
    check_detail,
    check_duration,
    check_materials,
    check_reminder_list,
    check_session_type,
    check_text,
    check_title,
)
from domain.classroom.live_session import LiveSession
from domain.classroom.presence import PresenceCommands
from domain.classroom.reminders import ReminderAsDict
from domain.classroom.reminding import ReminderCommands
from domain.shared.application import ContextApplication, Outcome, fingerprint
from domain.shared.clock import as_utc
from domain.shared.timezones import check_timezone

__all__ = ["Classrooms", "LifecycleOutcome", "Outcome"]


@dataclass(frozen=True)
class LifecycleOutcome(Outcome):
    """B.2.8: what start / end / cancel answer besides id and version: the new ``status``."""

    status: str = ""


class Classrooms(PresenceCommands, ReminderCommands, ContextApplication):
    """Classrooms and their live sessions, in the shared event store."""

    context = "classroom"
    snapshotting_intervals = {LiveSession: 100, Classroom: 100}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(AttendanceAsDict())  # snapshots only: events carry plain values
        transcoder.register(ReminderAsDict())

    def _take_snapshots(self, processing_event: ProcessingEvent[Any]) -> None:
        """CL-23: at most one snapshot per aggregate per save, taken from the saved state itself.

        The library snapshots at every multiple of the interval, each time replaying the aggregate
        from the store; a batch of 5,000 presence events would take 50 snapshots of a 5,000-record
        session.  One snapshot at the batch's last version gives the same bounded replay cost.
        """
        if not (self.snapshots and self.snapshotting_intervals):
            return
        crossed: dict[Any, Any] = {}
        for domain_event in processing_event.events:
            aggregate = processing_event.aggregates.get(domain_event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval and domain_event.originator_version % interval == 0:
                crossed[domain_event.originator_id] = aggregate
        for aggregate in crossed.values():
            self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])

    # -- loading -----------------------------------------------------------------------------------

    def get_classroom(self, classroom_id: UUID) -> Classroom:
        try:
            return self.get_as(classroom_id, Classroom, ClassroomNotFoundError, "Classroom")
        except ClassroomNotFoundError:
            raise ClassroomNotFoundError(classroom_id) from None

    def get_live_session(self, session_id: UUID) -> LiveSession:
        try:
            return self.get_as(session_id, LiveSession, LiveSessionNotFoundError, "Live session")
        except LiveSessionNotFoundError:
            raise LiveSessionNotFoundError(session_id) from None

    def _loaded(self, session_id: UUID) -> tuple[LiveSession, Classroom]:
        session = self.get_live_session(session_id)
        return session, self.get_classroom(session.classroom_id)

    def _instant(self, at: datetime | None) -> datetime:
        """CL-8: the instant the caller observed, else the clock's."""
        return as_utc(at) if at is not None else self.clock.now()

    # -- classrooms and memberships (CL-14) --------------------------------------------------------

    def create_classroom(self, *, name: str, teacher_id: UUID, id: UUID | None = None) -> Outcome:  # noqa: A002
        check_text("name", name, 200)
        if not name.strip():
            raise invalid("name", "name is required.", "classroom.name.required")
        digest = fingerprint({"name": name, "teacher_id": teacher_id})

        def create(new_id: UUID) -> Outcome:
            classroom = Classroom(
                id=new_id, name=name, teacher_id=teacher_id, created_at=self.clock.now(), fingerprint=digest
            )
            self.save(classroom)
            return Outcome(classroom.id, classroom.version, created=True)

        return self.create_once(id, Classroom, "classroom", digest, create)

    def add_member(self, classroom_id: UUID, student_id: UUID, status: str = "active") -> Outcome:
        return self._membership(classroom_id, lambda c: c.add_member(student_id, status, self.clock.now()))

    def change_member(self, classroom_id: UUID, student_id: UUID, status: str) -> Outcome:
        check_membership_status(status)
        return self._membership(classroom_id, lambda c: c.change_member(student_id, status, self.clock.now()))

    def remove_member(self, classroom_id: UUID, student_id: UUID) -> Outcome:
        """The membership becomes ``removed``; its history stays (CL-14)."""
        return self.change_member(classroom_id, student_id, "removed")

    def _membership(self, classroom_id: UUID, change: Any) -> Outcome:
        def attempt() -> Outcome:
            classroom = self.get_classroom(classroom_id)
            change(classroom)
            self.save(classroom)
            return Outcome(classroom.id, classroom.version)

        result: Outcome = self.retrying(attempt)
        return result

    # -- scheduling and editing --------------------------------------------------------------------

    def schedule_live_session(
        self,
        classroom_id: UUID,
        *,
        actor_id: UUID,
        title: str,
        scheduled_at: datetime,
        description: str = "",
        duration_minutes: int = 60,
        timezone: str = "UTC",
        session_type: str = "video",
        meeting_url: str | None = None,
        meeting_id: str | None = None,
        meeting_password: str | None = None,
        materials: list[dict[str, Any]] | None = None,
        reminders: list[int] | None = None,
        id: UUID | None = None,  # noqa: A002
    ) -> Outcome:
        """B.1 (B.1.1-B.1.3 checked); B.3.1 only the classroom's teacher."""
        values: dict[str, Any] = {
            "title": check_title(title), "description": check_detail("description", description),
            "scheduled_at": as_utc(scheduled_at), "duration_minutes": check_duration(duration_minutes),
            "timezone": check_timezone(timezone, field="timezone"),
            "session_type": check_session_type(session_type),
            "meeting_url": check_detail("meeting_url", meeting_url),
            "meeting_id": check_detail("meeting_id", meeting_id),
            "meeting_password": check_detail("meeting_password", meeting_password),
            "materials": check_materials(materials if materials is not None else []),
            "reminders": check_reminder_list(reminders or []),
        }  # fmt: skip
        digest = fingerprint({"classroom_id": classroom_id, "actor_id": actor_id, **values})

        def create(new_id: UUID) -> Outcome:
            classroom = self.get_classroom(classroom_id)
            check_can_schedule(classroom, actor_id)
            session = LiveSession(
                id=new_id, classroom_id=classroom_id, teacher_id=actor_id, created_at=self.clock.now(),
                fingerprint=digest, **{k: v for k, v in values.items() if k != "reminders"},
            )  # fmt: skip
            session.replace_reminders(values["reminders"])  # B.1.3: duplicates refused
            self.save(session)
            return Outcome(session.id, session.version, created=True)

        return self.create_once(id, LiveSession, "live session", digest, create)

    def update_live_session(self, session_id: UUID, actor_id: UUID, changes: Mapping[str, Any]) -> Outcome:
        """PATCH: the given fields, all or none (B.1.7: never ``status``; B.2.7; CL-13; B.5.7)."""
        details: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "status":
                raise invalid("status", "status is read-only: use start, end or cancel.",
                              "live_session.status.read_only")  # fmt: skip
            if key not in (*EDITABLE, "scheduled_at", "reminders"):
                raise invalid(key, f"{key} cannot be changed.", "live_session.field.unknown")
            if key not in ("scheduled_at", "reminders"):
                details[key] = check_detail(key, value)
        reminders = check_reminder_list(changes["reminders"]) if changes.get("reminders") is not None else None
        scheduled_at = as_utc(changes["scheduled_at"]) if changes.get("scheduled_at") is not None else None

        def attempt() -> Outcome:
            session, classroom = self._loaded(session_id)
            check_is_owner(session, classroom, actor_id)
            session.change_details(details)
            if scheduled_at is not None:
                session.reschedule(scheduled_at, self.clock.now())
            if reminders is not None:
                session.replace_reminders(reminders)
            self.save(session)
            return Outcome(session.id, session.version)

        result: Outcome = self.retrying(attempt)
        return result

    # -- lifecycle (B.2) ---------------------------------------------------------------------------

    def start(self, session_id: UUID, actor_id: UUID, at: datetime | None = None) -> LifecycleOutcome:
        """B.2.1: scheduled -> live, the owner only."""
        return self._lifecycle(session_id, actor_id, lambda s, c, when: s.start(when, by=actor_id), at)

    def end(self, session_id: UUID, actor_id: UUID, at: datetime | None = None) -> LifecycleOutcome:
        """B.2.3: live -> completed, the owner only; closes segments and decides absences (B.4.9-B.4.11)."""

        def transition(session: LiveSession, classroom: Classroom, when: datetime) -> None:
            session.end(when, by=actor_id, active_member_ids=classroom.active_member_ids())

        return self._lifecycle(session_id, actor_id, transition, at)

    def cancel(
        self, session_id: UUID, actor_id: UUID, at: datetime | None = None, reason: str | None = None
    ) -> LifecycleOutcome:
        """B.2.2: scheduled -> cancelled, the owner only; nobody is marked absent (B.4.12)."""
        return self._lifecycle(session_id, actor_id, lambda s, c, when: s.cancel(when, by=actor_id, reason=reason), at)

    def _lifecycle(
        self, session_id: UUID, actor_id: UUID, transition: Any, at: datetime | None = None
    ) -> LifecycleOutcome:
        def attempt() -> LifecycleOutcome:
            session, classroom = self._loaded(session_id)
            check_is_owner(session, classroom, actor_id)
            transition(session, classroom, self._instant(at))
            self.save(session)
            return LifecycleOutcome(session.id, session.version, status=session.status)

        result: LifecycleOutcome = self.retrying(attempt)
        return result

    # -- write-side views --------------------------------------------------------------------------

    def live_session_view(self, session_id: UUID, actor_id: UUID | None = None) -> views.LiveSessionView:
        session, classroom = self._loaded(session_id)
        return views.live_session_view(session, classroom, actor_id)

    def attendance_report(self, session_id: UUID, actor_id: UUID) -> views.AttendanceReport:
        """B.6.2, the owner only (B.3.4)."""
        session, classroom = self._loaded(session_id)
        check_can_view_attendance(session, classroom, actor_id)
        return views.attendance_report(session, classroom)

    def classroom_view(self, classroom_id: UUID) -> views.ClassroomView:
        return views.classroom_view(self.get_classroom(classroom_id))

    def check_can_see(self, session_id: UUID, actor_id: UUID) -> str:
        """B.3.2 for a read: the actor's role, or 404."""
        session, classroom = self._loaded(session_id)
        return check_can_see(session, classroom, actor_id)
