"""Classrooms and their membership (``api/classroom.md``): created, members added, changed, removed, read.

Only ``active`` members count (B.1.5); removing sets ``removed`` and keeps the history (CL-14).
``GET /classrooms/{id}`` (an addition to the API document) serves the ``classroom_memberships`` read
model, with ``min_version``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from infra.api.auth import bearer
from infra.api.context import (
    DEFAULT_WAIT_MS,
    CommandResult,
    ContainerDep,
    MinVersion,
    WaitMs,
    answer,
    read_row,
    written,
)
from infra.api.instants import UtcInstant
from infra.api.problems import responses
from projections.classroom import memberships

router = APIRouter(
    tags=["classrooms"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422, 503)
)


class ClassroomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID | None = None
    name: str
    teacher_id: UUID


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student_id: UUID
    status: str = Field(default="active", description="`active` or `pending`.")


class MemberChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(description="`pending`, `active`, `paused` or `removed`.")


class MemberOut(BaseModel):
    student_id: UUID
    status: str


class ClassroomOut(BaseModel):
    id: UUID
    version: int
    name: str
    teacher_id: UUID
    created_at: UtcInstant
    members: list[MemberOut]


@router.post("/classrooms", status_code=201)
def create_classroom(body: ClassroomCreate, response: Response, container: ContainerDep) -> CommandResult:
    return answer(container.classroom.create_classroom(**body.model_dump()), response)


@router.post("/classrooms/{classroom_id}/members", status_code=201)
def add_member(classroom_id: UUID, body: MemberAdd, container: ContainerDep) -> CommandResult:
    """Adds the student (``active`` by default, or ``pending``), or sets the status of a known one."""
    return answer(container.classroom.add_member(classroom_id, body.student_id, body.status))


@router.patch("/classrooms/{classroom_id}/members/{student_id}")
def change_member(classroom_id: UUID, student_id: UUID, body: MemberChange, container: ContainerDep) -> CommandResult:
    return answer(container.classroom.change_member(classroom_id, student_id, body.status))


@router.delete("/classrooms/{classroom_id}/members/{student_id}")
def remove_member(classroom_id: UUID, student_id: UUID, container: ContainerDep) -> CommandResult:
    """The membership becomes ``removed`` (inactive); its history is kept."""
    return answer(container.classroom.remove_member(classroom_id, student_id))


@router.get("/classrooms/{classroom_id}")
async def get_classroom(
    classroom_id: UUID, container: ContainerDep, min_version: MinVersion = None, wait_ms: WaitMs = DEFAULT_WAIT_MS
) -> ClassroomOut:
    await run_in_threadpool(container.classroom.get_classroom, classroom_id)  # 404 at once when there is none
    row: Any = await read_row(
        container, lambda cur: memberships.get_classroom(cur, classroom_id), min_version or 1, wait_ms,
        written_version=written(lambda: container.classroom.get_classroom(classroom_id)),  # 503 at once if never
    )  # fmt: skip
    members = [MemberOut(student_id=s, status=status) for s, status in row["members"]]
    return ClassroomOut(**{k: row[k] for k in memberships.CLASSROOM_COLUMNS}, members=members)
