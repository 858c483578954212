"""Attendance commands of the classroom application (B.4), as a mixin of ``Classrooms``.

``apply_presence`` is the video platform's path: a batch of one room's webhooks applied to the session
in order and saved once (CL-10), each item accepted or rejected on its own; a rejected item changes
nothing, because every check runs before the item records anything.  The HTTP commands (``join``,
``leave``) apply the same rules to one event and raise instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.classroom.access import check_is_attendee, check_is_owner
from domain.classroom.errors import LiveSessionNotFoundError, MemberNotFoundError, invalid
from domain.classroom.live_session import BY_ROOM_FINISHED
from domain.shared.application import Outcome
from domain.shared.errors import DomainError

if TYPE_CHECKING:
    from domain.classroom.classroom import Classroom
    from domain.classroom.live_session import LiveSession

PARTICIPANT_JOINED, PARTICIPANT_LEFT, ROOM_FINISHED = "participant_joined", "participant_left", "room_finished"
PRESENCE_KINDS = (PARTICIPANT_JOINED, PARTICIPANT_LEFT, ROOM_FINISHED)


@dataclass(frozen=True)
class PresenceEvent:
    """One webhook of ``inbound.presence.v1``: ``participant`` is required except for ``room_finished``;
    ``at`` is the instant the platform observed (None: the server clock, CL-8)."""

    kind: str
    at: datetime | None
    participant_id: UUID | None = None


@dataclass(frozen=True)
class PresenceResult:
    """One item's outcome: ``version`` is the session's after the item (its own, or the last accepted one's)."""

    accepted: bool
    version: int
    changed: bool = False
    code: str | None = None
    detail: str | None = None

    @classmethod
    def rejected(cls, error: DomainError, version: int) -> PresenceResult:
        return cls(False, version, code=error.code, detail=error.message)


class PresenceCommands:
    """Needs the host application's loaders, ``save``, ``retrying`` and ``clock`` (see ``Classrooms``)."""

    clock: Any
    save: Callable[..., Any]
    retrying: Callable[[Callable[[], Any]], Any]
    get_live_session: Callable[[UUID], LiveSession]
    get_classroom: Callable[[UUID], Classroom]
    _loaded: Callable[[UUID], tuple[LiveSession, Classroom]]
    _instant: Callable[[datetime | None], datetime]

    # -- the webhook batch (CL-10) -----------------------------------------------------------------

    def apply_presence(self, session_id: UUID, events: Sequence[PresenceEvent]) -> list[PresenceResult]:
        """Applies one room's webhooks in order, as one save; one result per event, in the same order."""
        items = list(events)

        def attempt() -> list[PresenceResult]:
            try:
                session, classroom = self._loaded(session_id)
            except LiveSessionNotFoundError as error:
                return [PresenceResult.rejected(error, 0) for _ in items]
            results = []
            for item in items:
                try:
                    changed = self._apply_one(session, classroom, item)
                except DomainError as error:
                    results.append(PresenceResult.rejected(error, session.version))
                else:
                    results.append(PresenceResult(True, session.version, changed=changed))
            self.save(session)
            return results

        result: list[PresenceResult] = self.retrying(attempt)
        return result

    def _apply_one(self, session: LiveSession, classroom: Classroom, item: PresenceEvent) -> bool:
        if item.kind not in PRESENCE_KINDS:
            raise invalid("event", f"Unknown presence event: {item.kind!r}.", "presence.event.invalid")
        at = self._instant(item.at)
        if item.kind == ROOM_FINISHED:  # B.2.5
            session.end(at, by=None, active_member_ids=classroom.active_member_ids(), trigger=BY_ROOM_FINISHED)
            return True
        if item.participant_id is None:
            raise invalid("participant", "participant is required.", "presence.participant.required")
        if item.kind == PARTICIPANT_JOINED:  # B.2.4, B.4.3-B.4.6
            check_is_attendee(session, classroom, item.participant_id)
            return session.join(item.participant_id, at, by_webhook=True)
        check_is_attendee(session, classroom, item.participant_id, leaving=True)  # B.4.7, B.4.8, CL-5
        return session.leave(item.participant_id, at)

    # -- the HTTP commands -------------------------------------------------------------------------

    def register(self, session_id: UUID, actor_id: UUID) -> Outcome:
        """B.4.2: an active member registers while the session is scheduled or live; idempotent."""
        return self._attend(session_id, actor_id, lambda s, when: s.register(actor_id, when))

    def join(self, session_id: UUID, actor_id: UUID, at: datetime | None = None) -> Outcome:
        """B.4.3-B.4.6: only while live (``attendance.session_not_live``)."""
        return self._attend(session_id, actor_id, lambda s, when: s.join(actor_id, when), at)

    def leave(self, session_id: UUID, actor_id: UUID, at: datetime | None = None) -> Outcome:
        """B.4.7 / B.4.8: a leave with nothing open is a success that changes no figure."""
        return self._attend(session_id, actor_id, lambda s, when: s.leave(actor_id, when), at, leaving=True)

    def _attend(
        self, session_id: UUID, actor_id: UUID, act: Any, at: datetime | None = None, *, leaving: bool = False
    ) -> Outcome:
        def attempt() -> Outcome:
            session, classroom = self._loaded(session_id)
            check_is_attendee(session, classroom, actor_id, leaving=leaving)
            act(session, self._instant(at))
            self.save(session)
            return Outcome(session.id, session.version)

        result: Outcome = self.retrying(attempt)
        return result

    def mark_attendance(self, session_id: UUID, actor_id: UUID, student_id: UUID, status: str = "excused") -> Outcome:
        """B.4.13 (the owner, B.3.3): ``excused`` is the only status a teacher sets by hand."""
        if status != "excused":
            raise invalid("status", "status must be excused.", "attendance.status.invalid")

        def attempt() -> Outcome:
            session, classroom = self._loaded(session_id)
            check_is_owner(session, classroom, actor_id)
            if classroom.status_of(student_id) is None and session.record(student_id) is None:
                raise MemberNotFoundError(student_id)  # CL-16
            session.excuse(student_id, self.clock.now(), by=actor_id)
            self.save(session)
            return Outcome(session.id, session.version)

        result: Outcome = self.retrying(attempt)
        return result
