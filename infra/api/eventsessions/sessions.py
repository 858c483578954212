"""Sessions: scheduled under an event, changed, marked done, deleted, and read as a dashboard shows them.

The figures that depend on "now" (``is_ongoing``, ``is_finished``, ``event_registrations_open``) use the
container's clock at request time; names and located dates use the event's time zone (spec §3.4, §9).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from psycopg import Cursor
from pydantic import BaseModel, ConfigDict, Field

from domain.eventsessions.errors import EventNotFoundError, SessionNotFoundError
from domain.eventsessions.stages import STAGES, kanban_state_label
from domain.shared.errors import InvalidInputError
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
from infra.api.eventsessions import ics
from infra.api.eventsessions.events import StagePair
from infra.api.instants import Instant, UtcInstant, format_located, zone
from infra.api.problems import responses
from producers.fields import Flag, Int4, ShortText, ZoneName
from projections.base import Row
from projections.eventsessions import attendance, events, seat_availability
from projections.eventsessions.seat_availability import figures

router = APIRouter(tags=["sessions"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422, 503))

ViewerTz = Annotated[
    ZoneName,
    Query(
        description="The viewer's time zone: `display_name` names the event's zone when it differs.",
        examples=["Europe/Brussels"],
    ),
]


TimeFilter = Annotated[ShortText | None, Query(description="`true` or `false`.")]
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def time_filter(field: str, value: str | None) -> bool | None:
    """Spec §3.5: the time filters take a boolean, and say so in Odoo's words otherwise."""
    if value is None:
        return None
    if value.lower() not in _BOOLEANS:
        raise InvalidInputError(field, f"Value should be True or False (not {value})")
    return _BOOLEANS[value.lower()]


class SessionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"date_begin": "2027-05-26 20:00:00", "date_end": "2027-05-26T22:00:00Z"}
        ]},
    )  # fmt: skip

    id: UUID | None = None
    date_begin: Instant
    date_end: Instant


class SessionPatch(BaseModel):
    """Only the fields sent change.  Defaults are None but the types refuse an explicit null."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"active": False, "session_update": "subsequent"}
        ]},
    )  # fmt: skip

    date_begin: Instant = Field(default=None)
    date_end: Instant = Field(default=None)
    active: Flag = Field(default=None)
    stage_id: Int4 = Field(default=None)
    kanban_state: Literal["normal", "done", "blocked"] = Field(default=None)
    session_update: Literal["this", "subsequent", "all"] = Field(
        default="this", description="Which sessions of the event an `active` change applies to (spec §6.5)."
    )


class SessionOut(BaseModel):
    """Exactly the fields of ``api/event-sessions.md`` plus ``version``."""

    id: UUID
    version: int
    event_id: UUID
    name: str
    display_name: str
    active: bool
    date_begin: UtcInstant
    date_end: UtcInstant
    date_begin_located: str
    date_end_located: str
    is_ongoing: bool
    is_finished: bool
    is_one_day: bool
    seats_max: int
    seats_limited: bool
    seats_available: int
    seats_used: int
    seats_reserved: int
    seats_unconfirmed: int
    seats_expected: int
    seats_available_unexpected: int
    event_registrations_open: bool
    event_registrations_sold_out: bool
    stage_id: StagePair
    kanban_state: str
    kanban_state_label: str


def display_name(event_name: str, begin_located: str, event_tz: str, viewer_tz: str) -> str:
    """Spec §3.4: ``<event name>, <date_begin_located>``, plus `` (<date_tz>)`` for another zone's viewer."""
    name = f"{event_name}, {begin_located}"
    return name if event_tz == viewer_tz else f"{name} ({event_tz})"


def session_view(row: Row, event: Row, now: datetime, viewer_tz: str) -> SessionOut:
    tz = event["date_tz"]
    begin, end = row["date_begin"], row["date_end"]
    begin_located = format_located(begin, tz)
    local_zone = zone(tz, "date_tz")
    return SessionOut(
        id=row["id"], version=row["version"], event_id=row["event_id"], name=event["name"],
        display_name=display_name(event["name"], begin_located, tz, viewer_tz),
        active=row["active"], date_begin=begin, date_end=end,
        date_begin_located=begin_located, date_end_located=format_located(end, tz),
        is_ongoing=begin <= now < end, is_finished=end <= now,
        is_one_day=begin.astimezone(local_zone).date() == end.astimezone(local_zone).date(),
        stage_id=(row["stage_id"], STAGES[row["stage_id"]].name), kanban_state=row["kanban_state"],
        kanban_state_label=kanban_state_label(row["stage_id"], row["kanban_state"]),
        **figures(row, now),
    )  # fmt: skip


def load_session(cur: Cursor[Any], session_id: UUID) -> Row | None:
    """The session row with its event row under ``event``; None until both are in the read models."""
    row = seat_availability.get_session(cur, session_id)
    event = events.get_event(cur, row["event_id"]) if row else None
    return dict(row, event=event) if row and event else None


