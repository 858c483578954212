"""Recurring sessions: create, change, read one (by id or by path), and expand the recurrence.

Served from the session aggregate (see the package docstring).  Request fields that the domain checks
itself (names, zones, buffers, horizon, recurrence, dates) reach it as given, so its codes answer:
``buffer.invalid``, ``auto_create_hours_ahead.out_of_range``, ``session.timezone.invalid``,
``recurrence.*``, ``session.path.taken``, ...
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.music.application import SessionView
from domain.music.errors import SessionNotFoundError
from infra.api.auth import bearer
from infra.api.context import DEFAULT_WAIT_MS, CommandResult, MinVersion, WaitMs, answer
from infra.api.instants import UtcInstant
from infra.api.music.common import FromDate, MusicDep, ToDate, at_version, check_range, hhmm, result
from infra.api.problems import responses
from producers.music.wire import as_date

router = APIRouter(
    prefix="/music", tags=["music sessions"], dependencies=[Depends(bearer)],
    responses=responses(401, 403, 404, 409, 422, 503),
)  # fmt: skip

#: Checked by the domain, which answers with the spec's codes; the schema only documents the type.
Integer = Annotated[Any, Field(json_schema_extra={"type": "integer"})]
Flag = Annotated[Any, Field(json_schema_extra={"type": "boolean"})]
Day = Annotated[Any, Field(json_schema_extra={"type": "string", "format": "date"})]
Recurrence = Annotated[
    Any, Field(description='Canonical recurrence JSON (a pattern, or {"schedules": [...]}), or null.')
]
DATE_FIELDS = ("initiation_date", "termination_date")


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID | None = None
    name: str | None = None
    path: str | None = None
    timezone: str = "UTC"
    recurrence: Recurrence = None
    session_type: str = "regular"
    initiation_date: Day = None
    termination_date: Day = None
    location_name: str | None = None
    location_street: str | None = None
    location_website: str | None = None
    location_phone: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    active_buffer_minutes_before: Integer = 60
    active_buffer_minutes_after: Integer = 60
    auto_create_instances: Flag = False
    auto_create_hours_ahead: Integer = 24


class SessionOut(BaseModel):
    id: UUID
    version: int
    name: str
    path: str
    timezone: str
    recurrence: Any
    session_type: str
    initiation_date: date | None
    termination_date: date | None
    location_name: str | None
    location_street: str | None
    location_website: str | None
    location_phone: str | None
    city: str | None
    state: str | None
    country: str | None
    active_buffer_minutes_before: int
    active_buffer_minutes_after: int
    auto_create_instances: bool
    auto_create_hours_ahead: int
    active_instance_ids: list[UUID]


class OccurrenceOut(BaseModel):
    """A.3: the local date and ``HH:MM`` times (null for a time-less pattern), and the UTC instants."""

    date: date
    start_time: str | None
    end_time: str | None
    start: UtcInstant | None
    end: UtcInstant | None


def session_out(view: SessionView) -> SessionOut:
    values = {name: getattr(view, name) for name in SessionOut.model_fields if name != "active_instance_ids"}
    return SessionOut(**values, active_instance_ids=list(view.active_instance_ids))


def _dated(values: dict[str, Any]) -> dict[str, Any]:
    return {name: as_date(value) if name in DATE_FIELDS else value for name, value in values.items()}


@router.post("/sessions", status_code=201)
def create_session(body: SessionCreate, response: Response, music: MusicDep) -> CommandResult:
    values = _dated(body.model_dump(exclude={"id"}))
    return answer(music.create_session(id=body.id, **values), response)


@router.patch("/sessions/{session_id}")
def update_session(
    session_id: UUID, music: MusicDep, body: Annotated[dict[str, Any], Body(description="Any fields of the create.")]
) -> CommandResult:
    """Only the fields sent change, all or none (MU-6: an unknown field is ``session.field.unknown``)."""
    return result(music.update_session(session_id, _dated(body)))


@router.get("/sessions/{session_id}")
async def get_session(
    session_id: UUID, music: MusicDep, min_version: MinVersion = None, wait_ms: WaitMs = DEFAULT_WAIT_MS
) -> SessionOut:
    view = await at_version(lambda: music.session_view(session_id), lambda v: v.version, min_version, wait_ms)
    return session_out(view)


@router.get("/sessions")
def find_sessions(
    music: MusicDep, path: Annotated[str | None, Query(description="The session's path (MU-1).")] = None
) -> list[SessionOut]:
    """With ``path``: the session holding it (compared normalised), or an empty list; else every session."""
    if path is not None:
        found = music.find_session_by_path(path)
        ids = [found] if found is not None else []
    else:
        ids = music.session_ids()
    views = []
    for session_id in ids:
        try:
            views.append(session_out(music.session_view(session_id)))
        except SessionNotFoundError:
            continue
    return views


@router.get("/sessions/{session_id}/occurrences")
def occurrences(session_id: UUID, music: MusicDep, start: FromDate = None, end: ToDate = None) -> list[OccurrenceOut]:
    """A.3: the recurrence expanded over ``from``..``to`` (local dates, both required, inclusive)."""
    check_range(start, end, required=True)
    assert start is not None and end is not None
    return [
        OccurrenceOut(date=o.date, start_time=hhmm(o.start_time), end_time=hhmm(o.end_time), start=o.start, end=o.end)
        for o in music.occurrences(session_id, start, end)
    ]
