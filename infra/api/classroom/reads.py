"""Live session reads: one session, its attendance report, and an actor's upcoming sessions.

Which side answers what, and why:

- Who may see (B.3) is decided on the write side, from the session and its classroom as they are now:
  an unknown session, or an actor outside its scope, is 404 at once (``min_version`` never waits for a
  session that does not exist); a member asking for the report is 403; a membership just removed
  takes effect at once, not when a read model catches up.  The meeting password is read there too,
  for the teacher and the active members only (CL-18): it never travels on Kafka, so no read model
  has it.
- What is shown comes from the read models (``live_sessions``, ``classroom_attendance``), which
  dashboards poll without loading a 5,000-record aggregate; a client that must see the effect of a
  command it just got answered passes that answer's ``version`` as ``min_version`` (503 with
  ``Retry-After`` if the read model has not reached it within ``wait_ms``).  A session the read model
  does not have yet is waited for like ``min_version=1``.
- The upcoming list is a dashboard query over the read models alone (B.6.1, CL-20).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.classroom.access import MEMBER
from domain.classroom.errors import AttendanceTeacherOnlyError
from infra.api.auth import bearer
from infra.api.context import DEFAULT_WAIT_MS, ContainerDep, MinVersion, WaitMs, read_now, read_row, written
from infra.api.instants import Instant, UtcInstant
from infra.api.problems import responses
from infra.container import Container
from projections.base import Row
from projections.classroom import attendance, live_sessions
from projections.classroom.upcoming import upcoming

router = APIRouter(tags=["live sessions"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 422, 503))

ActorQuery = Annotated[UUID | None, Query(description="The person the caller acts for (B.3).")]


class ReminderOut(BaseModel):
    minutes: int
    due_at: UtcInstant
    sent_at: UtcInstant | None


class LiveSessionOut(BaseModel):
    id: UUID
    version: int
    classroom_id: UUID
    teacher_id: UUID
    title: str
    description: str
    scheduled_at: UtcInstant
    duration_minutes: int
    timezone: str
    session_type: str
    status: str
    meeting_url: str | None
    meeting_id: str | None
    meeting_password: str | None
    materials: list[dict[str, Any]]
    recording_url: str | None
    created_at: UtcInstant
    started_at: UtcInstant | None
    completed_at: UtcInstant | None
    cancelled_at: UtcInstant | None
    reminders: list[ReminderOut]


class AttendanceRowOut(BaseModel):
    student_id: UUID
    status: str | None
    joined_at: UtcInstant | None
    left_at: UtcInstant | None
    duration_minutes: int
    connected: bool


class AttendanceTotals(BaseModel):
    enrolled: int
    attended: int
    absent: int
    excused: int
    registered: int


class AttendanceReportOut(BaseModel):
    session_id: UUID
    session_title: str
    version: int
    status: str
    total_enrolled: int
    total_attended: int
    totals: AttendanceTotals
    attendance: list[AttendanceRowOut]


def session_view(row: Row, meeting_password: str | None = None) -> LiveSessionOut:
    fields = {k: row[k] for k in live_sessions.COLUMNS if k != "has_meeting_password"}
    reminders = [ReminderOut(**r) for r in row["reminders"]]
    return LiveSessionOut(**fields, meeting_password=meeting_password, reminders=reminders)


def report_view(row: Row) -> AttendanceReportOut:
    totals = AttendanceTotals(enrolled=row["total_enrolled"], **row["counts"])
    return AttendanceReportOut(
        session_id=row["id"], session_title=row["title"], version=row["version"], status=row["status"],
        total_enrolled=row["total_enrolled"], total_attended=row["total_attended"], totals=totals,
        attendance=[AttendanceRowOut(**r) for r in row["rows"]],
    )  # fmt: skip


def role_and_password(container: Container, session_id: UUID, actor_id: UUID | None) -> tuple[str | None, str | None]:
    """The actor's role (None: no actor named) and the password they may see; 404 outside the scope."""
    app = container.classroom
    if actor_id is None:
        app.get_live_session(session_id)  # 404 at once when there is none
        return None, None
    role = app.check_can_see(session_id, actor_id)  # B.3.2
    return role, app.live_session_view(session_id, actor_id).meeting_password


@router.get("/live-sessions/upcoming")
async def upcoming_sessions(
    container: ContainerDep,
    actor_id: Annotated[UUID, Query(description="The teacher or student whose sessions to list.")],
    at: Annotated[Instant | None, Query(description="From this instant on, inclusive (default: now).")] = None,
) -> list[LiveSessionOut]:
    """The actor's scheduled sessions starting at or after ``at``: the ones they teach and those of
    classrooms where they are an active member; soonest first, ties by id, at most 10 (B.6.1)."""
    when: datetime = at or container.clock.now()
    rows = await read_now(container, lambda cur: upcoming(cur, actor_id, when))
    return [session_view(row) for row in rows]


@router.api_route(
    "/live-sessions/upcoming", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False, response_model=None
)
async def upcoming_is_read_only() -> None:
    """``upcoming`` is no session id: another method is 405 here, not a 422 from ``/live-sessions/{id}``."""
    raise StarletteHTTPException(405)


@router.get("/live-sessions/{session_id}")
async def get_live_session(
    session_id: UUID,
    container: ContainerDep,
    actor_id: ActorQuery = None,
    min_version: MinVersion = None,
    wait_ms: WaitMs = DEFAULT_WAIT_MS,
) -> LiveSessionOut:
    """The session, its reminders, and its meeting details; the password only when ``actor_id`` names
    the teacher or an active member (CL-18); an actor outside the session's scope gets 404 (B.3.2)."""
    _role, password = await run_in_threadpool(role_and_password, container, session_id, actor_id)
    row: Any = await read_row(
        container, lambda cur: live_sessions.get_live_session(cur, session_id), min_version or 1, wait_ms,
        written_version=written(lambda: container.classroom.get_live_session(session_id)),  # 503 at once if never
    )  # fmt: skip
    return session_view(row, password)


@router.get("/live-sessions/{session_id}/attendance")
async def attendance_report(
    session_id: UUID,
    container: ContainerDep,
    actor_id: ActorQuery = None,
    min_version: MinVersion = None,
    wait_ms: WaitMs = DEFAULT_WAIT_MS,
) -> AttendanceReportOut:
    """B.6.2: one row per student with a record, plus every active member without one (status null),
    by student id; ``total_enrolled`` = active members now, ``total_attended`` = rows attended.  With
    ``actor_id``: the teacher's only (a member gets 403, anyone else 404, B.3.4)."""
    role, _password = await run_in_threadpool(role_and_password, container, session_id, actor_id)
    if role == MEMBER:
        raise AttendanceTeacherOnlyError()
    row: Any = await read_row(
        container, lambda cur: attendance.report(cur, session_id), min_version or 1, wait_ms,
        written_version=written(lambda: container.classroom.get_live_session(session_id)),
    )  # fmt: skip
    return report_view(row)
