"""Session instances: create, change, delete, read one (with ``is_active``), list a session's over a
date range (read model ``music_instances``), and the session's active instances."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from infra.api.auth import bearer
from infra.api.context import DEFAULT_WAIT_MS, CommandResult, ContainerDep, MinVersion, WaitMs, answer, read_now
from infra.api.music.common import (
    FromDate,
    InstanceOut,
    MusicDep,
    ToDate,
    at_version,
    check_range,
    instance_out,
    result,
)
from infra.api.problems import responses
from producers.music.wire import as_date
from projections.music import instances as instances_model

router = APIRouter(
    prefix="/music", tags=["music instances"], dependencies=[Depends(bearer)],
    responses=responses(401, 403, 404, 409, 422, 503),
)  # fmt: skip

Day = Annotated[Any, Field(json_schema_extra={"type": "string", "format": "date"})]
Time = Annotated[Any, Field(json_schema_extra={"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"})]


class InstanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID | None = None
    date: Day = None
    start_time: Time = None
    end_time: Time = None
    location_override: str | None = None
    comments: str | None = None


@router.post("/sessions/{session_id}/instances", status_code=201)
def create_instance(session_id: UUID, body: InstanceCreate, response: Response, music: MusicDep) -> CommandResult:
    """A manual instance ("Please enter a session date" without ``date``); any number may share a date."""
    outcome = music.create_instance(
        session_id, date=as_date(body.date), start_time=body.start_time, end_time=body.end_time,  # type: ignore[arg-type]
        location_override=body.location_override, comments=body.comments, id=body.id,
    )  # fmt: skip
    return answer(outcome, response)


UPDATABLE_FIELDS = "date, start_time, end_time, location_override, comments, is_cancelled, log_complete"


@router.patch("/instances/{instance_id}")
def update_instance(
    instance_id: UUID,
    music: MusicDep,
    body: Annotated[dict[str, Any], Body(description=UPDATABLE_FIELDS)],
) -> CommandResult:
    """Only the fields sent change, all or none; date/time and cancellation changes re-evaluate the active
    window at once (A.5: cancelling an active instance deactivates it)."""
    changes = {name: as_date(value) if name == "date" else value for name, value in body.items()}
    return result(music.update_instance(instance_id, changes))


@router.delete("/instances/{instance_id}")
def delete_instance(instance_id: UUID, music: MusicDep) -> CommandResult:
    """Deletes the instance; its date is free again for auto-create (A.4)."""
    return result(music.delete_instance(instance_id))


@router.get("/instances/{instance_id}")
async def get_instance(
    instance_id: UUID, music: MusicDep, min_version: MinVersion = None, wait_ms: WaitMs = DEFAULT_WAIT_MS
) -> InstanceOut:
    """The instance with ``is_active`` as the active-window passes last set it (A.5)."""

    def load() -> InstanceOut:
        view = music.instance_view(instance_id)
        return instance_out(view, music.get_session(view.session_id).timezone)

    return await at_version(load, lambda out: out.version, min_version, wait_ms)


@router.get("/sessions/{session_id}/instances")
async def list_instances(session_id: UUID, music: MusicDep, container: ContainerDep, start: FromDate = None,
                         end: ToDate = None) -> list[InstanceOut]:  # fmt: skip
    """The session's instances dated ``from``..``to`` (both optional, inclusive), by date and start time."""
    check_range(start, end)
    tz = music.get_session(session_id).timezone  # 404 for an unknown session
    rows = await read_now(container, lambda cur: instances_model.list_instances(cur, session_id, start, end))
    return [instance_out(row, tz) for row in rows]


@router.get("/sessions/{session_id}/active")
def active_instances(session_id: UUID, music: MusicDep) -> list[InstanceOut]:
    """The session's instances whose ``is_active`` is set (A.5), by date and start time."""
    session = music.get_session(session_id)
    views = [music.instance_view(i) for i in music.active_instance_ids(session_id)]
    views.sort(key=lambda v: (v.date, v.start_time or "", str(v.id)))
    return [instance_out(view, session.timezone) for view in views]
