"""Live session commands (``api/classroom.md``): schedule, edit, reminders, lifecycle, attendance.

Who may do what is the domain's (B.3): an actor outside the session's scope gets 404, a member asking
for the teacher's action 403, an illegal transition or a join of a session that is not live 409 with a
stable ``code`` (``session.invalid_transition`` also carries ``from`` and ``to``).  Lifecycle, join and
leave take the instant the caller observed (``at``), else the server's clock (CL-8).  Every command
answers ``{id, version}`` (start / end / cancel also ``status``, B.2.8); reads are in ``reads``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from domain.shared.errors import InvalidInputError
from domain.shared.limits import INT4_MAX, INT4_MIN
from infra.api.auth import bearer
from infra.api.context import CommandResult, ContainerDep, answer
from infra.api.instants import Instant
from infra.api.problems import responses

router = APIRouter(
    tags=["live sessions"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422, 503)
)


class LiveSessionCreate(BaseModel):
    """``status`` is never set by hand (B.1.7): it is refused with ``live_session.status.read_only``."""

    model_config = ConfigDict(extra="forbid")

    id: UUID | None = None
    actor_id: UUID = Field(description="The teacher scheduling it: the classroom's teacher (B.3.1).")
    title: str
    description: str = ""
    scheduled_at: Instant
    duration_minutes: StrictInt = 60
    timezone: str = "UTC"
    session_type: str = Field(default="video", description="`video`, `audio`, `in_person` or `hybrid`.")
    meeting_url: str | None = None
    meeting_id: str | None = None
    meeting_password: str | None = None
    materials: list[dict[str, Any]] | None = Field(default=None, description="`[{type, content_id, title}]`.")
    reminders: list[StrictInt] | None = Field(default=None, description="Minutes before the start, each at least 1.")
    status: Any = Field(default=None, description="Read-only: refused.", json_schema_extra={"readOnly": True})


class LiveSessionPatch(BaseModel):
    """Only the fields sent change; unknown fields and ``status`` are refused by the domain (422 with its
    code), so they pass through (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow")

    actor_id: UUID
    title: str = Field(default=None)
    description: str | None = None
    scheduled_at: Instant = Field(default=None, description="Only while scheduled; re-arms reminders (B.5.7).")
    duration_minutes: StrictInt = Field(default=None)
    timezone: str = Field(default=None)
    session_type: str = Field(default=None)
    meeting_url: str | None = None
    meeting_id: str | None = None
    meeting_password: str | None = None
    materials: list[dict[str, Any]] = Field(default=None)
    recording_url: str | None = None
    reminders: list[StrictInt] | None = Field(default=None, description="Replaces the set (CL-13).")


class ActorOnly(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: UUID


class ActorAt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: UUID
    at: Instant | None = Field(default=None, description="The instant the caller observed; default: now.")


class ReminderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: UUID
    minutes: StrictInt = Field(description="How long before the start, at least 1 (B.1.2).")


class AttendanceMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: UUID
    status: str = Field(default="excused", description="`excused`, the only status a teacher sets (B.4.13).")


class LifecycleResult(CommandResult):
    status: str


@router.post("/classrooms/{classroom_id}/live-sessions", status_code=201)
def schedule_live_session(
    classroom_id: UUID, body: LiveSessionCreate, response: Response, container: ContainerDep
) -> CommandResult:
    values = body.model_dump(exclude={"status"})
    if body.status is not None:
        raise InvalidInputError("status", "status is read-only: use start, end or cancel.",
                                code="live_session.status.read_only")  # fmt: skip
    return answer(container.classroom.schedule_live_session(classroom_id, **values), response)


@router.patch("/live-sessions/{session_id}")
def update_live_session(session_id: UUID, body: LiveSessionPatch, container: ContainerDep) -> CommandResult:
    changes = body.model_dump(exclude_unset=True)
    actor_id = changes.pop("actor_id")
    return answer(container.classroom.update_live_session(session_id, actor_id, changes))


@router.post("/live-sessions/{session_id}/reminders", status_code=201)
def add_reminder(session_id: UUID, body: ReminderCreate, container: ContainerDep) -> CommandResult:
    return answer(container.classroom.add_reminder(session_id, body.actor_id, body.minutes))


@router.delete("/live-sessions/{session_id}/reminders/{minutes}")
def remove_reminder(
    session_id: UUID,
    minutes: Annotated[int, Path(ge=INT4_MIN, le=INT4_MAX)],
    container: ContainerDep,
    actor_id: Annotated[UUID | None, Query(description="The teacher (or give it in a JSON body).")] = None,
    body: Annotated[ActorOnly | None, Body()] = None,
) -> CommandResult:
    """Only while unsent (CL-13)."""
    actor = actor_id or (body.actor_id if body else None)
    if actor is None:
        raise InvalidInputError("actor_id", "actor_id is required.", code="validation.invalid")
    return answer(container.classroom.remove_reminder(session_id, actor, minutes))


@router.post("/live-sessions/{session_id}/start")
def start(session_id: UUID, body: ActorAt, container: ContainerDep) -> LifecycleResult:
    """scheduled -> live, by the owning teacher (B.2.1)."""
    outcome = container.classroom.start(session_id, body.actor_id, at=body.at)
    return LifecycleResult(id=outcome.id, version=outcome.version, status=outcome.status)


@router.post("/live-sessions/{session_id}/end")
def end(session_id: UUID, body: ActorAt, container: ContainerDep) -> LifecycleResult:
    """live -> completed, by the owning teacher; closes open segments, marks the absent (B.2.3, B.4.9-B.4.11)."""
    outcome = container.classroom.end(session_id, body.actor_id, at=body.at)
    return LifecycleResult(id=outcome.id, version=outcome.version, status=outcome.status)


@router.post("/live-sessions/{session_id}/cancel")
def cancel(session_id: UUID, body: ActorAt, container: ContainerDep) -> LifecycleResult:
    """scheduled -> cancelled, by the owning teacher; nobody is marked absent (B.2.2, B.4.12)."""
    outcome = container.classroom.cancel(session_id, body.actor_id, at=body.at)
    return LifecycleResult(id=outcome.id, version=outcome.version, status=outcome.status)


@router.post("/live-sessions/{session_id}/register")
def register(session_id: UUID, body: ActorOnly, container: ContainerDep) -> CommandResult:
    """An active member registers while the session is scheduled or live (B.4.2; an addition to the API)."""
    return answer(container.classroom.register(session_id, body.actor_id))


@router.post("/live-sessions/{session_id}/join")
def join(session_id: UUID, body: ActorAt, container: ContainerDep) -> CommandResult:
    """Only while live (``attendance.session_not_live``); a second join while connected changes nothing."""
    return answer(container.classroom.join(session_id, body.actor_id, at=body.at))


@router.post("/live-sessions/{session_id}/leave")
def leave(session_id: UUID, body: ActorAt, container: ContainerDep) -> CommandResult:
    """A leave with nothing open is a success that changes nothing (B.4.8)."""
    return answer(container.classroom.leave(session_id, body.actor_id, at=body.at))


@router.post("/live-sessions/{session_id}/attendance/{student_id}")
def mark_attendance(session_id: UUID, student_id: UUID, body: AttendanceMark, container: ContainerDep) -> CommandResult:
    """The owner excuses a student (B.4.13): not one who attended (``attendance.already_attended``)."""
    return answer(container.classroom.mark_attendance(session_id, body.actor_id, student_id, body.status))