def load_event_sessions(cur: Cursor[Any], event_id: UUID, include_archived: bool) -> tuple[Row | None, list[Row]]:
    event = events.get_event(cur, event_id)
    return event, seat_availability.list_sessions(cur, event_id, include_archived=include_archived) if event else []


@router.post("/events/{event_id}/sessions", status_code=201)
def add_session(event_id: UUID, body: SessionCreate, response: Response, container: ContainerDep) -> CommandResult:
    outcome = container.app.add_session(event_id, date_begin=body.date_begin, date_end=body.date_end, id=body.id)
    return answer(outcome, response)


@router.get("/events/{event_id}/sessions")
async def list_sessions(
    event_id: UUID,
    container: ContainerDep,
    include_archived: bool = False,
    is_ongoing: TimeFilter = None,
    is_finished: TimeFilter = None,
    tz: ViewerTz = "UTC",
) -> list[SessionOut]:
    """The event's sessions ordered by ``date_begin``; the time filters apply as of now (spec §3.5)."""
    zone(tz, "tz")
    ongoing, finished = time_filter("is_ongoing", is_ongoing), time_filter("is_finished", is_finished)
    event, rows = await read_now(container, lambda cur: load_event_sessions(cur, event_id, include_archived))
    if event is None:
        raise EventNotFoundError(f"Event {event_id} not found.")
    now = container.clock.now()
    views = [session_view(row, event, now, tz) for row in rows]
    return [
        v for v in views
        if (ongoing is None or v.is_ongoing == ongoing) and (finished is None or v.is_finished == finished)
    ]  # fmt: skip


@router.get("/sessions/{session_id}")
async def get_session(
    session_id: UUID,
    container: ContainerDep,
    tz: ViewerTz = "UTC",
    min_version: MinVersion = None,
    wait_ms: WaitMs = DEFAULT_WAIT_MS,
) -> SessionOut:
    zone(tz, "tz")
    version = written(lambda: container.app.get_session(session_id))
    row = await read_row(
        container, lambda cur: load_session(cur, session_id), min_version, wait_ms, written_version=version
    )
    if row is None:
        raise SessionNotFoundError(f"Session {session_id} not found.")
    return session_view(row, row["event"], container.clock.now(), tz)


@router.patch("/sessions/{session_id}")
def update_session(session_id: UUID, body: SessionPatch, container: ContainerDep) -> CommandResult:
    changes = body.model_dump(exclude_unset=True)
    session_update = changes.pop("session_update", "this")
    return answer(container.app.update_session(session_id, changes, session_update))


@router.post("/sessions/{session_id}/done")
def mark_session_done(session_id: UUID, container: ContainerDep) -> CommandResult:
    """Moves the session to the "Ended" stage; its kanban state is kept (spec Q9)."""
    return answer(container.app.mark_session_done(session_id))


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
def delete_session(session_id: UUID, container: ContainerDep) -> None:
    """409 when any registration points to the session, whatever its state (spec §2.4)."""
    container.app.delete_session(session_id)


@router.get(
    "/sessions/{session_id}/ics",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def session_ics(session_id: UUID, container: ContainerDep) -> Response:
    """The session as an iCalendar file, times in UTC (spec §6.10)."""
    row = await read_now(container, lambda cur: load_session(cur, session_id))
    if row is None:
        raise SessionNotFoundError(f"Session {session_id} not found.")
    name = row["event"]["name"]
    body = ics.session_ics(session_id, name, row["date_begin"], row["date_end"], container.clock.now())
    filename = quote(f"{name}.ics")
    return Response(
        body, media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )  # fmt: skip


class AttendeeOut(BaseModel):
    id: UUID
    name: str
    email: str
    state: str
    create_date: UtcInstant
    date_closed: UtcInstant | None


class AttendanceOut(BaseModel):
    session_id: UUID
    counts: dict[str, int]
    attendees: dict[str, list[AttendeeOut]]


@router.get("/sessions/{session_id}/attendees")
async def session_attendees(session_id: UUID, container: ContainerDep) -> AttendanceOut:
    """The session's attendance list (Odoo's "Attendees"), grouped by state with counts."""

    def query(cur: Cursor[Any]) -> dict[str, Any] | None:
        if seat_availability.get_session(cur, session_id) is None:
            return None
        return attendance.attendees(cur, session_id)

    found = await read_now(container, query)
    if found is None:
        raise SessionNotFoundError(f"Session {session_id} not found.")
    groups = {
        state: [AttendeeOut(**{k: r[k] for k in ("id", "name", "email", "state", "date_closed")},
                            create_date=r["created_at"]) for r in rows]
        for state, rows in found["attendees"].items()
    }  # fmt: skip
    return AttendanceOut(session_id=session_id, counts=found["counts"], attendees=groups)
