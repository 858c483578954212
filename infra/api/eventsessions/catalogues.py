"""The catalogues: timeslots (spec §2.5, §8.1) and event types (§2.1).

Both are small and read where they are written (the catalogue aggregates), so a timeslot or type is
visible to the next request at once: a create followed by the wizard or a typed event just works.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.eventsessions.timeslots import parse_timeslot, timeslot_name
from domain.shared.limits import LIST_MAX
from infra.api.auth import bearer
from infra.api.context import CommandResult, ContainerDep, answer
from infra.api.eventsessions.events import MailSchedulerIn
from infra.api.problems import responses
from producers.fields import FiniteFloat, Flag, Int4, Name, ShortText, ZoneName

router = APIRouter(tags=["catalogues"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422))


class TimeslotCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"time": "18:30"}
        ]},
    )  # fmt: skip

    time: ShortText | FiniteFloat = Field(description='"HH:MM" (24-hour), or decimal hours such as 23.5.')


class TimeslotOut(BaseModel):
    id: UUID
    time: float = Field(description="Decimal hours, e.g. 23.5 for 23:30.")
    name: str = Field(description='"HH:MM".')


class EventTypeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"name": "Workshop", "use_sessions": True, "has_seats_limitation": True, "seats_max": 12,
             "default_timezone": "Europe/Brussels"}
        ]},
    )  # fmt: skip

    id: UUID | None = None
    name: Name
    use_sessions: Flag = False
    has_seats_limitation: Flag = False
    seats_max: Int4 = 0
    auto_confirm: Flag = True
    default_timezone: ZoneName = "UTC"
    mail_schedulers: list[MailSchedulerIn] | None = Field(
        default=None, max_length=LIST_MAX, description="Default: the three core schedulers."
    )


class EventTypeOut(BaseModel):
    id: UUID
    version: int
    name: str
    use_sessions: Flag
    has_seats_limitation: Flag
    seats_max: int
    auto_confirm: Flag
    default_timezone: str
    mail_schedulers: list[MailSchedulerIn]


@router.post("/timeslots", status_code=201)
def add_timeslot(body: TimeslotCreate, container: ContainerDep) -> TimeslotOut:
    time = parse_timeslot(body.time) if isinstance(body.time, str) else body.time
    outcome = container.app.add_timeslot(time)
    return TimeslotOut(id=outcome.id, time=time, name=timeslot_name(time))


@router.get("/timeslots")
def list_timeslots(container: ContainerDep) -> list[TimeslotOut]:
    return [TimeslotOut(id=i, time=t, name=n) for i, t, n in container.app.timeslots().ordered()]


@router.delete("/timeslots/{slot_id}", status_code=204, response_class=Response)
def remove_timeslot(slot_id: UUID, container: ContainerDep) -> None:
    container.app.remove_timeslot(slot_id)


@router.post("/event-types", status_code=201)
def create_event_type(body: EventTypeCreate, response: Response, container: ContainerDep) -> CommandResult:
    values = body.model_dump(exclude={"mail_schedulers"})
    rules = None if body.mail_schedulers is None else [m.rule() for m in body.mail_schedulers]
    return answer(container.app.create_event_type(**values, mail_schedulers=rules), response)


@router.get("/event-types/{event_type_id}")
def get_event_type(event_type_id: UUID, container: ContainerDep) -> EventTypeOut:
    t = container.app.get_event_type(event_type_id)
    return EventTypeOut(
        id=t.id, version=t.version, name=t.name, use_sessions=t.use_sessions,
        has_seats_limitation=t.has_seats_limitation, seats_max=t.seats_max, auto_confirm=t.auto_confirm,
        default_timezone=t.default_timezone, mail_schedulers=[MailSchedulerIn(**m) for m in t.mail_schedulers],
    )  # fmt: skip
