"""``POST /events/{event_id}/sessions/generate``: the session wizard (spec §8).

Wall-clock times are the event's time zone; ``start`` defaults to the UTC date of the event's end + 1
day and ``duration`` to the latest-starting active session's (§8.2).  All sessions are created in one
transaction; running it twice creates them twice, as in Odoo.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from domain.eventsessions.timeslots import parse_timeslot
from domain.eventsessions.wizard import WizardRequest
from domain.shared.errors import InvalidInputError
from domain.shared.limits import LIST_MAX
from infra.api.auth import bearer
from infra.api.context import ContainerDep
from infra.api.instants import UtcInstant
from infra.api.problems import responses
from producers.fields import Day, FiniteFloat, Int4, ShortText

router = APIRouter(tags=["sessions"], dependencies=[Depends(bearer)], responses=responses(401, 403, 404, 409, 422))

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WizardIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"rrule_type": "weekly", "weekdays": ["mon", "wed"], "until": "2027-06-30", "timeslots": ["18:00"],
             "duration": 2}
        ]},
    )  # fmt: skip

    rrule_type: Literal["weekly", "monthly"] = "weekly"
    interval: Int4 = 1
    weekdays: list[Weekday] = Field(
        default_factory=list, max_length=LIST_MAX, description="Weekly: the days of the week."
    )
    month_by: Literal["date", "day"] = "date"
    day: Int4 = Field(default=1, description="Monthly by date: the day of the month.")
    byday: Literal[1, 2, 3, 4, -1] | None = Field(default=None, description="Monthly by day: first..fourth, last.")
    weekday: Weekday | None = Field(default=None, description="Monthly by day: which weekday.")
    start: Day | None = Field(default=None, description="Default: the UTC date of the event's end + 1 day.")
    until: Day
    timeslots: list[ShortText] = Field(max_length=LIST_MAX, description='Local times of day, "HH:MM".')
    duration: FiniteFloat | None = Field(default=None, description="Hours; default: the latest session's duration.")
    week_start: Literal["sunday", "monday"] = "sunday"


class GeneratedOut(BaseModel):
    id: UUID
    version: int
    date_begin: UtcInstant
    date_end: UtcInstant


class WizardOut(BaseModel):
    sessions: list[GeneratedOut]


def _times(texts: list[str]) -> tuple[float, ...]:
    try:
        return tuple(parse_timeslot(t) for t in texts)
    except InvalidInputError as error:
        raise InvalidInputError("timeslots", error.message) from None


@router.post("/events/{event_id}/sessions/generate", status_code=201)
def generate_sessions(event_id: UUID, body: WizardIn, container: ContainerDep) -> WizardOut:
    app = container.app
    default_start, default_duration = app.wizard_defaults(event_id)
    request = WizardRequest(
        rrule_type=body.rrule_type, interval=body.interval, weekdays=tuple(body.weekdays), month_by=body.month_by,
        day=body.day, byday=body.byday, weekday=body.weekday, start=body.start or default_start, until=body.until,
        timeslots=_times(body.timeslots),
        duration=body.duration if body.duration is not None else (default_duration or 0.0),
        week_start=body.week_start,
    )  # fmt: skip
    generated = app.generate_sessions(event_id, request)
    return WizardOut(sessions=[GeneratedOut(**vars(g)) for g in generated])
