"""``/events``: create, change and read a parent event.

An event with sessions takes its dates and session count from ``event_dates`` and its seat totals from
``seat_availability`` (spec §2.2, §3.2); an event without sessions carries its own ledger.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from psycopg import Cursor
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from domain.eventsessions.errors import EventNotFoundError
from domain.eventsessions.mail_intervals import MailRule
from domain.eventsessions.seats import SeatCounts
from domain.eventsessions.stages import STAGES
from domain.shared.limits import LIST_MAX
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
from infra.api.instants import Instant, UtcInstant
from infra.api.problems import responses
from producers.fields import Count, Flag, Int4, Name, Template, ZoneName
from projections.base import Row
from projections.eventsessions import event_dates, events, seat_availability

router = APIRouter(tags=["events"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422, 503))


class MailSchedulerIn(BaseModel):
    """One mail scheduler (spec §2.6): when, relative to what, and which template."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"interval_nbr": 1, "interval_unit": "days", "interval_type": "before_event", "template": "Reminder"}
        ]},
    )  # fmt: skip

    interval_nbr: Count = 1
    interval_unit: Literal["now", "hours", "days", "weeks", "months"] = "hours"
    interval_type: Literal["after_sub", "before_event", "after_event"] = "before_event"
    template: Template

    def rule(self) -> MailRule:
        return MailRule(self.interval_type, self.interval_unit, self.interval_nbr, self.template)


class EventCreate(BaseModel):
    """Fields left out come from the event type when one is given, else from Odoo's defaults."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"name": "Odoo Experience", "date_tz": "Europe/Brussels", "use_sessions": True, "seats_limited": True,
             "seats_max": 50}
        ]},
    )  # fmt: skip

    id: UUID | None = None
    name: Name
    date_tz: ZoneName = Field(default="UTC", description="Default: the type's `default_timezone`, else UTC.")
    use_sessions: Flag = Field(default=False, description="Default: the type's, else false.")
    seats_limited: Flag = Field(default=False, description="Default: the type's `has_seats_limitation`.")
    seats_max: Int4 = Field(default=0, description="Default: the type's.")
    auto_confirm: Flag = Field(default=False, description="Default: the type's; false without a type.")
    event_type_id: UUID | None = None
    date_begin: Instant | None = Field(default=None, description="Required unless the event uses sessions.")
    date_end: Instant | None = Field(default=None, description="Required unless the event uses sessions.")
    mail_schedulers: list[MailSchedulerIn] | None = Field(
        default=None, max_length=LIST_MAX,
        description="Default: the type's, else the three core ones (after_sub now; 1 hour and 3 days before).",
    )  # fmt: skip

    def command(self) -> dict[str, Any]:
        """Only the values the client sent, so the type's defaults fill the rest."""
        given = self.model_dump(exclude_unset=True, exclude={"mail_schedulers"})
        if self.mail_schedulers is not None:
            given["mail_schedulers"] = [m.rule() for m in self.mail_schedulers]
        return given


class EventPatch(BaseModel):
    """Only the fields sent change.  Defaults are None but the types refuse an explicit null."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"name": "Odoo Experience 2026", "seats_max": 60}
        ]},
    )  # fmt: skip

    name: Name = Field(default=None)
    date_tz: ZoneName = Field(default=None)
    use_sessions: Flag = Field(default=None)
    seats_limited: Flag = Field(default=None)
    seats_max: Int4 = Field(default=None)
    auto_confirm: Flag = Field(default=None)
    stage_id: Int4 = Field(default=None)
    date_begin: Instant = Field(default=None, description="Only for an event without sessions.")
    date_end: Instant = Field(default=None, description="Only for an event without sessions.")


#: Odoo's ``[id, "Name"]`` pair.  Described as a two-item array of integer or string: schema tools
#: (schemathesis among them) still mishandle OpenAPI 3.1's ``prefixItems`` in responses.
StagePair = Annotated[
    tuple[int, str],
    WithJsonSchema({
        "type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}, "minItems": 2, "maxItems": 2,
        "description": 'Odoo\'s pair, e.g. `[1, "New"]`.',
    }),
]  # fmt: skip


class EventOut(BaseModel):
    id: UUID
    version: int
    name: str
    date_tz: str
    use_sessions: Flag
    session_count: int
    date_begin: UtcInstant
    date_end: UtcInstant
    seats_limited: Flag
    seats_max: int
    seats_reserved: int
    seats_unconfirmed: int
    seats_used: int
    seats_expected: int
    seats_available: int
    auto_confirm: Flag
    event_type_id: UUID | None
    stage_id: StagePair


def load_event(cur: Cursor[Any], event_id: UUID) -> Row | None:
    """The event row, with dates, session count and seat totals from its sessions when it has them."""
    row = events.get_event(cur, event_id)
    if row is None:
        return None
    row["session_count"] = 0
    if row["use_sessions"]:
        dates = event_dates.get_event_dates(cur, event_id)
        if dates is not None:
            row["session_count"] = dates["session_count"]
            if dates["date_begin"] is not None:
                row.update(date_begin=dates["date_begin"], date_end=dates["date_end"])
        row.update(seat_availability.event_totals(cur, event_id))
    return row


def event_view(row: Row) -> EventOut:
    """Spec §3.1 formulas over the event's counts."""
    seats = SeatCounts(
        row["seats_limited"], row["seats_max"], row["seats_unconfirmed"], row["seats_reserved"], row["seats_used"]
    )
    return EventOut(
        **{k: row[k] for k in EventOut.model_fields if k in row and k != "stage_id"},
        seats_expected=seats.seats_expected,
        seats_available=seats.seats_available,
        stage_id=(row["stage_id"], STAGES[row["stage_id"]].name),
    )


@router.post("/events", status_code=201)
def create_event(body: EventCreate, response: Response, container: ContainerDep) -> CommandResult:
    return answer(container.app.create_event(**body.command()), response)


@router.patch("/events/{event_id}")
def update_event(event_id: UUID, body: EventPatch, container: ContainerDep) -> CommandResult:
    return answer(container.app.update_event(event_id, body.model_dump(exclude_unset=True)))


@router.get("/events/{event_id}")
async def get_event(
    event_id: UUID, container: ContainerDep, min_version: MinVersion = None, wait_ms: WaitMs = DEFAULT_WAIT_MS
) -> EventOut:
    version = written(lambda: container.app.get_event(event_id))
    row = await read_row(
        container, lambda cur: load_event(cur, event_id), min_version, wait_ms, written_version=version
    )
    if row is None:
        raise EventNotFoundError(f"Event {event_id} not found.")
    return event_view(row)
