"""Registrations: created, moved through their states, moved between sessions of their event, read.

``event_begin_date`` / ``event_end_date`` are the session's dates when the event uses sessions, else the
event's own (spec §2.4); they are joined from the other read models when a request is served.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from psycopg import Cursor
from pydantic import BaseModel, ConfigDict, Field

from domain.eventsessions.errors import RegistrationNotFoundError
from domain.eventsessions.seats import RegistrationState
from domain.shared.limits import INT8_MAX
from infra.api.auth import bearer
from infra.api.context import (
    DEFAULT_WAIT_MS,
    CommandResult,
    ContainerDep,
    MinVersion,
    WaitMs,
    answer,
    read_now,
    read_row,
    written,
)
from infra.api.instants import UtcInstant
from infra.api.problems import responses
from infra.container import Container
from producers.fields import Email, Name, Phone
from projections.base import Row
from projections.eventsessions import events, registrations, seat_availability

router = APIRouter(
    tags=["registrations"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422, 503)
)

State = RegistrationState
MAX_PAGE = 1000


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"event_id": "0b9f5a4e-8c1d-4f55-9d7b-3f6a2e1c0d11", "name": "Ada Lovelace", "email": "ada@example.org",
             "phone": "+32 2 123 45 67"}
        ]},
    )  # fmt: skip

    id: UUID | None = None
    event_id: UUID
    session_id: UUID | None = Field(default=None, description="Required when the event uses sessions.")
    name: Name
    email: Email
    phone: Phone | None = None
    state: State | None = Field(default=None, description="Default: `open` if the event auto-confirms, else `draft`.")


class RegistrationMove(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"session_id": "6a1f0c2e-4b7d-4e3a-8f19-2c5d7e9a1b30"}
        ]},
    )  # fmt: skip

    session_id: UUID


class RegistrationOut(BaseModel):
    id: UUID
    version: int
    event_id: UUID
    session_id: UUID | None
    name: str
    email: str
    phone: str | None
    state: State
    event_begin_date: UtcInstant | None
    event_end_date: UtcInstant | None
    create_date: UtcInstant
    date_closed: UtcInstant | None


class Dates:
    """Looks up each event and session once per request, however many registrations share them."""

    def __init__(self, cur: Cursor[Any]) -> None:
        self.cur = cur
        self.events: dict[UUID, Row | None] = {}
        self.sessions: dict[UUID, Row | None] = {}

    def of(self, row: Row) -> tuple[datetime | None, datetime | None]:
        event_id, session_id = row["event_id"], row["session_id"]
        if event_id not in self.events:
            self.events[event_id] = events.get_event(self.cur, event_id)
        event = self.events[event_id]
        if session_id is None:
            # An event with sessions but no session on the registration has no dates (spec §2.4).
            return (event["date_begin"], event["date_end"]) if event and not event["use_sessions"] else (None, None)
        if session_id not in self.sessions:
            self.sessions[session_id] = seat_availability.get_session(self.cur, session_id)
        session = self.sessions[session_id]
        return (session["date_begin"], session["date_end"]) if session else (None, None)


def with_dates(rows: list[Row], cur: Cursor[Any]) -> list[Row]:
    dates = Dates(cur)
    return [dict(row, event_dates=dates.of(row)) for row in rows]


def registration_view(row: Row) -> RegistrationOut:
    begin, end = row["event_dates"]
    return RegistrationOut(
        **{k: row[k] for k in ("id", "version", "event_id", "session_id", "name", "email", "phone", "state")},
        event_begin_date=begin, event_end_date=end, create_date=row["created_at"], date_closed=row["date_closed"],
    )  # fmt: skip


def load_registration(cur: Cursor[Any], registration_id: UUID) -> Row | None:
    row = registrations.get_registration(cur, registration_id)
    return with_dates([row], cur)[0] if row else None


@router.post("/registrations", status_code=201)
def register(body: RegistrationCreate, response: Response, container: ContainerDep) -> CommandResult:
    return answer(container.app.register(**body.model_dump()), response)


def change_state(container: Container, registration_id: UUID, to_state: RegistrationState) -> CommandResult:
    return answer(container.app.change_registration_state(registration_id, to_state))


@router.post("/registrations/{registration_id}/confirm")
def confirm(registration_id: UUID, container: ContainerDep) -> CommandResult:
    """To ``open`` ("Confirmed"); takes a seat, so a full session refuses it."""
    return change_state(container, registration_id, RegistrationState.OPEN)


@router.post("/registrations/{registration_id}/attend")
def attend(registration_id: UUID, container: ContainerDep) -> CommandResult:
    """To ``done`` ("Attended"); the first time sets ``date_closed``."""
    return change_state(container, registration_id, RegistrationState.DONE)


@router.post("/registrations/{registration_id}/cancel")
def cancel(registration_id: UUID, container: ContainerDep) -> CommandResult:
    return change_state(container, registration_id, RegistrationState.CANCEL)


@router.post("/registrations/{registration_id}/reset")
def reset(registration_id: UUID, container: ContainerDep) -> CommandResult:
    """Back to ``draft`` ("Unconfirmed")."""
    return change_state(container, registration_id, RegistrationState.DRAFT)


@router.patch("/registrations/{registration_id}")
def move(registration_id: UUID, body: RegistrationMove, container: ContainerDep) -> CommandResult:
    """Moves the registration to another session of its event; the target session's seats decide."""
    return answer(container.app.move_registration(registration_id, body.session_id))


@router.get("/registrations/{registration_id}")
async def get_registration(
    registration_id: UUID, container: ContainerDep, min_version: MinVersion = None, wait_ms: WaitMs = DEFAULT_WAIT_MS
) -> RegistrationOut:
    version = written(lambda: container.app.get_registration(registration_id))
    row = await read_row(
        container, lambda cur: load_registration(cur, registration_id), min_version, wait_ms, written_version=version
    )
    if row is None:
        raise RegistrationNotFoundError(f"Registration {registration_id} not found.")
    return registration_view(row)


@router.get("/registrations")
async def list_registrations(
    container: ContainerDep,
    event_id: UUID | None = None,
    session_id: UUID | None = None,
    state: State | None = None,
    limit: int = Query(default=MAX_PAGE, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=INT8_MAX),
) -> list[RegistrationOut]:
    """Ordered by creation; ``limit``/``offset`` page through large events."""

    def query(cur: Cursor[Any]) -> list[Row]:
        rows = registrations.list_registrations(
            cur, event_id=event_id, session_id=session_id, state=state, limit=limit, offset=offset
        )
        return with_dates(rows, cur)

    return [registration_view(row) for row in await read_now(container, query)]
